import Glibc
import Testing

@testable import PortcullisHTTP

@Suite("Connection state machine on a manual clock, and the syscall layer")
struct ConnectionStateMachineTests {
    static let timeouts = ConnectionStateMachine.Timeouts(header: 10_000, body: 30_000, idle: 60_000, write: 30_000)

    /// A manual clock: the tests move time by hand.
    struct Clock {
        var now: Int64 = 1_000_000
        mutating func advance(_ milliseconds: Int64) { now += milliseconds }
    }

    @Test("a slow-loris head gets its 408 at the header deadline, then the connection drains and lingers")
    func slowLoris() {
        var clock = Clock()
        var machine = ConnectionStateMachine(timeouts: Self.timeouts, now: clock.now)
        clock.advance(100)
        machine.received(now: clock.now, startsRequest: true)  // "GET / HT" and nothing more
        let deadline = machine.deadline(
            hasUnsentOutput: false, awaitingAnswers: false, hasBufferedInput: true, readingBody: false)
        #expect(deadline == .header(clock.now + 10_000))
        clock.advance(9_999)
        #expect(machine.timerFired(deadline, now: clock.now) == .reschedule)
        clock.advance(1)
        #expect(machine.timerFired(deadline, now: clock.now) == .requestTimeout)
        machine.refused(now: clock.now)
        #expect(machine.state == .draining(lingerFirst: true) && !machine.acceptsRequests)
        // While the 408 is unsent the write deadline applies; once written, linger two seconds.
        #expect(
            machine.deadline(hasUnsentOutput: true, awaitingAnswers: false, hasBufferedInput: false, readingBody: false)
                == .write(clock.now + 30_000))
        #expect(machine.afterFlush(awaitingAnswers: false) == .linger)
        machine.beginLingering(now: clock.now)
        #expect(machine.isLingering)
        let linger = machine.deadline(
            hasUnsentOutput: false, awaitingAnswers: false, hasBufferedInput: false, readingBody: false)
        #expect(linger == .linger(clock.now + 2_000))
        clock.advance(2_000)
        #expect(machine.timerFired(linger, now: clock.now) == .close)
    }

    @Test("keep-alive: body, then idle deadlines; our own handlers have none; Connection: close drains and closes")
    func keepAlive() {
        var clock = Clock()
        var machine = ConnectionStateMachine(timeouts: Self.timeouts, now: clock.now)
        machine.received(now: clock.now, startsRequest: true)
        clock.advance(50)
        machine.bodyStarted(now: clock.now)
        #expect(
            machine.deadline(hasUnsentOutput: false, awaitingAnswers: false, hasBufferedInput: true, readingBody: true)
                == .body(clock.now + 30_000))
        machine.requestParsed(keepAlive: true, moreBuffered: false, now: clock.now)
        #expect(
            machine.deadline(hasUnsentOutput: false, awaitingAnswers: true, hasBufferedInput: false, readingBody: false)
                == .none)
        clock.advance(5)
        machine.madeProgress(now: clock.now)
        #expect(machine.afterFlush(awaitingAnswers: false) == .keepServing)
        let idle = machine.deadline(
            hasUnsentOutput: false, awaitingAnswers: false, hasBufferedInput: false, readingBody: false)
        #expect(idle == .idle(clock.now + 60_000))
        // Activity moves the deadline: an old timer only reschedules.
        clock.advance(30_000)
        machine.received(now: clock.now, startsRequest: true)
        machine.requestParsed(keepAlive: false, moreBuffered: false, now: clock.now)
        #expect(machine.state == .draining(lingerFirst: false))
        #expect(machine.afterFlush(awaitingAnswers: true) == .keepServing)  // the answer is still being made
        #expect(machine.afterFlush(awaitingAnswers: false) == .close)
        #expect(machine.timerFired(idle, now: clock.now) == .reschedule)
    }

    @Test("the peer closing, a refusal while lingering, closed states")
    func ends() {
        var machine = ConnectionStateMachine(timeouts: Self.timeouts, now: 0)
        machine.stopReading()
        #expect(machine.state == .draining(lingerFirst: false))
        machine.refused(now: 1)
        #expect(machine.state == .draining(lingerFirst: true))
        machine.beginLingering(now: 2)
        machine.refused(now: 3)
        #expect(machine.isLingering)
        machine.closed()
        #expect(
            !machine.isOpen
                && machine.deadline(
                    hasUnsentOutput: true, awaitingAnswers: true, hasBufferedInput: true,
                    readingBody: false) == .none
        )
    }

    @Test("System: reads and sends classify bytes, would-block, end of stream and errors")
    func syscalls() {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { System.read(pair[0], into: $0) } == .wouldBlock)
        #expect(Array("hello".utf8).withUnsafeBytes { System.send(pair[1], $0) } == .processed(5))
        #expect(buffer.withUnsafeMutableBytes { System.read(pair[0], into: $0) } == .processed(5))
        System.close(pair[1])
        #expect(buffer.withUnsafeMutableBytes { System.read(pair[0], into: $0) } == .endOfStream)
        #expect(Array("x".utf8).withUnsafeBytes { System.send(pair[0], $0) } == .failed(EPIPE))
        System.close(pair[0])
        #expect(buffer.withUnsafeMutableBytes { System.read(pair[0], into: $0) } == .failed(EBADF))
    }
}
