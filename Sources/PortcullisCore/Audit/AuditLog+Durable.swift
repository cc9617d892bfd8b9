/// Audit entries in the journal (tag 22) and in snapshots (`A`, from version 7). Trimming is not
/// journaled: the count bound and the age cut give the same result when the entries are read back.
public enum AuditEntry: JournalEntry {
    case append(AuditEvent)

    public static let tags: [UInt8] = [22]

    public func encode(into writer: inout BinaryWriter) {
        guard case .append(let event) = self else { return }
        writer.u8(22)
        writer.auditEvent(event)
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> AuditEntry {
        .append(try reader.auditEvent())
    }
}

extension BinaryWriter {
    mutating func auditEvent(_ event: AuditEvent) {
        u64(event.sequence)
        i64(event.time)
        string(event.kind.rawValue)
        string(event.outcome.rawValue)
        string(event.actor)
        optionalString(event.subject)
        optionalString(event.email)
        optionalString(event.ip)
        optionalString(event.device)
        optionalString(event.detail)
    }
}

extension BinaryReader {
    mutating func auditEvent() throws(DecodeError) -> AuditEvent {
        let sequence = try u64()
        let time = try i64()
        let kindText = try string()
        guard let kind = AuditKind(rawValue: kindText) else {
            throw DecodeError(description: "unknown audit kind \(kindText.prefix(32)) at byte \(offset)")
        }
        guard let outcome = AuditOutcome(rawValue: try string()) else {
            throw DecodeError(description: "unknown audit outcome at byte \(offset)")
        }
        return AuditEvent(
            sequence: sequence, time: time, kind: kind, outcome: outcome, actor: try string(),
            subject: try optionalString(), email: try optionalString(), ip: try optionalString(),
            device: try optionalString(), detail: try optionalString())
    }
}

extension AuditLog: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "A")]
    public static let firstSnapshotVersion: UInt32 = 7

    public func replay(_ entry: AuditEntry) async {
        if case .append(let event) = entry { await restore(event) }
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for event in await all() { try sink.record(tag: UInt8(ascii: "A")) { $0.auditEvent(event) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.auditEvent() },
            load: { [self] events in for event in events { await restore(event) } })
    }
}
