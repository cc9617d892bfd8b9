import Synchronization

/// A ban on a subject (`user:<id>` or `ip:<address>`).
public struct Ban: Sendable, Equatable, Codable {
    public var subject: String
    public var expiresAt: Int64
    public var type: String

    public init(subject: String, expiresAt: Int64, type: String) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.type = type
    }
}

/// Sliding-window request counts for one shard of limiter keys.
actor LimiterShard {
    private var windows: [String: [Int64]] = [:]

    /// Records a hit if the key is under its limit; otherwise says how long until the oldest hit leaves the window.
    func hit(_ key: String, now: Int64, max: Int, window: Int64) -> Int64? {
        var hits = windows[key, default: []]
        hits.removeAll { $0 <= now - window }
        if hits.count >= max {
            windows[key] = hits
            return hits[0] + window - now
        }
        hits.append(now)
        windows[key] = hits
        return nil
    }

    func sweep(now: Int64, longestWindow: Int64) {
        windows = windows.filter { ($0.value.last ?? 0) > now - longestWindow }
    }

    /// The keys starting with `prefix` that are at their limit now, with their hits and the wait.
    func over(prefix: String, now: Int64, max: Int, window: Int64) -> [(key: String, hits: Int, wait: Int64)] {
        windows.compactMap { key, hits in
            guard key.hasPrefix(prefix) else { return nil }
            let live = hits.filter { $0 > now - window }
            guard live.count >= max, let first = live.first else { return nil }
            return (String(key.dropFirst(prefix.count)), live.count, first + window - now)
        }
    }
}

/// Violation counts and bans for one shard of subjects; changes go to the journal in the same step.
actor ModerationShard {
    private var violations: [String: [String: Int]] = [:]
    private var bans: [String: Ban] = [:]
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    /// Adds `score` to the subject's count of `type`; returns the previous and new counts.
    func addViolation(_ subject: String, type: String, score: Int) -> (Int, Int, UInt64?) {
        let previous = violations[subject]?[type] ?? 0
        let count = previous + score
        violations[subject, default: [:]][type] = count
        return (
            previous, count, journal?.enqueue(ModerationEntry.violation(subject: subject, type: type, count: count))
        )
    }

    func ban(_ ban: Ban) -> UInt64? {
        if let existing = bans[ban.subject], existing.expiresAt >= ban.expiresAt { return nil }
        bans[ban.subject] = ban
        return journal?.enqueue(ModerationEntry.ban(ban))
    }

    func unban(_ subject: String) -> UInt64?? {
        guard bans.removeValue(forKey: subject) != nil else { return nil }
        return .some(journal?.enqueue(ModerationEntry.unban(subject: subject)))
    }

    /// The live ban on `subject`; an expired one is dropped (expiry is exact, not left to a sweeper).
    func ban(for subject: String, now: Int64) -> Ban? {
        guard let ban = bans[subject] else { return nil }
        if ban.expiresAt > now { return ban }
        bans.removeValue(forKey: subject)
        return nil
    }

    func allBans(now: Int64) -> [Ban] { bans.values.filter { $0.expiresAt > now } }

    func violationCounts() -> [(String, String, Int)] {
        violations.flatMap { subject, types in types.map { (subject, $0.key, $0.value) } }
    }

    func restore(violation subject: String, type: String, count: Int) {
        violations[subject, default: [:]][type] = count
    }
    func restore(ban: Ban) { bans[ban.subject] = ban }
    func restoreUnban(_ subject: String) { bans.removeValue(forKey: subject) }
}

/// Pending-generation slots per user (`LIMIT_CONCURRENT_MESSAGES`), each expiring after 60 s.
actor ConcurrencyShard {
    private var slots: [String: [Int64]] = [:]

    func start(_ user: String, now: Int64, max: Int) -> Bool {
        var held = slots[user, default: []].filter { $0 > now }
        guard held.count < max else {
            slots[user] = held
            return false
        }
        held.append(now + 60_000)
        slots[user] = held
        return true
    }

    func end(_ user: String, now: Int64) {
        var held = slots[user, default: []].filter { $0 > now }
        if !held.isEmpty { held.removeFirst() }
        slots[user] = held.isEmpty ? nil : held
    }
}

/// The Automated Moderation System: limiters, cumulative violation scores per user and per IP,
/// and bans of both when a score crosses a multiple of `BAN_INTERVAL`.
public final class Moderation: Sendable {
    public static let banMessage = "Your account has been temporarily banned due to violations of our service."

    public let configuration: ModerationConfiguration
    private let limiters: [LimiterShard]
    private let shards: [ModerationShard]
    private let concurrency: [ConcurrencyShard]
    private let sessions: SessionStore
    private let journal: (any MutationJournal)?
    /// Where ban expiries and limiter windows read the time.
    public let clock: any WallClock
    public let bansIssued = Counter()
    public let limited = Counter()
    /// A read copy of live bans (subject → expiry), so the check every request makes is one lock,
    /// not two actor hops. The shards stay the owners: every change goes through them (and the
    /// journal) first, then here.
    private let banMirror = Mutex<[String: MirroredBan]>([:])

    /// A live ban as the mirror keeps it: when it ends, and whether an operator or admin set it.
    struct MirroredBan {
        var expiresAt: Int64
        var byAdministrator: Bool
    }

    /// The ban types operators and admins set: they apply even with `BAN_VIOLATIONS=false`.
    public static let administratorBanType = "admin"

    public init(
        configuration: ModerationConfiguration, sessions: SessionStore, journal: (any MutationJournal)?,
        shardCount: Int,
        clock: any WallClock = SystemClock()
    ) {
        self.configuration = configuration
        self.clock = clock
        self.sessions = sessions
        self.journal = journal
        limiters = (0..<shardCount).map { _ in LimiterShard() }
        shards = (0..<shardCount).map { _ in ModerationShard(journal: journal) }
        concurrency = (0..<shardCount).map { _ in ConcurrencyShard() }
    }

    private func shard(_ subject: String) -> ModerationShard {
        shards[StableHash.shard(of: subject, count: shards.count)]
    }

    private func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    public static func userSubject(_ id: String) -> String { "user:" + id }
    public static func ipSubject(_ address: String) -> String { "ip:" + address }

    /// Counts a request against a limiter; returns seconds to wait when it is over the limit.
    public func limit(_ name: String, key: String, _ limit: ModerationConfiguration.Limit) async -> Int64? {
        let composite = name + "|" + key
        let shard = limiters[StableHash.shard(of: composite, count: limiters.count)]
        guard
            let wait = await shard.hit(
                composite, now: clock.milliseconds, max: limit.max, window: limit.windowMilliseconds)
        else {
            return nil
        }
        limited.increment()
        return RetryAfter.seconds(forMilliseconds: wait)
    }

    /// The keys (client IPs) of limiter `name` held back now, with their hits and seconds to wait.
    public func overLimit(
        _ name: String, _ limit: ModerationConfiguration.Limit
    ) async -> [(key: String, hits: Int, retryAfter: Int64)] {
        let now = clock.milliseconds
        var result: [(key: String, hits: Int, retryAfter: Int64)] = []
        for shard in limiters {
            for entry in await shard.over(
                prefix: name + "|", now: now, max: limit.max, window: limit.windowMilliseconds)
            {
                result.append((entry.key, entry.hits, RetryAfter.seconds(forMilliseconds: entry.wait)))
            }
        }
        return result.sorted { $0.key < $1.key }
    }

    /// The latest expiry among live bans on the user and the IP, if any. With `BAN_VIOLATIONS=false`
    /// only the bans an operator or admin set apply (LibreChat checks none then; a ban an
    /// administrator sets must hold whatever the automatic moderation does).
    public func banExpiry(userId: String?, ip: String?) async -> Int64? {
        let now = clock.milliseconds
        let automatic = configuration.banViolations
        return banMirror.withLock { bans -> Int64? in
            guard !bans.isEmpty else { return nil }
            var latest: Int64?
            for subject in [userId.map(Self.userSubject), ip.map(Self.ipSubject)].compactMap({ $0 }) {
                guard let ban = bans[subject] else { continue }
                if ban.expiresAt <= now {
                    bans.removeValue(forKey: subject)
                } else if automatic || ban.byAdministrator {
                    latest = max(latest ?? 0, ban.expiresAt)
                }
            }
            return latest
        }
    }

    /// Adds a violation of `type` to the user and the IP (each optional). When either count crosses a
    /// multiple of `BAN_INTERVAL`, the user's sessions end and, with `BAN_DURATION` > 0, both the user
    /// and the IP are banned. Returns whether a ban was issued.
    @discardableResult
    public func violation(_ type: String, score: Int? = nil, userId: String?, ip: String?) async -> Bool {
        let score = score ?? configuration.score(type)
        guard score > 0 else { return false }
        var crossed = false
        var last: UInt64?
        for subject in [userId.map(Self.userSubject), ip.map(Self.ipSubject)].compactMap({ $0 }) {
            let (previous, count, ticket) = await shard(subject).addViolation(subject, type: type, score: score)
            if let ticket { last = max(last ?? 0, ticket) }
            if previous / configuration.banInterval < count / configuration.banInterval { crossed = true }
        }
        await durable(last)
        guard crossed, configuration.banViolations else { return false }
        await ban(userId: userId, ip: ip, duration: configuration.banDuration, type: type)
        return true
    }

    /// Bans the user and/or IP for `duration` ms (≤ 0: the sessions end, nothing else) and ends the user's sessions.
    public func ban(userId: String?, ip: String?, duration: Int64, type: String) async {
        if let userId { await sessions.removeAll(userId: userId) }
        guard duration > 0 else { return }
        let expiresAt = clock.milliseconds + duration
        var last: UInt64?
        for subject in [userId.map(Self.userSubject), ip.map(Self.ipSubject)].compactMap({ $0 }) {
            if let ticket = await shard(subject).ban(Ban(subject: subject, expiresAt: expiresAt, type: type)) {
                last = max(last ?? 0, ticket)
                banMirror.withLock { bans in
                    let previous = bans[subject]
                    bans[subject] = MirroredBan(
                        expiresAt: max(previous?.expiresAt ?? 0, expiresAt),
                        byAdministrator: (previous?.byAdministrator ?? false) || type == Self.administratorBanType)
                }
            }
        }
        bansIssued.increment()
        await durable(last)
    }

    /// Lifts a ban; false when there was none.
    @discardableResult
    public func unban(subject: String) async -> Bool {
        guard let ticket = await shard(subject).unban(subject) else { return false }
        banMirror.withLock { _ = $0.removeValue(forKey: subject) }
        await durable(ticket)
        return true
    }

    public func bans() async -> [Ban] {
        let now = clock.milliseconds
        var result: [Ban] = []
        for shard in shards { result += await shard.allBans(now: now) }
        return result.sorted { $0.subject < $1.subject }
    }

    /// Violation counts (subject, type, count), for snapshots.
    public func violationCounts() async -> [(subject: String, type: String, count: Int)] {
        var result: [(String, String, Int)] = []
        for shard in shards { result += await shard.violationCounts() }
        return result.map { ($0.0, $0.1, $0.2) }
    }

    public func startGeneration(userId: String) async -> Bool {
        await concurrency[StableHash.shard(of: userId, count: concurrency.count)].start(
            userId, now: clock.milliseconds, max: configuration.concurrentMessageMax)
    }

    public func endGeneration(userId: String) async {
        await concurrency[StableHash.shard(of: userId, count: concurrency.count)].end(userId, now: clock.milliseconds)
    }

    /// Drops idle limiter windows (called periodically).
    public func sweep() async {
        let longest =
            [
                configuration.login, configuration.register, configuration.resetPassword, configuration.verifyEmail,
                configuration.messageIP, configuration.messageUser,
            ].map(\.windowMilliseconds).max() ?? 3_600_000
        for limiter in limiters { await limiter.sweep(now: clock.milliseconds, longestWindow: longest) }
    }

    // Restore and replay: no journaling.
    public func restore(violation subject: String, type: String, count: Int) async {
        await shard(subject).restore(violation: subject, type: type, count: count)
    }

    public func restore(ban: Ban) async {
        await shard(ban.subject).restore(ban: ban)
        banMirror.withLock {
            $0[ban.subject] = MirroredBan(
                expiresAt: ban.expiresAt, byAdministrator: ban.type == Self.administratorBanType)
        }
    }

    public func restoreUnban(subject: String) async {
        await shard(subject).restoreUnban(subject)
        banMirror.withLock { _ = $0.removeValue(forKey: subject) }
    }
}
