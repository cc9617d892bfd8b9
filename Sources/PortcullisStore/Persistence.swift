import Foundation
import Glibc
import PortcullisCore

/// Durability for a running server: recovery at start (newest valid snapshot, then the journal),
/// the journal for every change, and periodic snapshots that let old journal segments go.
public final class Persistence: Sendable {
    public let journal: Journal
    public let directory: String
    public let keep: Int

    /// What recovery found, for the start-up log.
    public struct Recovery: Sendable {
        public var snapshot: String?
        public var skippedSnapshots: [String] = []
        public var users = 0
        public var sessions = 0
        public var replayed = 0
        public var tornTail: String?
        public var seconds = 0.0
    }

    public init(directory: String, durability: Durability, keep: Int = 3) {
        self.directory = directory
        self.keep = max(1, keep)
        journal = Journal(directory: directory, durability: durability)
    }

    /// Loads the newest snapshot that verifies (older ones are tried when it does not), replays the
    /// journal after it into the state that owns each record, then starts the journal writer.
    /// `progress` is called on long loads.
    public func recover(_ states: [any DurableState], progress: (String) -> Void = { _ in }) async throws -> Recovery {
        let started = Date()
        var recovery = Recovery()
        var position: UInt64 = 0
        for candidate in SnapshotFile.snapshots(in: directory) {
            do {
                progress("loading \(candidate.path)")
                let (header, loaders, counts) = try SnapshotFile.read(path: candidate.path, states: states)
                // Nothing of a snapshot that fails verification is loaded: everything was decoded first.
                for loader in loaders { await loader.load() }
                position = header.position
                recovery.snapshot = candidate.path
                recovery.users = counts[UInt8(ascii: "U")] ?? 0
                recovery.sessions = counts[UInt8(ascii: "S")] ?? 0
                break
            } catch {
                recovery.skippedSnapshots.append("\(error)")
            }
        }
        if recovery.snapshot == nil && !recovery.skippedSnapshots.isEmpty
            && Journal.segments(in: directory).first?.first ?? 1 > 1
        {
            throw RecoveryError(
                description: "no snapshot verifies and the journal does not reach back to the beginning: "
                    + recovery.skippedSnapshots.joined(separator: "; "))
        }
        var owners: [UInt8: any DurableState] = [:]
        for state in states {
            for tag in type(of: state).journalTags { owners[tag] = state }
        }
        let replay = try await JournalReader.replay(directory: directory, after: position) {
            tag, reader throws(DecodeError) in
            guard let owner = owners[tag] else { throw DecodeError(description: "unknown journal tag \(tag)") }
            try await owner.replay(tag: tag, from: &reader)
        }
        recovery.replayed = replay.applied
        recovery.tornTail = replay.tornTail
        try journal.start(nextSequence: max(replay.lastSequence, position) + 1)
        recovery.seconds = Date().timeIntervalSince(started)
        return recovery
    }

    public struct SnapshotInfo: Sendable {
        public var path: String
        public var position: UInt64
        public var bytes: Int
        public var rawBytes: Int
        public var users: Int
        public var sessions: Int
        public var seconds: Double
        /// When it was written (ms since 1970).
        public var takenAt: Int64 = 0
    }

    /// Writes a snapshot without stopping traffic: the journal rotates at position P, then each
    /// state copies its shards one by one. A shard may already hold changes after P; replaying them
    /// later writes the same full state again, so the result is consistent.
    public func snapshot(_ states: [any DurableState]) async throws -> SnapshotInfo {
        let started = Date()
        let position = journal.rotate()
        await journal.waitUntilDurable(position)
        let written = try await SnapshotFile.write(directory: directory, position: position, states: states)
        let existing = SnapshotFile.snapshots(in: directory)
        for old in existing.dropFirst(keep) { unlink(old.path) }
        // Keep the journal back to the oldest snapshot still kept, so falling back to it works.
        if let oldestKept = existing.prefix(keep).last { journal.trim(upTo: oldestKept.position) }
        return SnapshotInfo(
            path: written.path, position: position, bytes: written.bytes, rawBytes: written.raw,
            users: written.counts[UInt8(ascii: "U")] ?? 0, sessions: written.counts[UInt8(ascii: "S")] ?? 0,
            seconds: Date().timeIntervalSince(started), takenAt: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// Bytes in the journal's segment files now.
    public func journalBytes() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("journal-") && $0.hasSuffix(".log") }.reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size]) as? Int
            return total + (size ?? 0)
        }
    }
}
