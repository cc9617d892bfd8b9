/// Violation counts and bans in the journal (tags 6 count, 7 ban, 8 unban) and in snapshots
/// (`V`, `B`).
public enum ModerationEntry: JournalEntry {
    case violation(subject: String, type: String, count: Int)
    case ban(Ban)
    case unban(subject: String)

    public static let tags: [UInt8] = [6, 7, 8]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .violation(let subject, let type, let count):
            writer.u8(6)
            writer.violation(subject: subject, type: type, count: count)
        case .ban(let ban):
            writer.u8(7)
            writer.ban(ban)
        case .unban(let subject):
            writer.u8(8)
            writer.string(subject)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> ModerationEntry {
        switch tag {
        case 6: .violation(subject: try reader.string(), type: try reader.string(), count: Int(try reader.i64()))
        case 7: .ban(try reader.ban())
        default: .unban(subject: try reader.string())
        }
    }
}

extension BinaryWriter {
    mutating func violation(subject: String, type: String, count: Int) {
        string(subject)
        string(type)
        i64(Int64(count))
    }

    mutating func ban(_ ban: Ban) {
        string(ban.subject)
        i64(ban.expiresAt)
        string(ban.type)
    }
}

extension BinaryReader {
    mutating func ban() throws(DecodeError) -> Ban {
        Ban(subject: try string(), expiresAt: try i64(), type: try string())
    }
}

extension Moderation: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "V"), UInt8(ascii: "B")]
    public static let firstSnapshotVersion: UInt32 = 2

    public func replay(_ entry: ModerationEntry) async {
        switch entry {
        case .violation(let subject, let type, let count): await restore(violation: subject, type: type, count: count)
        case .ban(let ban): await restore(ban: ban)
        case .unban(let subject): await restoreUnban(subject: subject)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for (subject, type, count) in await violationCounts() {
            try sink.record(tag: UInt8(ascii: "V")) { $0.violation(subject: subject, type: type, count: count) }
        }
        for ban in await bans() { try sink.record(tag: UInt8(ascii: "B")) { $0.ban(ban) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: RecordLayout(snapshotVersion: version),
            // A snapshot's `V` and `B` records are the payloads of the journal's violation and ban entries.
            decode: { tag, reader, _ throws(DecodeError) in
                try ModerationEntry.decode(tag: tag == UInt8(ascii: "V") ? 6 : 7, from: &reader)
            },
            load: { [self] entries in for entry in entries { await replay(entry) } })
    }
}
