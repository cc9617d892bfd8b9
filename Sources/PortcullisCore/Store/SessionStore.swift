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
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    func insert(_ session: Session) -> UInt64? {
        sessions[session.id] = session
        return journal?.enqueue(SessionEntry.put(session))
    }

    /// Restore and replay: no journaling.
    func restore(_ session: Session) { sessions[session.id] = session }

    func restoreRemove(_ id: String) -> Bool { sessions.removeValue(forKey: id) != nil }

    func restore(batch: [Session]) {
        sessions.reserveCapacity(sessions.count + batch.count)
        for session in batch { sessions[session.id] = session }
    }

    func restoreRemoveAll(userId: String) -> Int {
        let before = sessions.count
        sessions = sessions.filter { $0.value.userId != userId }
        return before - sessions.count
    }

    func session(_ id: String) -> Session? { sessions[id] }

    /// Decides a refresh atomically. `reissue` builds the token for a given session state, so the
    /// new hash is stored in the same step that bumps the generation.
    func refresh(
        id: String, userId: String, presentedHash: [UInt8], now: Int64, grace: Int64, client: ClientInfo?,
        reissue: @Sendable (Session) throws(AuthError) -> [UInt8]
    ) throws(AuthError) -> (RefreshOutcome, UInt64?) {
        guard let session = sessions[id], session.userId == userId else { return (.notFound, nil) }
        guard session.expiresAt > now else {
            sessions.removeValue(forKey: id)
            return (.expired, journal?.enqueue(SessionEntry.delete(id: id)))
        }
        if ConstantTime.equals(session.currentHash, presentedHash) {
            var next = session
            next.previousHash = session.currentHash
            next.generation += 1
            next.rotatedAt = now
            next.note(client, at: now)
            next.currentHash = try reissue(next)
            sessions[id] = next
            return (.rotated(next), journal?.enqueue(SessionEntry.put(next)))
        }
        if let previous = session.previousHash, ConstantTime.equals(previous, presentedHash) {
            if now - session.rotatedAt <= grace { return (.replayedWithinGrace(session), nil) }
        }
        sessions.removeValue(forKey: id)
        return (.reuseDetected, journal?.enqueue(SessionEntry.delete(id: id)))
    }

    func remove(_ id: String, userId: String) -> (Session, UInt64?)? {
        guard let session = sessions[id], session.userId == userId else { return nil }
        sessions.removeValue(forKey: id)
        return (session, journal?.enqueue(SessionEntry.delete(id: id)))
    }

    func removeAll(userId: String) -> (Int, UInt64?) {
        let before = sessions.count
        sessions = sessions.filter { $0.value.userId != userId }
        let removed = before - sessions.count
        return (removed, removed > 0 ? journal?.enqueue(SessionEntry.deleteAll(userId: userId)) : nil)
    }

    func removeExpired(now: Int64) -> Int {
        let before = sessions.count
        sessions = sessions.filter { $0.value.expiresAt > now }
        return before - sessions.count
    }

    func all() -> [Session] { Array(sessions.values) }

    func sessions(of userId: String) -> [Session] { sessions.values.filter { $0.userId == userId } }

    var count: Int { sessions.count }
}

/// Sessions, sharded by session id across actors.
public final class SessionStore: Sendable {
    private let shards: [SessionShard]
    private let population = Atomic<Int>(0)
    private let journal: (any MutationJournal)?

    public init(shardCount: Int, journal: (any MutationJournal)? = nil) {
        self.journal = journal
        shards = (0..<shardCount).map { _ in SessionShard(journal: journal) }
    }

    private func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    private func shard(_ id: String) -> SessionShard { shards[StableHash.shard(of: id, count: shards.count)] }

    /// Sessions held (approximate between a change and its counter update).
    public var count: Int { population.load(ordering: .relaxed) }

    public func insert(_ session: Session) async {
        let ticket = await shard(session.id).insert(session)
        population.add(1, ordering: .relaxed)
        await durable(ticket)
    }

    public func session(id: String) async -> Session? {
        await shard(id).session(id)
    }

    public func refresh(
        id: String, userId: String, presentedHash: [UInt8], now: Int64, grace: Int64, client: ClientInfo? = nil,
        reissue: @escaping @Sendable (Session) throws(AuthError) -> [UInt8]
    ) async throws(AuthError) -> RefreshOutcome {
        let (outcome, ticket) = try await shard(id).refresh(
            id: id, userId: userId, presentedHash: presentedHash, now: now,
            grace: grace, client: client, reissue: reissue)
        if outcome == .reuseDetected || outcome == .expired { population.subtract(1, ordering: .relaxed) }
        await durable(ticket)
        return outcome
    }

    /// Ends one session of `userId` and returns it; `nil` when it is not theirs or already gone.
    @discardableResult
    public func remove(id: String, userId: String) async -> Session? {
        guard let (session, ticket) = await shard(id).remove(id, userId: userId) else { return nil }
        population.subtract(1, ordering: .relaxed)
        await durable(ticket)
        return session
    }

    /// Ends every session of `userId` (password reset, ban, deletion); returns how many.
    @discardableResult
    public func removeAll(userId: String) async -> Int {
        var total = 0
        var last: UInt64?
        for shard in shards {
            let (removed, ticket) = await shard.removeAll(userId: userId)
            total += removed
            if let ticket { last = max(last ?? 0, ticket) }
        }
        population.subtract(total, ordering: .relaxed)
        await durable(last)
        return total
    }

    /// Restore and replay: writes a session without journaling.
    public func restore(_ session: Session) async {
        if !(await shard(session.id).restoreRemove(session.id)) { population.add(1, ordering: .relaxed) }
        await shard(session.id).restore(session)
    }

    /// Loads a snapshot's sessions into an empty store in one call per shard.
    public func restore(batch: [Session]) async {
        var byShard = [[Session]](repeating: [], count: shards.count)
        for session in batch { byShard[StableHash.shard(of: session.id, count: shards.count)].append(session) }
        for (index, sessions) in byShard.enumerated() where !sessions.isEmpty {
            await shards[index].restore(batch: sessions)
        }
        population.add(batch.count, ordering: .relaxed)
    }

    public func restoreDelete(id: String) async {
        if await shard(id).restoreRemove(id) { population.subtract(1, ordering: .relaxed) }
    }

    public func restoreDeleteAll(userId: String) async {
        var total = 0
        for shard in shards { total += await shard.restoreRemoveAll(userId: userId) }
        population.subtract(total, ordering: .relaxed)
    }

    /// Every live session of a user (the account page): a scan of every shard, for pages only.
    public func sessions(userId: String) async -> [Session] {
        var result: [Session] = []
        for shard in shards { result += await shard.sessions(of: userId) }
        return result.sorted { $0.createdAt > $1.createdAt }
    }

    /// Every session (for snapshots), shard by shard.
    public func all() async -> [Session] {
        var result: [Session] = []
        for shard in shards { result += await shard.all() }
        return result
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
