/// Second factors in the journal (tags 16 put, 17 delete) and in snapshots (`F`, from version 4).
/// Secrets are written as sealed: nothing here holds a TOTP secret in clear.
public enum TwoFactorEntry: JournalEntry {
    case put(TwoFactorRecord)
    case delete(userId: String)

    public static let tags: [UInt8] = [16, 17]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let record):
            writer.u8(16)
            writer.twoFactor(record)
        case .delete(let userId):
            writer.u8(17)
            writer.string(userId)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> TwoFactorEntry {
        tag == 16 ? .put(try reader.twoFactor()) : .delete(userId: try reader.string())
    }
}

extension BinaryWriter {
    mutating func optionalData(_ value: [UInt8]?) {
        bool(value != nil)
        if let value { data(value) }
    }

    mutating func backupCodes(_ codes: [BackupCode]) {
        u32(UInt32(codes.count))
        for code in codes {
            string(code.hash)
            optionalInt64(code.usedAt)
        }
    }

    mutating func twoFactor(_ record: TwoFactorRecord) {
        string(record.userId)
        optionalData(record.sealedSecret)
        backupCodes(record.backupCodes)
        optionalData(record.pendingSealedSecret)
        backupCodes(record.pendingBackupCodes)
        i64(record.lastAcceptedStep)
    }
}

extension BinaryReader {
    mutating func optionalData() throws(DecodeError) -> [UInt8]? { try bool() ? try data(limit: 256) : nil }

    mutating func backupCodes() throws(DecodeError) -> [BackupCode] {
        let count = Int(try u32())
        guard count <= 64 else { throw DecodeError(description: "too many backup codes at byte \(offset)") }
        var codes: [BackupCode] = []
        for _ in 0..<count { codes.append(BackupCode(hash: try string(), usedAt: try optionalInt64())) }
        return codes
    }

    mutating func twoFactor() throws(DecodeError) -> TwoFactorRecord {
        TwoFactorRecord(
            userId: try string(), sealedSecret: try optionalData(), backupCodes: try backupCodes(),
            pendingSealedSecret: try optionalData(), pendingBackupCodes: try backupCodes(), lastAcceptedStep: try i64())
    }
}

extension TwoFactorStore: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "F")]
    public static let firstSnapshotVersion: UInt32 = 4

    public func replay(_ entry: TwoFactorEntry) async {
        switch entry {
        case .put(let record): await restore(record)
        case .delete(let userId): await restoreDelete(userId: userId)
        }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for record in await all() { try sink.record(tag: UInt8(ascii: "F")) { $0.twoFactor(record) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.twoFactor() },
            load: { [self] records in for record in records { await restore(record) } })
    }
}
