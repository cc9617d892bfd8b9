import PortcullisCrypto
import Synchronization

/// The failed password attempts counted against one key (an account named by untrusted clients,
/// or one trusted device) within the lockout window: times in ms, oldest first.
public struct LockoutWindow: Sendable, Equatable {
    /// No window keeps more failures than this (the largest configurable limit).
    public static let maximumFailures = 1000

    public var key: String
    public var failures: [Int64]

    public init(key: String, failures: [Int64]) {
        self.key = key
        self.failures = failures
    }
}

/// `ACCOUNT_LOCKOUT_*` and `DEVICE_LOCKOUT_MAX`: how many failed passwords an account takes from
/// untrusted clients, and each trusted device on its own, within the window.
public struct LockoutPolicy: Sendable, Equatable {
    /// Failures from clients without a device cookie for the account (0: no account lockout).
    public var accountMax: Int
    /// Failures from one trusted device (0: trusted devices are never throttled here).
    public var deviceMax: Int
    /// The sliding window, in ms.
    public var windowMilliseconds: Int64
    /// At most this many windows are kept; past it the oldest are evicted, so a flood naming a
    /// million emails cannot grow memory without bound.
    public var capacity: Int

    public init(
        accountMax: Int = 10, deviceMax: Int = 10, windowMilliseconds: Int64 = 15 * 60_000, capacity: Int = 100_000
    ) {
        self.accountMax = accountMax
        self.deviceMax = deviceMax
        self.windowMilliseconds = windowMilliseconds
        self.capacity = capacity
    }

    init(environment: Environment) throws(ConfigurationError) {
        let limit = Int64(LockoutWindow.maximumFailures)
        self.init(
            accountMax: Int(try environment.integer("ACCOUNT_LOCKOUT_MAX", default: 10, range: 0...limit)),
            deviceMax: Int(try environment.integer("DEVICE_LOCKOUT_MAX", default: 10, range: 0...limit)),
            windowMilliseconds: try Self.windowMilliseconds(environment),
            capacity: Int(
                try environment.integer("ACCOUNT_LOCKOUT_CAPACITY", default: 100_000, range: 1_000...100_000_000)))
    }

    /// `ACCOUNT_LOCKOUT_WINDOW` in minutes: an integer expression as LibreChat's windows, or a
    /// decimal (`0.5`) for windows shorter than a minute; at most a year.
    static func windowMilliseconds(_ environment: Environment) throws(ConfigurationError) -> Int64 {
        let key = "ACCOUNT_LOCKOUT_WINDOW"
        if let text = environment[key], text.contains("."), !text.contains(where: { "+-*/()".contains($0) }) {
            guard let minutes = Double(text), minutes * 60 >= 1, minutes <= 525_600 else {
                throw ConfigurationError(key, "expected minutes between 1/60 and 525600, got \"\(text.prefix(32))\"")
            }
            return Int64(minutes * 60_000)
        }
        return try environment.integer(key, default: 15, range: 1...525_600) * 60_000
    }
}

/// One shard of lockout windows; every change goes to the journal in the same step.
actor LockoutShard {
    private var windows: [String: [Int64]] = [:]
    private let capacity: Int
    private let journal: (any MutationJournal)?
    private let population: Gauge

    init(capacity: Int, journal: (any MutationJournal)?, population: Gauge) {
        self.capacity = capacity
        self.journal = journal
        self.population = population
    }

    /// How long (ms) until `key` is under `max` failures again; `nil` when it is under now.
    func wait(_ key: String, now: Int64, max: Int, window: Int64) -> Int64? {
        guard let failures = windows[key] else { return nil }
        let live = failures.drop { $0 <= now - window }
        guard live.count >= max else { return nil }
        return live[live.endIndex - max] + window - now
    }

    /// Records a failure; returns whether it started a lockout (the count reached `max`) and the
    /// journal ticket to wait for.
    func fail(_ key: String, now: Int64, max: Int, window: Int64) -> (started: Bool, ticket: UInt64?) {
        var failures = Array(windows[key, default: []].drop { $0 <= now - window })
        failures.append(now)
        if failures.count > max { failures.removeFirst(failures.count - max) }
        if windows.updateValue(failures, forKey: key) == nil {
            population.add(1)
            evictIfFull(now: now, window: window)
        }
        return (failures.count == max, journal?.enqueue(LockoutEntry.put(LockoutWindow(key: key, failures: failures))))
    }

    /// Over capacity: windows that ended go first, then the least recently failed eighth.
    private func evictIfFull(now: Int64, window: Int64) {
        guard windows.count > capacity else { return }
        let before = windows.count
        defer { population.add(windows.count - before) }
        windows = windows.filter { ($0.value.last ?? 0) > now - window }
        guard windows.count > capacity else { return }
        let victims = windows.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }.prefix(
            Swift.max(1, windows.count / 8))
        for (key, _) in victims { windows.removeValue(forKey: key) }
    }

    func all() -> [LockoutWindow] { windows.map { LockoutWindow(key: $0.key, failures: $0.value) } }

    /// The failures inside the window and the wait, when `key` is locked now.
    func locked(_ key: String, now: Int64, max: Int, window: Int64) -> (failures: Int, wait: Int64)? {
        guard let wait = wait(key, now: now, max: max, window: window) else { return nil }
        return (windows[key]?.filter { $0 > now - window }.count ?? 0, wait)
    }

    /// Restore and replay: no journaling, the same bound.
    func restore(_ window: LockoutWindow, now: Int64, length: Int64) {
        if window.failures.isEmpty {
            if windows.removeValue(forKey: window.key) != nil { population.add(-1) }
        } else if windows.updateValue(Array(window.failures.suffix(LockoutWindow.maximumFailures)), forKey: window.key)
            == nil
        {
            population.add(1)
            evictIfFull(now: now, window: length)
        }
    }

    func sweep(now: Int64, window: Int64) {
        let before = windows.count
        windows = windows.filter { ($0.value.last ?? 0) > now - window }
        population.add(windows.count - before)
    }
}

/// Account protection against password guessing that no stranger can turn against the account's
/// owner: failures named by clients without a valid device cookie for the account share one
/// window per account (past `accountMax` they are refused), while each trusted device has a window
/// of its own and never meets the shared lockout. Accounts are keyed by a digest of the
/// normalised email whether or not the account exists, so a lockout tells nothing about existence.
public final class AccountLockout: Sendable {
    public let policy: LockoutPolicy
    /// Where restored windows are aged against.
    public let clock: any WallClock
    private let shards: [LockoutShard]
    private let journal: (any MutationJournal)?
    /// Lockouts started (an account's or a device's count reached its limit).
    public let started = Counter()
    /// Logins refused because the account or the device was locked out.
    public let refused = Counter()
    /// Windows held, across shards (bounded by the policy's capacity).
    public let windows = Gauge()

    public init(
        policy: LockoutPolicy, journal: (any MutationJournal)?, shardCount: Int, clock: any WallClock = SystemClock()
    ) {
        self.policy = policy
        self.clock = clock
        self.journal = journal
        let perShard = Swift.max(16, policy.capacity / Swift.max(1, shardCount))
        let population = windows
        shards = (0..<Swift.max(1, shardCount)).map { _ in
            LockoutShard(capacity: perShard, journal: journal, population: population)
        }
    }

    /// Who is asking: an untrusted client naming an account, or a device trusted for it.
    public enum Client: Sendable, Equatable {
        case untrusted(email: String)
        case trustedDevice(nonce: String)

        var key: String {
            switch self {
            case .untrusted(let email):
                "a:" + Hex.encode(SHA256.hash(data: User.normalizeEmail(email).utf8).bytes.prefix(16))
            case .trustedDevice(let nonce): "d:" + nonce
            }
        }
    }

    private func shard(_ key: String) -> LockoutShard { shards[StableHash.shard(of: key, count: shards.count)] }

    private func limit(for client: Client) -> Int {
        switch client {
        case .untrusted: policy.accountMax
        case .trustedDevice: policy.deviceMax
        }
    }

    /// Seconds until `client` may try a password again, or `nil` when it may now.
    public func retryAfter(_ client: Client, now: Int64) async -> Int64? {
        let max = limit(for: client)
        guard max > 0 else { return nil }
        let key = client.key
        guard let wait = await shard(key).wait(key, now: now, max: max, window: policy.windowMilliseconds) else {
            return nil
        }
        refused.increment()
        return RetryAfter.seconds(forMilliseconds: wait)
    }

    /// Counts a failed password of `client`; returns once the count is durable, and whether this
    /// failure started a lockout.
    @discardableResult
    public func recordFailure(_ client: Client, now: Int64) async -> Bool {
        let max = limit(for: client)
        guard max > 0 else { return false }
        let key = client.key
        let (didStart, ticket) = await shard(key).fail(key, now: now, max: max, window: policy.windowMilliseconds)
        if didStart { started.increment() }
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
        return didStart
    }

    /// The account lockout of `email` (its failures from untrusted clients) if it is locked now:
    /// for the dashboard's user page, without counting as a refusal.
    public func lockout(ofEmail email: String, now: Int64) async -> (failures: Int, retryAfter: Int64)? {
        await locked(Client.untrusted(email: email).key, now: now)
    }

    /// The windows locked now (account windows `a:…`, device windows `d:…`), with their failure
    /// counts and the seconds until each opens again.
    public func lockedOut(now: Int64) async -> [(key: String, failures: Int, retryAfter: Int64)] {
        var result: [(key: String, failures: Int, retryAfter: Int64)] = []
        for window in await all() {
            if let state = await locked(window.key, now: now) { result.append((window.key, state.0, state.1)) }
        }
        return result
    }

    /// A window's live failures and seconds to wait, when it is locked now (its limit by its kind).
    private func locked(_ key: String, now: Int64) async -> (failures: Int, retryAfter: Int64)? {
        let max = key.hasPrefix("d:") ? policy.deviceMax : policy.accountMax
        guard max > 0, let state = await shard(key).locked(key, now: now, max: max, window: policy.windowMilliseconds)
        else { return nil }
        return (state.failures, RetryAfter.seconds(forMilliseconds: state.wait))
    }

    /// Every window, for snapshots.
    public func all() async -> [LockoutWindow] {
        var result: [LockoutWindow] = []
        for shard in shards { result += await shard.all() }
        return result
    }

    /// Restore and replay: no journaling.
    public func restore(_ window: LockoutWindow, now: Int64) async {
        await shard(window.key).restore(window, now: now, length: policy.windowMilliseconds)
    }

    /// Drops windows whose failures all left the window (called periodically).
    public func sweep(now: Int64) async {
        for shard in shards { await shard.sweep(now: now, window: policy.windowMilliseconds) }
    }
}
