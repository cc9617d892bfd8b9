/// One-time tokens in the journal (tags 9 put, 10 delete) and in snapshots (`T`).
public enum TokenEntry: JournalEntry {
    case put(OneTimeToken)
    case delete(hash: String)

    public static let tags: [UInt8] = [9, 10]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let token):
            writer.u8(9)
            writer.token(token)
        case .delete(let hash):
            writer.u8(10)
            writer.string(hash)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> TokenEntry {
        tag == 9 ? .put(try reader.token()) : .delete(hash: try reader.string())
    }
}

extension BinaryWriter {
    mutating func token(_ token: OneTimeToken) {
        string(token.hash)
        string(token.kind.rawValue)
        string(token.userId)
        string(token.email)
        i64(token.expiresAt)
    }
}

extension BinaryReader {
    mutating func token() throws(DecodeError) -> OneTimeToken {
        let hash = try string()
        guard let kind = OneTimeToken.Kind(rawValue: try string()) else {
            throw DecodeError(description: "unknown token kind at byte \(offset)")
        }
        return OneTimeToken(hash: hash, kind: kind, userId: try string(), email: try string(), expiresAt: try i64())
    }
}

extension OneTimeTokens: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "T")]
    public static let firstSnapshotVersion: UInt32 = 2

    public func replay(_ entry: TokenEntry) async {
        switch entry {
        case .put(let token): await restore(token)
        case .delete(let hash): await restoreDelete(hash: hash)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for token in await all() { try sink.record(tag: UInt8(ascii: "T")) { $0.token(token) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.token() },
            load: { [self] tokens in for token in tokens { await restore(token) } })
    }
}
