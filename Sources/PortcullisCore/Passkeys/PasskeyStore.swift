import PortcullisCrypto
import Synchronization

/// One shard of passkeys, by user. Every change is journaled in the same actor step; a use is
/// checked against the stored counter and recorded in one step, so two assertions of the same
/// counter value cannot both pass.
actor PasskeyShard {
    private var byUser: [String: [Passkey]] = [:]
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    func passkeys(_ userId: String) -> [Passkey] { byUser[userId] ?? [] }

    func add(_ passkey: Passkey) -> UInt64? {
        byUser[passkey.userId, default: []].append(passkey)
        return journal?.enqueue(PasskeyEntry.put(passkey))
    }

    func update(
        _ userId: String, _ credentialID: [UInt8], _ change: (inout Passkey) -> Bool
    ) -> (Passkey, UInt64?)? {
        guard var list = byUser[userId], let index = list.firstIndex(where: { $0.credentialID == credentialID }),
            change(&list[index])
        else { return nil }
        byUser[userId] = list
        return (list[index], journal?.enqueue(PasskeyEntry.put(list[index])))
    }

    func remove(_ userId: String, _ credentialID: [UInt8]) -> (Passkey, UInt64?)? {
        guard var list = byUser[userId], let index = list.firstIndex(where: { $0.credentialID == credentialID }) else {
            return nil
        }
        let removed = list.remove(at: index)
        byUser[userId] = list.isEmpty ? nil : list
        return (removed, journal?.enqueue(PasskeyEntry.delete(userId: userId, credentialID: credentialID)))
    }

    func removeAll(_ userId: String) -> ([Passkey], UInt64?) {
        guard let list = byUser.removeValue(forKey: userId) else { return ([], nil) }
        return (list, journal?.enqueue(PasskeyEntry.deleteAll(userId: userId)))
    }

    func all() -> [Passkey] { byUser.values.flatMap { $0 } }

    /// Restore and replay: no journaling. A put replaces the credential of the same ID.
    func restore(_ passkey: Passkey) {
        var list = byUser[passkey.userId] ?? []
        if let index = list.firstIndex(where: { $0.credentialID == passkey.credentialID }) {
            list[index] = passkey
        } else {
            list.append(passkey)
        }
        byUser[passkey.userId] = list
    }

    func restoreDelete(_ userId: String, _ credentialID: [UInt8]?) {
        guard let credentialID else {
            byUser.removeValue(forKey: userId)
            return
        }
        byUser[userId]?.removeAll { $0.credentialID == credentialID }
        if byUser[userId]?.isEmpty == true { byUser.removeValue(forKey: userId) }
    }
}

/// Passkeys, sharded by user id, with an index of every credential ID so that one credential can
/// belong to one account only (WebAuthn §7.1 step 22).
public final class PasskeyStore: Sendable {
    private let shards: [PasskeyShard]
    private let journal: (any MutationJournal)?
    private let owners = Mutex<[[UInt8]: String]>([:])

    public init(shardCount: Int, journal: (any MutationJournal)?) {
        self.journal = journal
        shards = (0..<max(1, shardCount)).map { _ in PasskeyShard(journal: journal) }
    }

    private func shard(_ userId: String) -> PasskeyShard { shards[StableHash.shard(of: userId, count: shards.count)] }

    private func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    public func passkeys(userId: String) async -> [Passkey] { await shard(userId).passkeys(userId) }

    public func passkey(userId: String, credentialID: [UInt8]) async -> Passkey? {
        await passkeys(userId: userId).first { $0.credentialID == credentialID }
    }

    public enum AddOutcome: Sendable, Equatable {
        case added
        /// The credential is registered already (to this account or another).
        case exists
        case tooMany
    }

    /// Adds a passkey, durably, unless its credential ID is taken or the account has its maximum.
    public func add(_ passkey: Passkey) async -> AddOutcome {
        let claimed = owners.withLock { owners -> Bool in
            guard owners[passkey.credentialID] == nil else { return false }
            owners[passkey.credentialID] = passkey.userId
            return true
        }
        guard claimed else { return .exists }
        let shard = shard(passkey.userId)
        guard await shard.passkeys(passkey.userId).count < Passkey.maximumPerUser else {
            _ = owners.withLock { $0.removeValue(forKey: passkey.credentialID) }
            return .tooMany
        }
        await durable(await shard.add(passkey))
        return .added
    }

    /// Records an assertion: the new counter must still be above the stored one (when either counts).
    public func recordUse(
        userId: String, credentialID: [UInt8], signCount: UInt32, backedUp: Bool, at now: Int64
    ) async -> Passkey? {
        guard
            let (passkey, ticket) = await shard(userId).update(
                userId, credentialID,
                { passkey in
                    // Checked again here, in the actor: two assertions of one counter value cannot both pass.
                    guard WebAuthnRelyingParty.counterAdvances(from: passkey.signCount, to: signCount) else {
                        return false
                    }
                    passkey.signCount = signCount
                    passkey.backedUp = backedUp
                    passkey.lastUsedAt = now
                    return true
                })
        else { return nil }
        await durable(ticket)
        return passkey
    }

    @discardableResult
    public func rename(userId: String, credentialID: [UInt8], to name: String) async -> Passkey? {
        guard
            let (passkey, ticket) = await shard(userId).update(
                userId, credentialID,
                { passkey in
                    passkey.name = name
                    return true
                })
        else { return nil }
        await durable(ticket)
        return passkey
    }

    @discardableResult
    public func remove(userId: String, credentialID: [UInt8]) async -> Passkey? {
        guard let (removed, ticket) = await shard(userId).remove(userId, credentialID) else { return nil }
        _ = owners.withLock { $0.removeValue(forKey: credentialID) }
        await durable(ticket)
        return removed
    }

    /// Every passkey of a deleted account.
    public func removeAll(userId: String) async {
        let (removed, ticket) = await shard(userId).removeAll(userId)
        owners.withLock { owners in for passkey in removed { owners.removeValue(forKey: passkey.credentialID) } }
        await durable(ticket)
    }

    public func all() async -> [Passkey] {
        var result: [Passkey] = []
        for shard in shards { result += await shard.all() }
        return result
    }

    public var count: Int { owners.withLock { $0.count } }

    func restore(_ passkey: Passkey) async {
        await shard(passkey.userId).restore(passkey)
        owners.withLock { $0[passkey.credentialID] = passkey.userId }
    }

    func restoreDelete(userId: String, credentialID: [UInt8]?) async {
        let gone = await shard(userId).passkeys(userId).map(\.credentialID).filter {
            credentialID == nil || $0 == credentialID
        }
        await shard(userId).restoreDelete(userId, credentialID)
        owners.withLock { owners in for id in gone { owners.removeValue(forKey: id) } }
    }
}
