import Synchronization

/// One shard of users, keyed by id. An actor: every operation is atomic within the shard, and each
/// change is handed to the journal inside that operation.
actor UserShard {
    private var users: [String: User] = [:]
    private let journal: (any MutationJournal)?
    /// Kept in step in the same turn as every change here.
    private let directory: UserDirectory

    init(journal: (any MutationJournal)?, directory: UserDirectory) {
        self.journal = journal
        self.directory = directory
    }

    func user(_ id: String) -> User? { users[id] }

    func insert(_ user: User) -> UInt64? {
        users[user.id] = user
        directory.put(user)
        return journal?.enqueue(UserEntry.put(user))
    }

    func update(_ id: String, _ change: @Sendable (inout User) -> Void) -> (User, UInt64?)? {
        guard var user = users[id] else { return nil }
        change(&user)
        users[id] = user
        directory.put(user)
        return (user, journal?.enqueue(UserEntry.put(user)))
    }

    func remove(_ id: String) -> (User, UInt64?)? {
        guard let removed = users.removeValue(forKey: id) else { return nil }
        directory.remove(id)
        return (removed, journal?.enqueue(UserEntry.delete(id: id)))
    }

    /// Restore and replay: no journaling.
    func restore(_ user: User) {
        users[user.id] = user
        directory.put(user)
    }

    func restoreRemove(_ id: String) -> User? {
        directory.remove(id)
        return users.removeValue(forKey: id)
    }

    func restore(batch: [User]) {
        users.reserveCapacity(users.count + batch.count)
        for user in batch {
            users[user.id] = user
            directory.put(user)
        }
    }

    func all() -> [User] { Array(users.values) }

    /// Hands every user to the directory in one step (its first build), without copying them out.
    func fillDirectory() { directory.fill(users.values) }

    var count: Int { users.count }
}

/// One shard of the unique index: normalised emails and provider ids (``UserStore/providerKey(_:_:)``)
/// → user id.
actor UniqueKeyShard {
    private var ids: [String: String] = [:]

    /// Claims `key` for `id`; false when another user holds it.
    func claim(_ key: String, for id: String) -> Bool {
        if ids[key] != nil { return false }
        ids[key] = id
        return true
    }

    func id(for key: String) -> String? { ids[key] }

    func claim(batch: [(String, String)]) {
        ids.reserveCapacity(ids.count + batch.count)
        for (email, id) in batch { ids[email] = id }
    }

    func release(_ email: String, from id: String) {
        if ids[email] == id { ids.removeValue(forKey: email) }
    }
}

/// Users, sharded by id across actors, with a unique email index sharded by email.
public final class UserStore: Sendable {
    private let shards: [UserShard]
    private let keyShards: [UniqueKeyShard]
    private let population = Atomic<Int>(0)
    private let journal: (any MutationJournal)?

    /// Every user as a searchable list (the admin dashboard's).
    public let directory = UserDirectory()

    public init(shardCount: Int, journal: (any MutationJournal)? = nil) {
        self.journal = journal
        shards = (0..<shardCount).map { [directory] _ in UserShard(journal: journal, directory: directory) }
        keyShards = (0..<shardCount).map { _ in UniqueKeyShard() }
    }

    private func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    private func shard(_ id: String) -> UserShard { shards[StableHash.shard(of: id, count: shards.count)] }
    private func keyShard(_ email: String) -> UniqueKeyShard {
        keyShards[StableHash.shard(of: email, count: keyShards.count)]
    }

    /// Users held.
    public var count: Int { population.load(ordering: .relaxed) }

    public enum CreateOutcome: Sendable, Equatable {
        case created(User)
        case emailTaken
    }

    /// Creates a user whose email is free. The first user ever created (while none exists) gets
    /// role ADMIN, exactly once even under concurrent registrations: the population counter's
    /// 0 → 1 step decides it.
    public func create(_ user: User, promoteFirstToAdmin: Bool = true) async -> CreateOutcome {
        let (outcome, ticket) = await createDeferringDurability(user, promoteFirstToAdmin: promoteFirstToAdmin)
        await durable(ticket)
        return outcome
    }

    /// `create` without waiting for the journal; the caller must `waitUntilDurable` on the returned
    /// ticket before acknowledging (bulk imports wait once, for the last one).
    public func createDeferringDurability(
        _ user: User, promoteFirstToAdmin: Bool = true
    ) async -> (CreateOutcome, UInt64?) {
        var user = user
        guard await keyShard(user.email).claim(user.email, for: user.id) else { return (.emailTaken, nil) }
        for key in Self.providerKeys(of: user) where await !keyShard(key).claim(key, for: user.id) {
            // Another account holds this provider id (a concurrent first social login): undo. Release
            // only frees keys this id holds, so the ones never claimed are left alone.
            await releaseKeys(of: user)
            return (.emailTaken, nil)
        }
        let previous = population.add(1, ordering: .sequentiallyConsistent).oldValue
        if promoteFirstToAdmin && previous == 0 { user.role = Role.admin }
        return (.created(user), await shard(user.id).insert(user))
    }

    /// Waits until the journal holds everything up to `ticket`.
    public func waitUntilDurable(_ ticket: UInt64?) async {
        await durable(ticket)
    }

    public func user(id: String) async -> User? {
        await shard(id).user(id)
    }

    public func user(email: String) async -> User? {
        let normalized = User.normalizeEmail(email)
        guard let id = await keyShard(normalized).id(for: normalized) else { return nil }
        return await shard(id).user(id)
    }

    /// The index key of a provider id. Emails never hold a NUL, so the two kinds cannot collide.
    public static func providerKey(_ field: String, _ value: String) -> String { "\u{0}\(field)\u{0}\(value)" }

    static func providerKeys(of user: User) -> [String] {
        user.providerIds.map { providerKey($0.key, $0.value) }
    }

    /// The user holding a provider id (`googleId`, ...).
    public func user(providerField field: String, value: String) async -> User? {
        let key = Self.providerKey(field, value)
        guard let id = await keyShard(key).id(for: key) else { return nil }
        return await shard(id).user(id)
    }

    /// Records a provider id on a user (account linking, migration) and applies `change` in the same
    /// step; nil when the user is gone or another user holds that id.
    public func link(
        id: String, field: String, value: String, _ change: @escaping @Sendable (inout User) -> Void
    ) async -> User? {
        let key = Self.providerKey(field, value)
        guard await keyShard(key).claim(key, for: id) else { return nil }
        let result = await shard(id).update(id) { user in
            change(&user)
            user.providerIds[field] = value
        }
        guard let (user, ticket) = result else {
            await keyShard(key).release(key, from: id)
            return nil
        }
        await durable(ticket)
        return user
    }

    /// Applies `change` atomically; the id, email and provider ids cannot be changed this way.
    public func update(id: String, _ change: @escaping @Sendable (inout User) -> Void) async -> User? {
        let result = await shard(id).update(id) { user in
            let (id, email, providerIds) = (user.id, user.email, user.providerIds)
            change(&user)
            user.id = id
            user.email = email
            user.providerIds = providerIds
        }
        guard let (user, ticket) = result else { return nil }
        await durable(ticket)
        return user
    }

    /// Removes the user and frees its email.
    public func delete(id: String) async -> User? {
        guard let (removed, ticket) = await shard(id).remove(id) else { return nil }
        await releaseKeys(of: removed)
        population.subtract(1, ordering: .sequentiallyConsistent)
        await durable(ticket)
        return removed
    }

    /// Restore and replay: writes `user` (insert or replace) without journaling.
    public func restore(_ user: User) async {
        let previous = await shard(user.id).restoreRemove(user.id)
        if let previous {
            await releaseKeys(of: previous)
        } else {
            population.add(1, ordering: .relaxed)
        }
        for key in [user.email] + Self.providerKeys(of: user) { _ = await keyShard(key).claim(key, for: user.id) }
        await shard(user.id).restore(user)
    }

    /// Loads a snapshot's users into an empty store in one call per shard.
    public func restore(batch: [User]) async {
        var byShard = [[User]](repeating: [], count: shards.count)
        var emails = [[(String, String)]](repeating: [], count: keyShards.count)
        for user in batch {
            byShard[StableHash.shard(of: user.id, count: shards.count)].append(user)
            for key in [user.email] + Self.providerKeys(of: user) {
                emails[StableHash.shard(of: key, count: keyShards.count)].append((key, user.id))
            }
        }
        for (index, users) in byShard.enumerated() where !users.isEmpty { await shards[index].restore(batch: users) }
        for (index, pairs) in emails.enumerated() where !pairs.isEmpty { await keyShards[index].claim(batch: pairs) }
        population.add(batch.count, ordering: .relaxed)
    }

    /// Restore and replay: removes a user without journaling.
    public func restoreDelete(id: String) async {
        guard let removed = await shard(id).restoreRemove(id) else { return }
        await releaseKeys(of: removed)
        population.subtract(1, ordering: .relaxed)
    }

    private func releaseKeys(of user: User) async {
        for key in [user.email] + Self.providerKeys(of: user) { await keyShard(key).release(key, from: user.id) }
    }

    /// A page of the users whose email, name, username, provider or role contains `query` (see
    /// ``UserDirectory``); the first call builds the directory.
    public func search(
        _ query: String, order: UserDirectory.Order = .newest, offset: Int = 0, limit: Int = 50
    ) async -> UserDirectory.Page {
        if !directory.isActive {
            await directory.activate {
                for shard in shards { await shard.fillDirectory() }
            }
        }
        return directory.search(query, order: order, offset: offset, limit: limit)
    }

    /// Every user (for listing and export), in no particular order.
    public func all() async -> [User] {
        var result: [User] = []
        for shard in shards { result += await shard.all() }
        return result
    }
}
