/// Queued mail in the journal (tags 11 put, 12 delete) and in snapshots (`M`).
public enum MailEntry: JournalEntry {
    case put(OutboxMail)
    case delete(id: String)

    public static let tags: [UInt8] = [11, 12]

    public func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let mail):
            writer.u8(11)
            writer.mail(mail)
        case .delete(let id):
            writer.u8(12)
            writer.string(id)
        }
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> MailEntry {
        tag == 11 ? .put(try reader.mail()) : .delete(id: try reader.string())
    }
}

extension BinaryWriter {
    mutating func mail(_ mail: OutboxMail) {
        string(mail.id)
        string(mail.to)
        string(mail.subject)
        data(Array(mail.text.utf8))
        data(Array(mail.html.utf8))
        i64(Int64(mail.attempts))
        i64(mail.nextAttempt)
    }
}

extension BinaryReader {
    mutating func mail() throws(DecodeError) -> OutboxMail {
        let id = try string(), to = try string(), subject = try string()
        guard let text = String(validating: try data(), as: UTF8.self),
            let html = String(validating: try data(), as: UTF8.self)
        else {
            throw DecodeError(description: "invalid UTF-8 in a mail before byte \(offset)")
        }
        return OutboxMail(
            id: id, to: to, subject: subject, text: text, html: html, attempts: Int(try i64()), nextAttempt: try i64())
    }
}

extension MailQueue: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "M")]
    public static let firstSnapshotVersion: UInt32 = 2

    public func replay(_ entry: MailEntry) {
        switch entry {
        case .put(let mail): restore(mail)
        case .delete(let id): restoreDelete(id)
        }
    }

    public nonisolated func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for mail in await all() { try sink.record(tag: UInt8(ascii: "M")) { $0.mail(mail) } }
    }

    public nonisolated func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.mail() },
            load: { [self] mails in for mail in mails { await restore(mail) } })
    }
}
