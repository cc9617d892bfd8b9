import Glibc
import Synchronization

/// Where the engine reads the time: every expiry, window and ban is decided against an injected
/// clock, so tests move time forward instead of sleeping.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970 (UTC).
    var milliseconds: Int64 { get }
}

extension WallClock {
    /// Whole seconds since 1970 (JWT `iat`/`exp`, OAuth flow times).
    public var seconds: Int64 { milliseconds / 1000 }
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}

    public var milliseconds: Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that only moves when told to (tests).
public final class ManualClock: WallClock {
    private let value: Atomic<Int64>

    public init(milliseconds: Int64 = 1_800_000_000_000) {
        value = Atomic(milliseconds)
    }

    public var milliseconds: Int64 { value.load(ordering: .relaxed) }

    /// Moves the clock forward by `milliseconds`.
    public func advance(by milliseconds: Int64) { value.add(milliseconds, ordering: .relaxed) }
}

/// `Retry-After` seconds for a wait in milliseconds: rounded up, never less than one, so a client
/// that waits exactly that long is not refused again.
public enum RetryAfter {
    public static func seconds(forMilliseconds wait: Int64) -> Int64 { max(1, (wait + 999) / 1000) }
}
