import PortcullisCore
import Synchronization
import Testing

@testable import PortcullisMail

/// A transport that fails the first `failures` sends with a temporary error, then records.
final class FlakyTransport: MailTransport {
    private let state: Mutex<(failures: Int, delivered: [String])>

    init(failures: Int) {
        state = Mutex((failures, []))
    }

    func send(to recipient: String, subject: String, text: String, html: String) throws(MailError) {
        let fail = state.withLock { state -> Bool in
            if state.failures > 0 {
                state.failures -= 1
                return true
            }
            state.delivered.append(recipient)
            return false
        }
        if fail { throw MailError(permanent: false, description: "421 try again later") }
    }

    var delivered: [String] { state.withLock { $0.delivered } }
}

@Suite("Outbox: durable queue, retries with backoff on the injected clock")
struct OutboxTests {
    @Test("a temporary failure is retried after its backoff, not before")
    func retries() async {
        let clock = ManualClock()
        let transport = FlakyTransport(failures: 2)
        let outbox = Outbox(transport: transport, journal: nil, clock: clock)
        await outbox.enqueue(to: "a@example.com", subject: "S", text: "T", html: "H")
        #expect(await outbox.deliverDue() == 1)  // fails: next try in 1 s
        #expect(await outbox.deliverDue() == 0)
        clock.advance(by: 1000)
        #expect(await outbox.deliverDue() == 1)  // fails again: next in 2 s
        clock.advance(by: 1999)
        #expect(await outbox.deliverDue() == 0)
        clock.advance(by: 1)
        #expect(await outbox.deliverDue() == 1)
        #expect(transport.delivered == ["a@example.com"])
        #expect(outbox.retried.current == 2 && outbox.sent.current == 1)
        #expect(await outbox.queue.count == 0)
    }

    @Test("a permanent failure is given up at once; without a transport nothing is queued")
    func permanent() async {
        struct Refusing: MailTransport {
            func send(to recipient: String, subject: String, text: String, html: String) throws(MailError) {
                throw MailError(permanent: true, description: "550 no such user")
            }
        }
        let outbox = Outbox(transport: Refusing(), journal: nil, clock: ManualClock())
        await outbox.enqueue(to: "b@example.com", subject: "S", text: "T", html: "H")
        #expect(await outbox.deliverDue() == 1)
        #expect(outbox.failed.current == 1)
        #expect(await outbox.queue.count == 0)
        let off = Outbox(transport: nil, journal: nil)
        await off.enqueue(to: "c@example.com", subject: "S", text: "T", html: "H")
        #expect(await off.queue.count == 0)
        #expect(!off.isEnabled)
    }
}
