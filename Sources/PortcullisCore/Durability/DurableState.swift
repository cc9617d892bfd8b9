/// A change as the journal records it: one kind's entry, encoded by the kind itself. Every entry
/// is a full-state write or an idempotent delete, so replaying one that a snapshot already
/// contains changes nothing.
public protocol JournalEntry: Sendable, Equatable {
    /// Every journal tag this kind reads (older layouts included). Tags are unique across kinds.
    static var tags: [UInt8] { get }
    /// Writes the tag byte and the payload.
    func encode(into writer: inout BinaryWriter)
    /// Reads the payload of a record whose tag (already read) is one of ``tags``.
    static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self
}

/// Where entries go to become durable. `enqueue` is called inside the actor that applies the
/// change (so journal order is apply order); the caller then awaits `waitUntilDurable` before it
/// acknowledges anything.
public protocol MutationJournal: Sendable {
    /// Appends an entry and returns its sequence number.
    func enqueue<Entry: JournalEntry>(_ entry: Entry) -> UInt64
    /// Returns once every entry up to `sequence` is on disk (per the durability setting).
    func waitUntilDurable(_ sequence: UInt64) async
}

/// Where a kind writes its snapshot records.
public protocol SnapshotSink {
    /// The layout users and sessions are written in (older ones only to prove they still read).
    var layout: RecordLayout { get }
    /// Appends one record: its tag, then what `write` encodes.
    mutating func record(tag: UInt8, _ write: (inout BinaryWriter) -> Void) throws
}

/// Collects one kind's snapshot records as they are decoded, then loads them in one go.
public protocol SnapshotLoader: AnyObject {
    func read(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError)
    /// Puts everything read into the (empty) store; no journaling.
    func load() async
}

/// One kind of durable state and all that durability needs of it: its journal entries, its
/// snapshot records, replay and restore. Adding a kind is one conformance in the kind's own file
/// (`UserStore+Durable.swift`) and one line where the engine lists its states.
public protocol DurableState: Sendable {
    associatedtype Entry: JournalEntry
    /// Snapshot record tags (one byte each, unique across kinds).
    static var snapshotTags: [UInt8] { get }
    /// The snapshot format version that introduced these records.
    static var firstSnapshotVersion: UInt32 { get }
    /// Applies a replayed entry, without journaling it.
    func replay(_ entry: Entry) async
    /// Writes every record into a snapshot.
    func writeSnapshot(to sink: inout some SnapshotSink) async throws
    /// A loader for the records of a snapshot of format `version`.
    func snapshotLoader(version: UInt32) -> any SnapshotLoader
}

extension DurableState {
    public static var journalTags: [UInt8] { Entry.tags }

    /// Decodes a journal record of this kind and applies it.
    public func replay(tag: UInt8, from reader: inout BinaryReader) async throws(DecodeError) {
        let entry = try Entry.decode(tag: tag, from: &reader)
        await replay(entry)
    }
}

extension RecordLayout {
    /// The user and session layout of snapshot format `version`.
    public init(snapshotVersion version: UInt32) {
        self = version >= 8 ? .v4 : version >= 5 ? .v3 : version >= 3 ? .v2 : .v1
    }
}
