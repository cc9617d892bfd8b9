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
    /// journal after it, then starts the journal writer. `progress` is called on long loads.
    public func recover(users: UserStore, sessions: SessionStore, moderation: Moderation? = nil, tokens: OneTimeTokens? = nil,
                        mail: MailQueue? = nil, lockout: AccountLockout? = nil,
                        progress: (String) -> Void = { _ in }) async throws -> Recovery {
        let started = Date()
        let now = Int64(started.timeIntervalSince1970 * 1000)
        var recovery = Recovery()
        var position: UInt64 = 0
        for candidate in SnapshotFile.snapshots(in: directory) {
            do {
                progress("loading \(candidate.path)")
                let (header, loadedUsers, loadedSessions, extra) = try SnapshotFile.readAll(path: candidate.path)
                await users.restore(batch: loadedUsers)
                await sessions.restore(batch: loadedSessions)
                for item in extra {
                    switch item {
                    case .violation(let subject, let type, let count): await moderation?.restore(violation: subject, type: type, count: count)
                    case .ban(let ban): await moderation?.restore(ban: ban)
                    case .token(let token): await tokens?.restore(token)
                    case .mail(let item): await mail?.restore(item)
                    case .lockout(let window): await lockout?.restore(window, now: now)
                    }
                }
                position = header.position
                recovery.snapshot = candidate.path
                recovery.users = loadedUsers.count
                recovery.sessions = loadedSessions.count
                break
            } catch {
                // Nothing of a snapshot that fails verification was loaded: try the next one.
                recovery.skippedSnapshots.append("\(error)")
            }
        }
        if recovery.snapshot == nil && !recovery.skippedSnapshots.isEmpty && Journal.segments(in: directory).first?.first ?? 1 > 1 {
            throw RecoveryError(description: "no snapshot verifies and the journal does not reach back to the beginning: "
                                + recovery.skippedSnapshots.joined(separator: "; "))
        }
        let replay = try await JournalReader.replay(directory: directory, after: position) { mutation in
            switch mutation {
            case .putUser(let user): await users.restore(user)
            case .deleteUser(let id): await users.restoreDelete(id: id)
            case .putSession(let session): await sessions.restore(session)
            case .deleteSession(let id): await sessions.restoreDelete(id: id)
            case .deleteSessionsOfUser(let userId): await sessions.restoreDeleteAll(userId: userId)
            case .putViolation(let subject, let type, let count): await moderation?.restore(violation: subject, type: type, count: count)
            case .putBan(let ban): await moderation?.restore(ban: ban)
            case .deleteBan(let subject): await moderation?.restoreUnban(subject: subject)
            case .putToken(let token): await tokens?.restore(token)
            case .deleteToken(let hash): await tokens?.restoreDelete(hash: hash)
            case .putMail(let item): await mail?.restore(item)
            case .deleteMail(let id): await mail?.restoreDelete(id)
            case .putLockout(let window): await lockout?.restore(window, now: now)
            }
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
    }

    /// Writes a snapshot without stopping traffic: the journal rotates at position P, then the
    /// shards are copied one by one. A shard may already hold changes after P; replaying them
    /// later writes the same full state again, so the result is consistent.
    public func snapshot(users: UserStore, sessions: SessionStore, moderation: Moderation? = nil, tokens: OneTimeTokens? = nil,
                         mail: MailQueue? = nil, lockout: AccountLockout? = nil) async throws -> SnapshotInfo {
        let started = Date()
        let position = journal.rotate()
        await journal.waitUntilDurable(position)
        let allUsers = await users.all()
        let allSessions = await sessions.all()
        var extra: [SnapshotFile.Extra] = []
        if let moderation {
            extra += await moderation.violationCounts().map { .violation(subject: $0.subject, type: $0.type, count: $0.count) }
            extra += await moderation.bans().map { .ban($0) }
        }
        if let tokens { extra += await tokens.all().map { .token($0) } }
        if let mail { extra += await mail.all().map { .mail($0) } }
        if let lockout { extra += await lockout.all().map { .lockout($0) } }
        let written = try SnapshotFile.write(directory: directory, position: position, users: allUsers, sessions: allSessions, extra: extra)
        let existing = SnapshotFile.snapshots(in: directory)
        for old in existing.dropFirst(keep) { unlink(old.path) }
        // Keep the journal back to the oldest snapshot still kept, so falling back to it works.
        if let oldestKept = existing.prefix(keep).last { journal.trim(upTo: oldestKept.position) }
        return SnapshotInfo(path: written.path, position: position, bytes: written.bytes, rawBytes: written.raw,
                            users: allUsers.count, sessions: allSessions.count, seconds: Date().timeIntervalSince(started))
    }
}
