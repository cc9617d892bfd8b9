import PortcullisCrypto
import Synchronization
import Testing

@testable import PortcullisCore

/// A journal that only records what it is given, in order, durable at once.
final class RecordingJournal: MutationJournal {
    private let recorded = Mutex<[any JournalEntry]>([])

    func enqueue<Entry: JournalEntry>(_ entry: Entry) -> UInt64 {
        recorded.withLock {
            $0.append(entry)
            return UInt64($0.count)
        }
    }

    func waitUntilDurable(_ sequence: UInt64) async {}

    var entries: [any JournalEntry] { recorded.withLock { $0 } }
}

@Suite("Account lockout: windows, devices, bounds, durability")
struct AccountLockoutTests {
    static let minute: Int64 = 60_000

    @Test("untrusted failures lock the account at the limit until the oldest leaves the window")
    func slidingWindow() async {
        let lockout = AccountLockout(
            policy: LockoutPolicy(accountMax: 3, deviceMax: 2, windowMilliseconds: 10 * Self.minute),
            journal: nil, shardCount: 4)
        let victim = AccountLockout.Client.untrusted(email: " Victim@Example.com ")
        let t0: Int64 = 1_000_000_000
        for step in 0..<3 {
            #expect(await lockout.retryAfter(victim, now: t0 + Int64(step) * Self.minute) == nil)
            await lockout.recordFailure(victim, now: t0 + Int64(step) * Self.minute)
        }
        #expect(lockout.started.current == 1)
        // The normalised email is the key: another spelling is the same account.
        #expect(await lockout.retryAfter(.untrusted(email: "victim@example.com"), now: t0 + 3 * Self.minute) == 7 * 60)
        // The oldest failure leaves at t0 + 10 min: one millisecond before, still refused (rounded up to 1 s).
        #expect(await lockout.retryAfter(victim, now: t0 + 10 * Self.minute - 1) == 1)
        #expect(await lockout.retryAfter(victim, now: t0 + 10 * Self.minute) == nil)
        #expect(lockout.refused.current == 2)
        // A trusted device of the same account is never under the shared lockout, only its own limit.
        let laptop = AccountLockout.Client.trustedDevice(nonce: String(repeating: "a", count: 32))
        #expect(await lockout.retryAfter(laptop, now: t0 + 3 * Self.minute) == nil)
        await lockout.recordFailure(laptop, now: t0 + 3 * Self.minute)
        await lockout.recordFailure(laptop, now: t0 + 3 * Self.minute)
        #expect(await lockout.retryAfter(laptop, now: t0 + 3 * Self.minute) == 10 * 60)
        #expect(await lockout.retryAfter(.untrusted(email: "other@example.com"), now: t0 + 3 * Self.minute) == nil)
    }

    @Test("0 disables a limit")
    func disabled() async {
        let lockout = AccountLockout(policy: LockoutPolicy(accountMax: 0, deviceMax: 0), journal: nil, shardCount: 2)
        for _ in 0..<50 { await lockout.recordFailure(.untrusted(email: "a@b.c"), now: 1) }
        #expect(await lockout.retryAfter(.untrusted(email: "a@b.c"), now: 2) == nil)
        #expect(lockout.windows.current == 0)
    }

    @Test("a flood of names stays within capacity, evicting the least recently failed")
    func bounded() async {
        let lockout = AccountLockout(
            policy: LockoutPolicy(accountMax: 5, windowMilliseconds: 60 * Self.minute, capacity: 1000),
            journal: nil, shardCount: 4)
        for n in 0..<20_000 { await lockout.recordFailure(.untrusted(email: "n\(n)@flood.test"), now: Int64(n)) }
        #expect(lockout.windows.current <= 1000)
        #expect(await lockout.all().count == lockout.windows.current)
        // The newest names are still counted.
        #expect(await lockout.all().contains { $0.failures == [19_999] })
    }

    @Test("every failure is journaled as the full window, and a restore rebuilds the same state")
    func journaled() async {
        let journal = RecordingJournal()
        let lockout = AccountLockout(policy: LockoutPolicy(accountMax: 2), journal: journal, shardCount: 2)
        let client = AccountLockout.Client.untrusted(email: "j@example.com")
        await lockout.recordFailure(client, now: 10)
        await lockout.recordFailure(client, now: 20)
        await lockout.recordFailure(client, now: 30)
        let windows = journal.entries.compactMap { entry -> LockoutWindow? in
            if case .put(let window)? = entry as? LockoutEntry { return window }
            return nil
        }
        #expect(windows.map(\.failures) == [[10], [10, 20], [20, 30]])
        let restored = AccountLockout(policy: LockoutPolicy(accountMax: 2), journal: nil, shardCount: 3)
        for window in windows { await restored.restore(window, now: 40) }
        #expect(await restored.retryAfter(client, now: 40) != nil)
        #expect(await restored.all() == [windows.last!])
    }

    @Test("ACCOUNT_LOCKOUT_* and DEVICE_LOCKOUT_MAX: defaults, decimals, refusals")
    func configuration() throws {
        let defaults = try LockoutPolicy(environment: Environment([:]))
        #expect(
            defaults
                == LockoutPolicy(accountMax: 10, deviceMax: 10, windowMilliseconds: 15 * Self.minute, capacity: 100_000)
        )
        let custom = try LockoutPolicy(
            environment: Environment(["ACCOUNT_LOCKOUT_WINDOW": "0.5", "ACCOUNT_LOCKOUT_MAX": "0"]))
        #expect(custom.windowMilliseconds == 30_000 && custom.accountMax == 0)
        #expect(
            try LockoutPolicy(environment: Environment(["ACCOUNT_LOCKOUT_WINDOW": "60 * 2"])).windowMilliseconds == 120
                * Self.minute)
        for bad in [
            ["ACCOUNT_LOCKOUT_WINDOW": "0.001"], ["ACCOUNT_LOCKOUT_WINDOW": "soon"], ["ACCOUNT_LOCKOUT_MAX": "-1"],
            ["DEVICE_LOCKOUT_MAX": "5000"],
        ] {
            #expect(throws: ConfigurationError.self) { try LockoutPolicy(environment: Environment(bad)) }
        }
    }
}

@Suite("Device cookies")
struct DeviceCookieTests {
    static let user = User(
        id: "65f0c0ffee0123456789abcd", name: "A", username: "a", email: "a@example.com", emailVerified: true,
        passwordHash: nil, createdAt: 0, updatedAt: 0)

    @Test("a genuine cookie is trusted for its account only, until it expires or devices are revoked")
    func trust() {
        let cookies = DeviceCookie(secret: Array("refresh secret".utf8))
        let now: Int64 = 1_800_000_000_000
        let value = cookies.issue(userId: Self.user.id, now: now)
        let nonce = cookies.trustedNonce(value, for: Self.user, now: now + 1000)
        #expect(nonce?.utf8.count == 32 && value.contains(nonce!))
        #expect(cookies.issue(userId: Self.user.id, now: now) != value)  // a fresh nonce every time
        var other = Self.user
        other.id = "65f0c0ffee0123456789abce"
        #expect(cookies.trustedNonce(value, for: other, now: now) == nil)
        #expect(cookies.trustedNonce(value, for: Self.user, now: now + DeviceCookie.lifetime * 1000) == nil)
        #expect(cookies.trustedNonce(value, for: Self.user, now: now - 61_000) == nil)  // from the future
        var revoked = Self.user
        revoked.devicesRevokedAt = now
        #expect(cookies.trustedNonce(value, for: revoked, now: now + 1) == nil)
        #expect(DeviceCookie(secret: Array("another secret".utf8)).trustedNonce(value, for: Self.user, now: now) == nil)
    }

    @Test("any changed byte, a missing part or an oversized value is untrusted")
    func tampering() {
        let cookies = DeviceCookie(secret: Array("refresh secret".utf8))
        let now: Int64 = 1_800_000_000_000
        let value = Array(cookies.issue(userId: Self.user.id, now: now).utf8)
        for index in value.indices {
            var changed = value
            changed[index] = changed[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(cookies.trustedNonce(String(decoding: changed, as: UTF8.self), for: Self.user, now: now) == nil)
        }
        for bad in [
            "", "...", String(decoding: value.dropLast(), as: UTF8.self), String(repeating: "a", count: 300),
            "a.b.c.d.e",
        ] {
            #expect(cookies.trustedNonce(bad, for: Self.user, now: now) == nil)
        }
        #expect(cookies.trustedNonce(nil, for: Self.user, now: now) == nil)
    }
}
