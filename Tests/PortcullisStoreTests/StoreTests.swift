import Foundation
import PortcullisCore
@testable import PortcullisStore
import Testing

/// Fixed content of the committed format-version-1 snapshot (`Golden/snapshot-v1.pcs`).
enum GoldenContent {
    static let users = [
        User(id: "65f0c0ffee0123456789abcd", name: "Ana Lima", username: "ana", email: "ana@example.com", emailVerified: true,
             passwordHash: "$2b$10$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui", avatar: nil, provider: "local",
             role: "ADMIN", providerIds: [:], openidIssuer: nil, twoFactorEnabled: false, termsAccepted: true,
             createdAt: 1_709_287_200_000, updatedAt: 1_709_373_600_000),
        User(id: "65f0c0ffee0123456789abce", name: "Bö Ünicode 🔐", username: "", email: "bo@example.com", emailVerified: false,
             passwordHash: nil, avatar: "https://example.com/a.png", provider: "google", role: "USER",
             providerIds: ["googleId": "1234567890"], openidIssuer: nil, twoFactorEnabled: false, termsAccepted: false,
             createdAt: 1_709_287_200_123, updatedAt: 1_709_287_200_123),
    ]
    static let sessions = [
        Session(id: "65f0c0ffee0123456789abcf", userId: "65f0c0ffee0123456789abcd", currentHash: Array(repeating: 0xAB, count: 32),
                previousHash: Array(repeating: 0xCD, count: 32), generation: 3, rotatedAt: 1_709_300_000_000,
                createdAt: 1_709_290_000_000, expiresAt: 1_709_894_800_000),
    ]
}

@Suite("Store: formats, journal, recovery")
struct StoreTests {
    static let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/snapshot-v1.pcs").path

    @Test("the committed version-1 snapshot still reads, with exactly its content")
    func golden() throws {
        if ProcessInfo.processInfo.environment["PORTCULLIS_WRITE_GOLDEN"] == "1" {
            let directory = NSTemporaryDirectory() + "golden-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let written = try SnapshotFile.write(directory: directory, position: 42, users: GoldenContent.users,
                                                 sessions: GoldenContent.sessions, version: 1)
            try? FileManager.default.removeItem(atPath: Self.goldenPath)
            try FileManager.default.copyItem(atPath: written.path, toPath: Self.goldenPath)
        }
        let (header, users, sessions) = try SnapshotFile.read(path: Self.goldenPath)
        #expect(header.version == 1 && header.position == 42 && header.users == 2 && header.sessions == 1)
        #expect(users == GoldenContent.users)
        #expect(sessions == GoldenContent.sessions)
    }

    /// One of every kind of state, with the fields each format version added set.
    static let current: (users: [User], sessions: [Session], extra: [SnapshotFile.Extra]) = {
        var users = GoldenContent.users
        users[0].termsAcceptedAt = 1_709_373_600_000
        users[0].devicesRevokedAt = 1_709_373_600_001
        var sessions = GoldenContent.sessions
        sessions.append(Session(id: "65f0c0ffee0123456789abd0", userId: "65f0c0ffee0123456789abce", currentHash: [1, 2, 3],
                                previousHash: nil, generation: 0, rotatedAt: 5, createdAt: 5, expiresAt: 6,
                                idToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
        let extra: [SnapshotFile.Extra] = [
            .violation(subject: "ip:127.0.0.2", type: "logins", count: 20),
            .ban(Ban(subject: "ip:127.0.0.2", expiresAt: 9_000, type: "logins")),
            .token(OneTimeToken(hash: "ab", kind: .resetPassword, userId: users[0].id, email: users[0].email, expiresAt: 7)),
            .mail(OutboxMail(id: "m1", to: "a@example.com", subject: "Hi", text: "t", html: "<p>h</p>", attempts: 1, nextAttempt: 8)),
            .lockout(LockoutWindow(key: "a:00112233445566778899aabbccddeeff", failures: [1, 2, 3])),
        ]
        return (users, sessions, extra)
    }()

    @Test("binary codec round trip of every mutation")
    func codec() throws {
        let state = Self.current
        let mutations: [Mutation] = state.users.map { .putUser($0) } + state.sessions.map { .putSession($0) }
            + [.deleteUser(id: "x"), .deleteSession(id: "y"), .deleteSessionsOfUser(userId: "z"),
               .putViolation(subject: "ip:1.2.3.4", type: "logins", count: 3), .putBan(Ban(subject: "user:x", expiresAt: 1, type: "admin")),
               .deleteBan(subject: "user:x"), .deleteToken(hash: "ab"), .deleteMail(id: "m1"),
               .putToken(OneTimeToken(hash: "cd", kind: .invite, userId: "", email: "i@example.com", expiresAt: 2)),
               .putMail(OutboxMail(id: "m2", to: "b@example.com", subject: "S", text: "T", html: "H", attempts: 0, nextAttempt: 0)),
               .putLockout(LockoutWindow(key: "d:" + String(repeating: "f", count: 32), failures: [5, 6])),
               .putLockout(LockoutWindow(key: "a:gone", failures: []))]
        for mutation in mutations {
            var writer = BinaryWriter()
            writer.mutation(mutation)
            var reader = BinaryReader(writer.bytes)
            #expect(try reader.mutation() == mutation)
            #expect(reader.atEnd)
            // Every truncation is an error, never a crash.
            for cut in 0..<writer.bytes.count {
                var short = BinaryReader(Array(writer.bytes[0..<cut]))
                #expect(throws: DecodeError.self) { try short.mutation() }
            }
        }
    }

    @Test("journal records written before users and sessions gained fields still decode")
    func legacyRecords() throws {
        for user in GoldenContent.users {
            var writer = BinaryWriter()
            writer.u8(1)  // the original putUser tag and layout
            writer.user(user, layout: .v1)
            var reader = BinaryReader(writer.bytes)
            #expect(try reader.mutation() == .putUser(user))
        }
        var writer = BinaryWriter()
        writer.u8(3)
        writer.session(GoldenContent.sessions[0], layout: .v1)
        var reader = BinaryReader(writer.bytes)
        #expect(try reader.mutation() == .putSession(GoldenContent.sessions[0]))
    }

    @Test("snapshots of every version read back: v3 with everything, v2 and v1 as they were written")
    func versions() throws {
        let directory = NSTemporaryDirectory() + "versions-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = Self.current
        let v3 = try SnapshotFile.write(directory: directory, position: 3, users: state.users, sessions: state.sessions,
                                        extra: state.extra)
        let read3 = try SnapshotFile.readAll(path: v3.path)
        #expect(read3.header.version == 3 && read3.users == state.users && read3.sessions == state.sessions && read3.extra == state.extra)

        let v2 = try SnapshotFile.write(directory: directory, position: 2, users: GoldenContent.users, sessions: GoldenContent.sessions,
                                        extra: state.extra, version: 2)
        let read2 = try SnapshotFile.readAll(path: v2.path)
        #expect(read2.header.version == 2 && read2.users == GoldenContent.users && read2.sessions == GoldenContent.sessions)
        #expect(read2.extra == state.extra.filter { !$0.isLockout })
    }

    @Test("journal: durable appends replay in order; a torn tail is cut; damage mid-way is refused")
    func journal() async throws {
        let directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = Journal(directory: directory, durability: .fsync)
        try journal.start(nextSequence: 1)
        var tickets: [UInt64] = []
        for i in 0..<50 { tickets.append(journal.enqueue(.deleteSession(id: "s\(i)"))) }
        await journal.waitUntilDurable(tickets.last!)
        #expect(tickets == Array(1...50))

        var replayed: [Mutation] = []
        let replay = try await JournalReader.replay(directory: directory, after: 10) { replayed.append($0) }
        #expect(replay.applied == 40 && replay.lastSequence == 50 && replay.tornTail == nil)
        #expect(replayed.first == .deleteSession(id: "s10"))

        let segment = Journal.segments(in: directory).last!.path
        let handle = FileHandle(forWritingAtPath: segment)!
        handle.seekToEndOfFile()
        handle.write(Data([9, 0, 0, 0, 1, 2, 3]))
        try handle.close()
        let torn = try await JournalReader.replay(directory: directory, after: 0) { _ in }
        #expect(torn.applied == 50 && torn.tornTail != nil)

        var bytes = [UInt8](FileManager.default.contents(atPath: segment)!)
        bytes[8 + 18] ^= 0x01
        _ = FileManager.default.createFile(atPath: segment, contents: Data(bytes))
        await #expect(throws: RecoveryError.self) { try await JournalReader.replay(directory: directory, after: 0) { _ in } }
    }
}
