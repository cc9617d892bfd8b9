/// Passkeys in the journal (tags 19 put, 20 delete one, 21 delete an account's all) and in
/// snapshots (`P`, from version 6).
public enum PasskeyEntry: JournalEntry {
    case put(Passkey)
    case delete(userId: String, credentialID: [UInt8])
    case deleteAll(userId: String)

    public static let tags: [UInt8] = [19, 20, 21]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let passkey):
            writer.u8(19)
            writer.passkey(passkey)
        case .delete(let userId, let credentialID):
            writer.u8(20)
            writer.string(userId)
            writer.data(credentialID)
        case .deleteAll(let userId):
            writer.u8(21)
            writer.string(userId)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> PasskeyEntry {
        switch tag {
        case 19: return .put(try reader.passkey())
        case 20: return .delete(userId: try reader.string(), credentialID: try reader.data(limit: 1023))
        default: return .deleteAll(userId: try reader.string())
        }
    }
}

extension BinaryWriter {
    mutating func passkey(_ passkey: Passkey) {
        data(passkey.credentialID)
        string(passkey.userId)
        data(passkey.publicKey)
        string(passkey.name)
        u32(passkey.signCount)
        bool(passkey.backupEligible)
        bool(passkey.backedUp)
        data(passkey.aaguid)
        i64(passkey.createdAt)
        optionalInt64(passkey.lastUsedAt)
    }
}

extension BinaryReader {
    mutating func passkey() throws(DecodeError) -> Passkey {
        Passkey(
            credentialID: try data(limit: 1023), userId: try string(), publicKey: try data(limit: 2048),
            name: try string(), signCount: try u32(), backupEligible: try bool(), backedUp: try bool(),
            aaguid: try data(limit: 16), createdAt: try i64(), lastUsedAt: try optionalInt64())
    }
}

extension PasskeyStore: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "P")]
    public static let firstSnapshotVersion: UInt32 = 6

    public func replay(_ entry: PasskeyEntry) async {
        switch entry {
        case .put(let passkey): await restore(passkey)
        case .delete(let userId, let credentialID): await restoreDelete(userId: userId, credentialID: credentialID)
        case .deleteAll(let userId): await restoreDelete(userId: userId, credentialID: nil)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for passkey in await all() { try sink.record(tag: UInt8(ascii: "P")) { $0.passkey(passkey) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.passkey() },
            load: { [self] passkeys in for passkey in passkeys { await restore(passkey) } })
    }
}
