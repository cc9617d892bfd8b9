import Synchronization

/// One shard of the audit log: a ring of the newest entries (oldest dropped when full), each
/// journaled in the step that appends it.
actor AuditShard {
    private var ring: [AuditEvent] = []
    /// Index of the oldest entry once the ring is full.
    private var head = 0
    private let capacity: Int
    private let journal: (any MutationJournal)?

    init(capacity: Int, journal: (any MutationJournal)?) {
        self.capacity = capacity
        self.journal = journal
    }

    func append(_ event: AuditEvent) -> UInt64? {
        insert(event)
        return journal?.enqueue(AuditEntry.append(event))
    }

    /// Restore and replay: no journaling.
    func insert(_ event: AuditEvent) {
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[head] = event
            head = (head + 1) % capacity
        }
    }

    /// Entries in recording order (oldest first).
    func all() -> [AuditEvent] { Array(ring[head...]) + Array(ring[..<head]) }

    /// The newest `query.limit` entries that match, newest first: the ring is walked from its
    /// newest entry back and the walk stops at the limit.
    func matching(_ query: AuditQuery) -> [AuditEvent] {
        var found: [AuditEvent] = []
        guard query.limit > 0, !ring.isEmpty else { return found }
        let newest = (head + ring.count - 1) % ring.count
        for step in 0..<ring.count {
            let event = ring[(newest - step + ring.count) % ring.count]
            if query.matches(event) {
                found.append(event)
                if found.count == query.limit { break }
            }
        }
        return found
    }

    var count: Int { ring.count }

    /// Drops entries older than `cutoff` (ms).
    func trim(before cutoff: Int64) -> Int {
        let kept = all().filter { $0.time >= cutoff }
        let dropped = ring.count - kept.count
        if dropped > 0 {
            ring = kept
            head = 0
        }
        return dropped
    }
}

/// What to read from the audit log; every condition given must hold.
public struct AuditQuery: Sendable {
    /// A user id: entries where the user is the subject or the actor.
    public var user: String?
    public var kinds: Set<AuditKind>
    public var since: Int64?
    public var until: Int64?
    public var limit: Int

    public init(
        user: String? = nil, kinds: Set<AuditKind> = [], since: Int64? = nil, until: Int64? = nil, limit: Int = 100
    ) {
        self.user = user
        self.kinds = kinds
        self.since = since
        self.until = until
        self.limit = limit
    }

    func matches(_ event: AuditEvent) -> Bool {
        if let user, event.subject != user && event.actor != user { return false }
        if !kinds.isEmpty && !kinds.contains(event.kind) { return false }
        if let since, event.time < since { return false }
        if let until, event.time > until { return false }
        return true
    }
}

/// The append-only record of security events: in memory in bounded shards (the newest
/// `AUDIT_MAX_ENTRIES` in all; entries older than `AUDIT_RETENTION_DAYS` are trimmed), journaled and
/// snapshotted like every other state, so an event that was recorded survives `kill -9`.
public final class AuditLog: Sendable {
    private let shards: [AuditShard]
    private let journal: (any MutationJournal)?
    private let clock: any WallClock
    private let sequence = Atomic<UInt64>(0)
    /// How long entries are kept (ms).
    public let retention: Int64
    /// How many entries are kept at most.
    public let capacity: Int
    public let trimmed = Counter()

    public init(
        capacity: Int = 500_000, retentionDays: Int = 90, shardCount: Int = 8, journal: (any MutationJournal)?,
        clock: any WallClock = SystemClock()
    ) {
        let count = max(1, shardCount)
        self.capacity = max(count, capacity)
        shards = (0..<count).map { _ in AuditShard(capacity: max(1, capacity / count), journal: journal) }
        self.journal = journal
        self.clock = clock
        retention = Int64(retentionDays) * 86_400_000
    }

    /// Entries go round the shards by sequence, so the count bound is the log's as a whole (the
    /// oldest entries go first, whoever they are about) and appends spread over every shard.
    private func shard(_ event: AuditEvent) -> AuditShard {
        shards[Int(event.sequence % UInt64(shards.count))]
    }

    /// Records an event; returns once it is durable.
    public func record(_ event: AuditEvent) async {
        if let ticket = await append(event), let journal { await journal.waitUntilDurable(ticket) }
    }

    /// Appends an event and returns its journal ticket without waiting: for a caller whose next
    /// durable step (a session written after it) makes it durable too.
    public func append(_ event: AuditEvent) async -> UInt64? {
        var event = event
        event.sequence = sequence.add(1, ordering: .relaxed).newValue
        if event.time == 0 { event.time = clock.milliseconds }
        return await shard(event).append(event)
    }

    /// The newest entries matching `query`, newest first.
    public func events(_ query: AuditQuery) async -> [AuditEvent] {
        var found: [AuditEvent] = []
        for shard in shards { found += await shard.matching(query) }
        found.sort { $0.sequence > $1.sequence }
        return Array(found.prefix(max(0, query.limit)))
    }

    /// Every entry, oldest first.
    public func all() async -> [AuditEvent] {
        var found: [AuditEvent] = []
        for shard in shards { found += await shard.all() }
        return found.sorted { $0.sequence < $1.sequence }
    }

    public func count() async -> Int {
        var total = 0
        for shard in shards { total += await shard.count }
        return total
    }

    /// Drops entries beyond the retention age (the count bound holds on every append).
    public func sweep() async {
        let cutoff = clock.milliseconds - retention
        for shard in shards { trimmed.increment(by: await shard.trim(before: cutoff)) }
    }

    func restore(_ event: AuditEvent) async {
        _ = sequence.max(event.sequence, ordering: .relaxed)
        await shard(event).insert(event)
    }
}

extension AuditLog {
    /// Records `kind` about `subject` (the attempted `email` when there is no account), from `client`;
    /// durable before it returns. The time is the log's clock's.
    public func record(
        _ kind: AuditKind, _ outcome: AuditOutcome = .ok, actor: String, subject: User? = nil, email: String? = nil,
        client: ClientInfo? = nil, detail: String? = nil
    ) async {
        await record(
            AuditEvent(
                time: 0, kind: kind, outcome: outcome, actor: actor, subject: subject?.id,
                email: subject?.email ?? email.map(User.normalizeEmail), ip: client?.ip, device: client?.userAgent,
                detail: detail))
    }
}
