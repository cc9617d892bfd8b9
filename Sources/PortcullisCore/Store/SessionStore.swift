import PortcullisCrypto
import Synchronization

/// What presenting a refresh token did to its session.
public enum RefreshOutcome: Sendable, Equatable {
    /// The current token: the session now has a new one.
    case rotated(Session)
    /// The token rotated away less than the grace period ago (another tab refreshed first): the
    /// session's current token is returned again, nothing changes.
    case replayedWithinGrace(Session)
    /// An older token after the grace period: the session is revoked (a stolen token was used, or
    /// the legitimate holder was beaten to it).
    case reuseDetected
    case notFound
    case expired
}

/// One shard of sessions, keyed by session id.
actor SessionShard {
    private var sessions: [String: Session] = [:]

    func insert(_ session: Session) { sessions[session.id] = session }

    func session(_ id: String) -> Session? { sessions[id] }

    /// Decides a refresh atomically. `reissue` builds the token for a given session state, so the
    /// new hash is stored in the same step that bumps the generation.
    func refresh(
        id: String, userId: String, presentedHash: [UInt8], now: Int64, grace: Int64,
        reissue: @Sendable (Session) -> [UInt8]
    ) -> RefreshOutcome {
        guard let session = sessions[id], session.userId == userId else { return .notFound }
        guard session.expiresAt > now else {
            sessions.removeValue(forKey: id)
            return .expired
        }
        if ConstantTime.equals(session.currentHash, presentedHash) {
            var next = session
            next.previousHash = session.currentHash
            next.generation += 1
            next.rotatedAt = now
            next.currentHash = reissue(next)
            sessions[id] = next
            return .rotated(next)
        }
        if let previous = session.previousHash, ConstantTime.equals(previous, presentedHash) {
            if now - session.rotatedAt <= grace { return .replayedWithinGrace(session) }
        }
        sessions.removeValue(forKey: id)
        return .reuseDetected
    }

    func remove(_ id: String, userId: String) -> Bool {
        guard sessions[id]?.userId == userId else { return false }
        sessions.removeValue(forKey: id)
        return true
    }

    func removeAll(userId: String) -> Int {
        let before = sessions.count
        sessions = sessions.filter { $0.value.userId != userId }
        return before - sessions.count
    }

    func removeExpired(now: Int64) -> Int {
        let before = sessions.count
        sessions = sessions.filter { $0.value.expiresAt > now }
        return before - sessions.count
    }

    func all() -> [Session] { Array(sessions.values) }

    var count: Int { sessions.count }
}

/// Sessions, sharded by session id across actors.
public final class SessionStore: Sendable {
    private let shards: [SessionShard]
    private let population = Atomic<Int>(0)

    public init(shardCount: Int) {
        shards = (0..<shardCount).map { _ in SessionShard() }
    }

    private func shard(_ id: String) -> SessionShard { shards[StableHash.shard(of: id, count: shards.count)] }

    /// Sessions held (approximate between a change and its counter update).
    public var count: Int { population.load(ordering: .relaxed) }

    public func insert(_ session: Session) async {
        await shard(session.id).insert(session)
        population.add(1, ordering: .relaxed)
    }

    public func session(id: String) async -> Session? {
        await shard(id).session(id)
    }

    public func refresh(
        id: String, userId: String, presentedHash: [UInt8], now: Int64, grace: Int64,
        reissue: @escaping @Sendable (Session) -> [UInt8]
    ) async -> RefreshOutcome {
        let outcome = await shard(id).refresh(id: id, userId: userId, presentedHash: presentedHash, now: now,
                                              grace: grace, reissue: reissue)
        if outcome == .reuseDetected || outcome == .expired { population.subtract(1, ordering: .relaxed) }
        return outcome
    }

    /// Ends one session of `userId`; false when it is not theirs or already gone.
    @discardableResult
    public func remove(id: String, userId: String) async -> Bool {
        let removed = await shard(id).remove(id, userId: userId)
        if removed { population.subtract(1, ordering: .relaxed) }
        return removed
    }

    /// Ends every session of `userId` (password reset, ban, deletion); returns how many.
    @discardableResult
    public func removeAll(userId: String) async -> Int {
        var total = 0
        for shard in shards { total += await shard.removeAll(userId: userId) }
        population.subtract(total, ordering: .relaxed)
        return total
    }

    /// Drops expired sessions (called periodically).
    @discardableResult
    public func sweep(now: Int64) async -> Int {
        var total = 0
        for shard in shards { total += await shard.removeExpired(now: now) }
        population.subtract(total, ordering: .relaxed)
        return total
    }
}
