/// Sessions in the journal (tags 3, 14, 18, 23 put in layouts v1, v2, v3, v4; 4 delete; 5 delete every
/// session of a user) and in snapshots (`S`).
public enum SessionEntry: JournalEntry {
    case put(Session)
    case delete(id: String)
    case deleteAll(userId: String)

    public static let tags: [UInt8] = [3, 4, 5, 14, 18, 23]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let session):
            writer.u8(23)
            writer.session(session, layout: .v4)
        case .delete(let id):
            writer.u8(4)
            writer.string(id)
        case .deleteAll(let userId):
            writer.u8(5)
            writer.string(userId)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> SessionEntry {
        switch tag {
        case 3: .put(try reader.session(.v1))
        case 14: .put(try reader.session(.v2))
        case 18: .put(try reader.session(.v3))
        case 23: .put(try reader.session(.v4))
        case 4: .delete(id: try reader.string())
        default: .deleteAll(userId: try reader.string())
        }
    }
}

extension BinaryWriter {
    public mutating func session(_ session: Session, layout: RecordLayout) {
        string(session.id)
        string(session.userId)
        data(session.currentHash)
        bool(session.previousHash != nil)
        if let previous = session.previousHash { data(previous) }
        i64(Int64(session.generation))
        i64(session.rotatedAt)
        i64(session.createdAt)
        i64(session.expiresAt)
        if layout >= .v2 { optionalString(session.idToken) }
        guard layout >= .v3 else { return }
        optionalString(session.userAgent)
        optionalString(session.ip)
        i64(session.lastUsedAt)
        if layout >= .v4 { optionalString(session.method) }
    }
}

extension BinaryReader {
    public mutating func session(_ layout: RecordLayout) throws(DecodeError) -> Session {
        let id = try string(), userId = try string()
        let current = try data(limit: 64)
        let previous = try bool() ? try data(limit: 64) : nil
        let generation = Int(try i64())
        let rotatedAt = try i64(), createdAt = try i64(), expiresAt = try i64()
        let idToken = layout >= .v2 ? try optionalString() : nil
        var session = Session(
            id: id, userId: userId, currentHash: current, previousHash: previous, generation: generation,
            rotatedAt: rotatedAt, createdAt: createdAt, expiresAt: expiresAt, idToken: idToken)
        if layout >= .v3 {
            session.userAgent = try optionalString()
            session.ip = try optionalString()
            session.lastUsedAt = try i64()
        }
        if layout >= .v4 { session.method = try optionalString() }
        return session
    }
}

extension SessionStore: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "S")]
    public static let firstSnapshotVersion: UInt32 = 1

    public func replay(_ entry: SessionEntry) async {
        switch entry {
        case .put(let session): await restore(session)
        case .delete(let id): await restoreDelete(id: id)
        case .deleteAll(let userId): await restoreDeleteAll(userId: userId)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        let layout = sink.layout
        for session in await all() { try sink.record(tag: UInt8(ascii: "S")) { $0.session(session, layout: layout) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: RecordLayout(snapshotVersion: version),
            decode: { _, reader, layout throws(DecodeError) in try reader.session(layout) },
            load: { [self] in await restore(batch: $0) })
    }
}
