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

    @Test("binary codec round trip of every mutation")
    func codec() throws {
        let mutations: [Mutation] = GoldenContent.users.map { .putUser($0) } + GoldenContent.sessions.map { .putSession($0) }
            + [.deleteUser(id: "x"), .deleteSession(id: "y"), .deleteSessionsOfUser(userId: "z")]
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
