import Synchronization

/// A monotonically increasing counter.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    public func increment(by amount: Int = 1) { value.add(amount, ordering: .relaxed) }

    public var current: Int { value.load(ordering: .relaxed) }
}

/// A value that goes up and down (how many of something are held).
public final class Gauge: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    public func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }

    public var current: Int { value.load(ordering: .relaxed) }
}

/// The engine's counters, exported at `/metrics`.
public final class AuthMetrics: Sendable {
    public let loginsSucceeded = Counter()
    public let loginsFailed = Counter()
    public let registrations = Counter()
    public let refreshes = Counter()
    public let refreshReuse = Counter()
    public let deviceCookiesIssued = Counter()
    public let twoFactorLoginsSucceeded = Counter()
    public let twoFactorLoginsFailed = Counter()
    /// TOTP codes refused because their step was already used.
    public let twoFactorReplays = Counter()
    public let backupCodesUsed = Counter()
    public let passkeyLoginsSucceeded = Counter()
    public let passkeyLoginsFailed = Counter()

    public init() {}
}
