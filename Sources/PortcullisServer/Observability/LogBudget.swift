import Synchronization

/// At most `perMinute` report log lines a minute, however many arrive (they are still answered
/// and counted by the route metrics).
final class LogBudget: Sendable {
    private let perMinute: Int
    private let window = Mutex<(start: Int64?, used: Int)>((nil, 0))

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    func allow(now: Int64) -> Bool {
        window.withLock { window in
            // The minute starts with the first line, so the first minute is a whole one.
            if window.start.map({ now - $0 >= 60_000 }) ?? true { window = (now, 0) }
            guard window.used < perMinute else { return false }
            window.used += 1
            return true
        }
    }
}
