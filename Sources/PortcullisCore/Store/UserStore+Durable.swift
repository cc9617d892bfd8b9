/// Users in the journal (tags 1, 13 put; 2 delete) and in snapshots (`U`).
public enum UserEntry: JournalEntry {
    case put(User)
    case delete(id: String)

    public static let tags: [UInt8] = [1, 2, 13]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let user):
            writer.u8(13)
            writer.user(user, layout: .v2)
        case .delete(let id):
            writer.u8(2)
            writer.string(id)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> UserEntry {
        switch tag {
        case 1: .put(try reader.user(.v1))
        case 13: .put(try reader.user(.v2))
        default: .delete(id: try reader.string())
        }
    }
}

extension BinaryWriter {
    public mutating func user(_ user: User, layout: RecordLayout) {
        string(user.id)
        string(user.name)
        string(user.username)
        string(user.email)
        bool(user.emailVerified)
        optionalString(user.passwordHash)
        optionalString(user.avatar)
        string(user.provider)
        string(user.role)
        u32(UInt32(user.providerIds.count))
        for (key, value) in user.providerIds.sorted(by: { $0.key < $1.key }) {
            string(key)
            string(value)
        }
        optionalString(user.openidIssuer)
        bool(user.twoFactorEnabled)
        bool(user.termsAccepted)
        i64(user.createdAt)
        i64(user.updatedAt)
        guard layout >= .v2 else { return }
        optionalInt64(user.termsAcceptedAt)
        i64(user.devicesRevokedAt)
    }
}

extension BinaryReader {
    public mutating func user(_ layout: RecordLayout) throws(DecodeError) -> User {
        let id = try string(), name = try string(), username = try string(), email = try string()
        let emailVerified = try bool()
        let passwordHash = try optionalString(), avatar = try optionalString()
        let provider = try string(), role = try string()
        let count = Int(try u32())
        guard count <= 64 else { throw DecodeError(description: "too many provider ids at byte \(offset)") }
        var providerIds: [String: String] = [:]
        for _ in 0..<count { providerIds[try string()] = try string() }
        let issuer = try optionalString()
        let twoFactor = try bool(), terms = try bool()
        let created = try i64(), updated = try i64()
        var termsAcceptedAt: Int64?
        var devicesRevokedAt: Int64 = 0
        if layout >= .v2 {
            termsAcceptedAt = try optionalInt64()
            devicesRevokedAt = try i64()
        }
        return User(
            id: id, name: name, username: username, email: email, emailVerified: emailVerified,
            passwordHash: passwordHash,
            avatar: avatar, provider: provider, role: role, providerIds: providerIds, openidIssuer: issuer,
            twoFactorEnabled: twoFactor, termsAccepted: terms, termsAcceptedAt: termsAcceptedAt,
            devicesRevokedAt: devicesRevokedAt, createdAt: created, updatedAt: updated)
    }
}

extension UserStore: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "U")]
    public static let firstSnapshotVersion: UInt32 = 1

    public func replay(_ entry: UserEntry) async {
        switch entry {
        case .put(let user): await restore(user)
        case .delete(let id): await restoreDelete(id: id)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        let layout = sink.layout
        for user in await all() { try sink.record(tag: UInt8(ascii: "U")) { $0.user(user, layout: layout) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: RecordLayout(snapshotVersion: version),
            decode: { _, reader, layout throws(DecodeError) in try reader.user(layout) },
            load: { [self] in await restore(batch: $0) })
    }
}

/// A loader that decodes records of one type and hands the whole batch to the store at the end.
final class BatchLoader<Value>: SnapshotLoader {
    private var values: [Value] = []
    private let layout: RecordLayout
    private let decode: (UInt8, inout BinaryReader, RecordLayout) throws(DecodeError) -> Value
    private let loadBatch: ([Value]) async -> Void

    init(
        layout: RecordLayout, decode: @escaping (UInt8, inout BinaryReader, RecordLayout) throws(DecodeError) -> Value,
        load: @escaping ([Value]) async -> Void
    ) {
        self.layout = layout
        self.decode = decode
        loadBatch = load
    }

    func read(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) {
        values.append(try decode(tag, &reader, layout))
    }

    func load() async {
        await loadBatch(values)
        values = []
    }
}
