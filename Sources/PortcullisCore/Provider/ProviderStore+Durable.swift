/// The provider's changes in the journal (tags 24–30) and its snapshot records: `C` client,
/// `c` code, `G` grant, `K` consent. Declared clients are neither: their file declares them.
public enum ProviderEntry: JournalEntry {
    case putClient(ProviderClient)
    case deleteClient(id: String)
    case putCode(AuthorizationCode)
    case putGrant(ProviderGrant)
    case deleteGrant(id: String)
    case putConsent(ProviderConsent)
    case deleteConsent(userId: String, clientId: String)

    public static let tags: [UInt8] = [24, 25, 26, 27, 28, 29, 30]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .putClient(let client):
            writer.u8(24)
            writer.providerClient(client)
        case .deleteClient(let id):
            writer.u8(25)
            writer.string(id)
        case .putCode(let code):
            writer.u8(26)
            writer.authorizationCode(code)
        case .putGrant(let grant):
            writer.u8(27)
            writer.providerGrant(grant)
        case .deleteGrant(let id):
            writer.u8(28)
            writer.string(id)
        case .putConsent(let consent):
            writer.u8(29)
            writer.providerConsent(consent)
        case .deleteConsent(let userId, let clientId):
            writer.u8(30)
            writer.string(userId)
            writer.string(clientId)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> ProviderEntry {
        switch tag {
        case 24: .putClient(try reader.providerClient())
        case 25: .deleteClient(id: try reader.string())
        case 26: .putCode(try reader.authorizationCode())
        case 27: .putGrant(try reader.providerGrant())
        case 28: .deleteGrant(id: try reader.string())
        case 29: .putConsent(try reader.providerConsent())
        default: .deleteConsent(userId: try reader.string(), clientId: try reader.string())
        }
    }
}

extension BinaryWriter {
    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { string(value) }
    }

    mutating func providerClient(_ client: ProviderClient) {
        string(client.id)
        string(client.name)
        data(client.secretHash)
        strings(client.redirectURIs)
        strings(client.postLogoutRedirectURIs)
        bool(client.isPublic)
        bool(client.firstParty)
        string(client.signingAlgorithm)
        i64(client.createdAt)
    }

    mutating func authorizationCode(_ code: AuthorizationCode) {
        string(code.grantId)
        data(code.codeHash)
        string(code.clientId)
        string(code.userId)
        string(code.redirectURI)
        string(code.scope)
        optionalString(code.nonce)
        optionalString(code.challenge)
        i64(code.authTime)
        string(code.method)
        string(code.browserSession)
        i64(code.issuedAt)
        bool(code.redeemed)
    }

    mutating func providerGrant(_ grant: ProviderGrant) {
        string(grant.id)
        string(grant.clientId)
        string(grant.userId)
        string(grant.scope)
        string(grant.browserSession)
        i64(grant.authTime)
        string(grant.method)
        i64(Int64(grant.generation))
        i64(grant.rotatedAt)
        i64(grant.createdAt)
        i64(grant.expiresAt)
    }

    mutating func providerConsent(_ consent: ProviderConsent) {
        string(consent.userId)
        string(consent.clientId)
        string(consent.scope)
        i64(consent.grantedAt)
    }
}

extension BinaryReader {
    mutating func strings() throws(DecodeError) -> [String] {
        let count = try u32()
        guard count <= UInt32(ProviderClient.maximumURIs) else { throw DecodeError(description: "too many URIs") }
        var values: [String] = []
        for _ in 0..<count { values.append(try string()) }
        return values
    }

    mutating func providerClient() throws(DecodeError) -> ProviderClient {
        ProviderClient(
            id: try string(), name: try string(), secretHash: try data(limit: 64), redirectURIs: try strings(),
            postLogoutRedirectURIs: try strings(), isPublic: try bool(), firstParty: try bool(),
            signingAlgorithm: try string(), createdAt: try i64())
    }

    mutating func authorizationCode() throws(DecodeError) -> AuthorizationCode {
        AuthorizationCode(
            grantId: try string(), codeHash: try data(limit: 64), clientId: try string(), userId: try string(),
            redirectURI: try string(), scope: try string(), nonce: try optionalString(),
            challenge: try optionalString(), authTime: try i64(), method: try string(),
            browserSession: try string(), issuedAt: try i64(), redeemed: try bool())
    }

    mutating func providerGrant() throws(DecodeError) -> ProviderGrant {
        ProviderGrant(
            id: try string(), clientId: try string(), userId: try string(), scope: try string(),
            browserSession: try string(), authTime: try i64(), method: try string(), generation: Int(try i64()),
            rotatedAt: try i64(), createdAt: try i64(), expiresAt: try i64())
    }

    mutating func providerConsent() throws(DecodeError) -> ProviderConsent {
        ProviderConsent(userId: try string(), clientId: try string(), scope: try string(), grantedAt: try i64())
    }
}

extension ProviderStore: DurableState {
    static let clientTag = UInt8(ascii: "C"), codeTag = UInt8(ascii: "c"), grantTag = UInt8(ascii: "G")
    static let consentTag = UInt8(ascii: "K")
    public static let snapshotTags: [UInt8] = [clientTag, codeTag, grantTag, consentTag]
    public static let firstSnapshotVersion: UInt32 = 8

    public func replay(_ entry: ProviderEntry) async {
        switch entry {
        case .putClient(let client): restore(client)
        case .deleteClient(let id): restoreDeleteClient(id)
        case .putCode(let code): await restore(code)
        case .putGrant(let grant): await restore(grant)
        case .deleteGrant(let id): await restoreDeleteGrant(id)
        case .putConsent(let consent): await restore(consent)
        case .deleteConsent(let userId, let clientId): await restoreDeleteConsent(userId: userId, clientId: clientId)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        let (clients, codes, grants, consents) = await all()
        for client in clients { try sink.record(tag: Self.clientTag) { $0.providerClient(client) } }
        for code in codes { try sink.record(tag: Self.codeTag) { $0.authorizationCode(code) } }
        for grant in grants { try sink.record(tag: Self.grantTag) { $0.providerGrant(grant) } }
        for consent in consents { try sink.record(tag: Self.consentTag) { $0.providerConsent(consent) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader { ProviderLoader(store: self) }
}

/// Reads the provider's four record kinds.
final class ProviderLoader: SnapshotLoader {
    private let store: ProviderStore
    private var entries: [ProviderEntry] = []

    init(store: ProviderStore) { self.store = store }

    func read(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) {
        switch tag {
        case ProviderStore.clientTag: entries.append(.putClient(try reader.providerClient()))
        case ProviderStore.codeTag: entries.append(.putCode(try reader.authorizationCode()))
        case ProviderStore.grantTag: entries.append(.putGrant(try reader.providerGrant()))
        default: entries.append(.putConsent(try reader.providerConsent()))
        }
    }

    func load() async {
        for entry in entries { await store.replay(entry) }
        entries = []
    }
}
