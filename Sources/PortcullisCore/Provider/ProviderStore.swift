import PortcullisCrypto
import Synchronization

/// One shard of the provider's codes, grants and consents. A code lives in the shard of the grant
/// it creates, so redeeming it and creating (or, on replay, revoking) the grant is one step.
actor ProviderShard {
    private var codes: [String: AuthorizationCode] = [:]
    private var grants: [String: ProviderGrant] = [:]
    private var consents: [String: ProviderConsent] = [:]
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    static func consentKey(_ userId: String, _ clientId: String) -> String { userId + " " + clientId }

    func insert(_ code: AuthorizationCode) -> UInt64? {
        codes[code.grantId] = code
        return journal?.enqueue(ProviderEntry.putCode(code))
    }

    func redeem(
        grantId: String, codeHash: [UInt8], now: Int64,
        makeGrant: @Sendable (AuthorizationCode) -> Result<ProviderGrant, ProviderError>
    ) -> (CodeRedemption, UInt64?) {
        guard var code = codes[grantId], ConstantTime.equals(code.codeHash, codeHash), now < code.forgottenAt else {
            return (.unknown, nil)
        }
        if code.redeemed {
            let ticket =
                grants.removeValue(forKey: grantId) != nil
                ? journal?.enqueue(ProviderEntry.deleteGrant(id: grantId)) : nil
            return (.replayed(code), ticket)
        }
        guard now < code.expiresAt else { return (.expired, nil) }
        let grant: ProviderGrant
        switch makeGrant(code) {
        case .success(let made): grant = made
        case .failure(let refusal): return (.refused(refusal), nil)
        }
        code.redeemed = true
        codes[grantId] = code
        grants[grantId] = grant
        _ = journal?.enqueue(ProviderEntry.putCode(code))
        return (.issued(code, grant), journal?.enqueue(ProviderEntry.putGrant(grant)))
    }

    func refresh(id: String, generation: Int, now: Int64, grace: Int64) -> (GrantRefresh, UInt64?) {
        guard var grant = grants[id] else { return (.notFound, nil) }
        guard grant.expiresAt > now else {
            grants.removeValue(forKey: id)
            return (.expired, journal?.enqueue(ProviderEntry.deleteGrant(id: id)))
        }
        if generation == grant.generation {
            grant.generation += 1
            grant.rotatedAt = now
            grants[id] = grant
            return (.rotated(grant), journal?.enqueue(ProviderEntry.putGrant(grant)))
        }
        if generation == grant.generation - 1, now - grant.rotatedAt <= grace {
            return (.replayedWithinGrace(grant), nil)
        }
        grants.removeValue(forKey: id)
        return (.reuseDetected, journal?.enqueue(ProviderEntry.deleteGrant(id: id)))
    }

    func grant(_ id: String) -> ProviderGrant? { grants[id] }

    func removeGrant(_ id: String) -> (ProviderGrant, UInt64?)? {
        guard let grant = grants.removeValue(forKey: id) else { return nil }
        return (grant, journal?.enqueue(ProviderEntry.deleteGrant(id: id)))
    }

    /// Removes the grants `matching` says; returns how many and the last ticket.
    func removeGrants(matching: (ProviderGrant) -> Bool) -> (Int, UInt64?) {
        let doomed = grants.values.filter(matching).map(\.id)
        var last: UInt64?
        for id in doomed {
            grants.removeValue(forKey: id)
            last = journal?.enqueue(ProviderEntry.deleteGrant(id: id))
        }
        return (doomed.count, last)
    }

    func grants(of userId: String) -> [ProviderGrant] { grants.values.filter { $0.userId == userId } }

    func consent(userId: String, clientId: String) -> ProviderConsent? {
        consents[Self.consentKey(userId, clientId)]
    }

    func consents(of userId: String) -> [ProviderConsent] { consents.values.filter { $0.userId == userId } }

    func insert(_ consent: ProviderConsent) -> UInt64? {
        consents[Self.consentKey(consent.userId, consent.clientId)] = consent
        return journal?.enqueue(ProviderEntry.putConsent(consent))
    }

    func removeConsents(userId: String?, clientId: String?) -> UInt64? {
        let doomed = consents.filter {
            (userId == nil || $0.value.userId == userId)
                && (clientId == nil || $0.value.clientId == clientId)
        }
        var last: UInt64?
        for (key, consent) in doomed {
            consents.removeValue(forKey: key)
            last = journal?.enqueue(ProviderEntry.deleteConsent(userId: consent.userId, clientId: consent.clientId))
        }
        return last
    }

    func sweep(now: Int64) {
        // An unspent code is worthless once expired; a spent one is remembered to catch its replay.
        codes = codes.filter { ($0.value.redeemed ? $0.value.forgottenAt : $0.value.expiresAt) > now }
        grants = grants.filter { $0.value.expiresAt > now }
    }

    // Restore and replay: no journaling.
    func restore(_ code: AuthorizationCode) { codes[code.grantId] = code }
    func restore(_ grant: ProviderGrant) { grants[grant.id] = grant }
    func restore(_ consent: ProviderConsent) { consents[Self.consentKey(consent.userId, consent.clientId)] = consent }
    func restoreDeleteGrant(_ id: String) { grants.removeValue(forKey: id) }
    func restoreDeleteConsent(userId: String, clientId: String) {
        consents.removeValue(forKey: Self.consentKey(userId, clientId))
    }

    func all() -> ([AuthorizationCode], [ProviderGrant], [ProviderConsent]) {
        (Array(codes.values), Array(grants.values), Array(consents.values))
    }
}

/// The OpenID provider's durable state: registered clients (a small map behind a lock, read on
/// every token request), and codes, grants and consents sharded across actors.
public final class ProviderStore: Sendable {
    private let shards: [ProviderShard]
    private let clientMap = Mutex<[String: ProviderClient]>([:])
    let journal: (any MutationJournal)?

    public init(shardCount: Int, journal: (any MutationJournal)? = nil) {
        self.journal = journal
        shards = (0..<max(1, shardCount)).map { _ in ProviderShard(journal: journal) }
    }

    func shard(_ key: String) -> ProviderShard { shards[StableHash.shard(of: key, count: shards.count)] }

    private func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    // MARK: Clients

    public func client(id: String) -> ProviderClient? { clientMap.withLock { $0[id] } }

    /// Every client, by name.
    public var clients: [ProviderClient] {
        clientMap.withLock { Array($0.values) }.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    /// Adds or replaces a client; a declared one is not journaled (the file declares it again).
    public func put(_ client: ProviderClient) async {
        let ticket = clientMap.withLock { map -> UInt64? in
            map[client.id] = client
            return client.declared ? nil : journal?.enqueue(ProviderEntry.putClient(client))
        }
        await durable(ticket)
    }

    /// Removes a client with its grants and consents; `nil` when there is no such (registered) client.
    public func removeClient(id: String) async -> ProviderClient? {
        let removed = clientMap.withLock { map -> (ProviderClient, UInt64?)? in
            guard let client = map[id], !client.declared else { return nil }
            map.removeValue(forKey: id)
            return (client, journal?.enqueue(ProviderEntry.deleteClient(id: id)))
        }
        guard let (client, ticket) = removed else { return nil }
        await durable(ticket)
        _ = await removeGrants { $0.clientId == id }
        var last: UInt64?
        for shard in shards { last = await shard.removeConsents(userId: nil, clientId: id) ?? last }
        await durable(last)
        return client
    }

    // MARK: Codes and grants

    public func insert(_ code: AuthorizationCode) async {
        await durable(await shard(code.grantId).insert(code))
    }

    /// Redeems a code: on success its grant exists (made by `makeGrant`) when this returns; a
    /// failure refuses the redemption and leaves the code as it was.
    public func redeem(
        grantId: String, codeHash: [UInt8], now: Int64,
        makeGrant: @escaping @Sendable (AuthorizationCode) -> Result<ProviderGrant, ProviderError>
    ) async -> CodeRedemption {
        let (outcome, ticket) = await shard(grantId).redeem(
            grantId: grantId, codeHash: codeHash, now: now, makeGrant: makeGrant)
        await durable(ticket)
        return outcome
    }

    public func refresh(grantId: String, generation: Int, now: Int64, grace: Int64) async -> GrantRefresh {
        let (outcome, ticket) = await shard(grantId).refresh(
            id: grantId, generation: generation, now: now, grace: grace)
        await durable(ticket)
        return outcome
    }

    public func grant(id: String) async -> ProviderGrant? { await shard(id).grant(id) }

    @discardableResult
    public func removeGrant(id: String) async -> ProviderGrant? {
        guard let (grant, ticket) = await shard(id).removeGrant(id) else { return nil }
        await durable(ticket)
        return grant
    }

    /// Removes every grant `matching` accepts (a user's, a browser session's, a client's); returns how many.
    @discardableResult
    public func removeGrants(matching: @escaping @Sendable (ProviderGrant) -> Bool) async -> Int {
        var total = 0
        var last: UInt64?
        for shard in shards {
            let (removed, ticket) = await shard.removeGrants(matching: matching)
            total += removed
            last = ticket ?? last
        }
        await durable(last)
        return total
    }

    /// A user's live grants (the account page), newest first.
    public func grants(userId: String) async -> [ProviderGrant] {
        var result: [ProviderGrant] = []
        for shard in shards { result += await shard.grants(of: userId) }
        return result.sorted { $0.createdAt > $1.createdAt }
    }

    // MARK: Consents

    public func consent(userId: String, clientId: String) async -> ProviderConsent? {
        await shard(userId).consent(userId: userId, clientId: clientId)
    }

    /// A user's consents (they live in the user's shard).
    public func consents(userId: String) async -> [ProviderConsent] { await shard(userId).consents(of: userId) }

    public func insert(_ consent: ProviderConsent) async {
        await durable(await shard(consent.userId).insert(consent))
    }

    /// Forgets a user's consents (account deletion), or one client's.
    public func removeConsents(userId: String, clientId: String? = nil) async {
        await durable(await shard(userId).removeConsents(userId: userId, clientId: clientId))
    }

    public func sweep(now: Int64) async {
        for shard in shards { await shard.sweep(now: now) }
    }

    // MARK: Restore

    func restore(_ client: ProviderClient) { clientMap.withLock { $0[client.id] = client } }
    func restoreDeleteClient(_ id: String) { clientMap.withLock { _ = $0.removeValue(forKey: id) } }
    func restore(_ code: AuthorizationCode) async { await shard(code.grantId).restore(code) }
    func restore(_ grant: ProviderGrant) async { await shard(grant.id).restore(grant) }
    func restore(_ consent: ProviderConsent) async { await shard(consent.userId).restore(consent) }
    func restoreDeleteGrant(_ id: String) async { await shard(id).restoreDeleteGrant(id) }
    func restoreDeleteConsent(userId: String, clientId: String) async {
        await shard(userId).restoreDeleteConsent(userId: userId, clientId: clientId)
    }

    func all() async -> (clients: [ProviderClient], [AuthorizationCode], [ProviderGrant], [ProviderConsent]) {
        var codes: [AuthorizationCode] = [], grants: [ProviderGrant] = [], consents: [ProviderConsent] = []
        for shard in shards {
            let (c, g, k) = await shard.all()
            codes += c
            grants += g
            consents += k
        }
        return (clientMap.withLock { $0.values.filter { !$0.declared } }, codes, grants, consents)
    }
}
