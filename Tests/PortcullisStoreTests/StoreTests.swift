import Foundation
import PortcullisCore
import Testing

@testable import PortcullisStore

/// Fixed content of the committed format-version-1 snapshot (`Golden/snapshot-v1.pcs`).
enum GoldenContent {
    static let users = [
        User(
            id: "65f0c0ffee0123456789abcd", name: "Ana Lima", username: "ana", email: "ana@example.com",
            emailVerified: true,
            passwordHash: "$2b$10$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui", avatar: nil,
            provider: "local",
            role: "ADMIN", providerIds: [:], openidIssuer: nil, twoFactorEnabled: false, termsAccepted: true,
            createdAt: 1_709_287_200_000, updatedAt: 1_709_373_600_000),
        User(
            id: "65f0c0ffee0123456789abce", name: "Bö Ünicode 🔐", username: "", email: "bo@example.com",
            emailVerified: false,
            passwordHash: nil, avatar: "https://example.com/a.png", provider: "google", role: "USER",
            providerIds: ["googleId": "1234567890"], openidIssuer: nil, twoFactorEnabled: false, termsAccepted: false,
            createdAt: 1_709_287_200_123, updatedAt: 1_709_287_200_123),
    ]
    static let sessions = [
        Session(
            id: "65f0c0ffee0123456789abcf", userId: "65f0c0ffee0123456789abcd",
            currentHash: Array(repeating: 0xAB, count: 32),
            previousHash: Array(repeating: 0xCD, count: 32), generation: 3, rotatedAt: 1_709_300_000_000,
            createdAt: 1_709_290_000_000, expiresAt: 1_709_894_800_000)
    ]
}

@Suite("Store: formats, journal, recovery")
struct StoreTests {
    static let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Golden/snapshot-v1.pcs"
    ).path

    /// Stores to write from and read into, with a moderation and every other kind.
    static func stores(
        _ users: [User] = [], _ sessions: [Session] = [], extra: [any JournalEntry] = []
    ) async
        -> (
            states: [any DurableState], users: UserStore, sessions: SessionStore, moderation: Moderation,
            tokens: OneTimeTokens, mail: MailQueue, lockout: AccountLockout, twoFactor: TwoFactorStore,
            passkeys: PasskeyStore, audit: AuditLog
        )
    {
        let userStore = UserStore(shardCount: 2), sessionStore = SessionStore(shardCount: 2)
        let moderation = Moderation(
            configuration: try! ModerationConfiguration(environment: Environment([:])),
            sessions: sessionStore, journal: nil, shardCount: 2)
        let tokens = OneTimeTokens(journal: nil), mail = MailQueue(journal: nil)
        let lockout = AccountLockout(
            policy: LockoutPolicy(), journal: nil, shardCount: 2, clock: ManualClock(milliseconds: 0))
        let twoFactor = TwoFactorStore(shardCount: 2, journal: nil)
        let passkeys = PasskeyStore(shardCount: 2, journal: nil)
        let audit = AuditLog(shardCount: 2, journal: nil)
        await userStore.restore(batch: users)
        await sessionStore.restore(batch: sessions)
        for entry in extra {
            switch entry {
            case let entry as ModerationEntry: await moderation.replay(entry)
            case let entry as TokenEntry: await tokens.replay(entry)
            case let entry as MailEntry: await mail.replay(entry)
            case let entry as LockoutEntry: await lockout.replay(entry)
            case let entry as TwoFactorEntry: await twoFactor.replay(entry)
            case let entry as PasskeyEntry: await passkeys.replay(entry)
            case let entry as AuditEntry: await audit.replay(entry)
            default: Issue.record("unexpected entry \(entry)")
            }
        }
        return (
            [userStore, sessionStore, moderation, tokens, mail, lockout, twoFactor, passkeys, audit], userStore,
            sessionStore, moderation, tokens, mail, lockout, twoFactor, passkeys, audit
        )
    }

    @Test("the committed version-1 snapshot still reads, with exactly its content")
    func golden() async throws {
        if ProcessInfo.processInfo.environment["PORTCULLIS_WRITE_GOLDEN"] == "1" {
            let directory = NSTemporaryDirectory() + "golden-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let source = await Self.stores(GoldenContent.users, GoldenContent.sessions)
            let written = try await SnapshotFile.write(
                directory: directory, position: 42, states: source.states, version: 1)
            try? FileManager.default.removeItem(atPath: Self.goldenPath)
            try FileManager.default.copyItem(atPath: written.path, toPath: Self.goldenPath)
        }
        let target = await Self.stores()
        let (header, loaders, _) = try SnapshotFile.read(path: Self.goldenPath, states: target.states)
        for loader in loaders { await loader.load() }
        #expect(header.version == 1 && header.position == 42 && header.users == 2 && header.sessions == 1)
        #expect(await target.users.all().sorted { $0.id < $1.id } == GoldenContent.users)
        #expect(await target.sessions.all() == GoldenContent.sessions)
    }

    /// One of every kind of state, with the fields each format version added set.
    static let current: (users: [User], sessions: [Session], extra: [any JournalEntry]) = {
        var users = GoldenContent.users
        users[0].termsAcceptedAt = 1_709_373_600_000
        users[0].devicesRevokedAt = 1_709_373_600_001
        var sessions = GoldenContent.sessions
        sessions.append(
            Session(
                id: "65f0c0ffee0123456789abd0", userId: "65f0c0ffee0123456789abce", currentHash: [1, 2, 3],
                previousHash: nil, generation: 0, rotatedAt: 5, createdAt: 5, expiresAt: 6,
                idToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
        sessions[1].note(ClientInfo(userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0", ip: "127.0.0.3"), at: 99)
        let extra: [any JournalEntry] = [
            ModerationEntry.violation(subject: "ip:127.0.0.2", type: "logins", count: 20),
            ModerationEntry.ban(Ban(subject: "ip:127.0.0.2", expiresAt: 9_000_000_000_000, type: "logins")),
            TokenEntry.put(
                OneTimeToken(
                    hash: "ab", kind: .resetPassword, userId: users[0].id, email: users[0].email,
                    expiresAt: 9_000_000_000_000)),
            MailEntry.put(
                OutboxMail(
                    id: "m1", to: "a@example.com", subject: "Hi", text: "t", html: "<p>h</p>", attempts: 1,
                    nextAttempt: 8)),
            LockoutEntry.put(LockoutWindow(key: "a:00112233445566778899aabbccddeeff", failures: [1, 2, 3])),
            TwoFactorEntry.put(
                TwoFactorRecord(
                    userId: users[0].id, sealedSecret: Array(repeating: 7, count: 38),
                    backupCodes: [BackupCode(hash: "ab"), BackupCode(hash: "cd", usedAt: 5)], lastAcceptedStep: 42)),
            PasskeyEntry.put(
                Passkey(
                    credentialID: [9, 8, 7], userId: users[0].id, publicKey: [0xA1, 0x01, 0x02], name: "Phone",
                    signCount: 12, backupEligible: true, backedUp: true, aaguid: Array(repeating: 1, count: 16),
                    createdAt: 3, lastUsedAt: 4)),
            AuditEntry.append(
                AuditEvent(
                    sequence: 7, time: 5, kind: .banned, actor: "operator", subject: users[0].id,
                    email: users[0].email, ip: "127.0.0.9", device: "curl/8", detail: "60 minute(s)")),
        ]
        return (users, sessions, extra)
    }()

    static func roundTrip<Entry: JournalEntry>(_ entry: Entry) throws {
        var writer = BinaryWriter()
        entry.encode(into: &writer)
        var reader = BinaryReader(writer.bytes)
        let tag = try reader.u8()
        #expect(Entry.tags.contains(tag))
        #expect(try Entry.decode(tag: tag, from: &reader) == entry)
        #expect(reader.atEnd)
        // Every truncation is an error, never a crash.
        for cut in 1..<writer.bytes.count {
            var short = BinaryReader(Array(writer.bytes[0..<cut]))
            let shortTag = try short.u8()
            #expect(throws: DecodeError.self) { try Entry.decode(tag: shortTag, from: &short) }
        }
    }

    @Test("binary codec round trip of every journal entry of every kind")
    func codec() throws {
        let state = Self.current
        for user in state.users { try Self.roundTrip(UserEntry.put(user)) }
        try Self.roundTrip(UserEntry.delete(id: "x"))
        for session in state.sessions { try Self.roundTrip(SessionEntry.put(session)) }
        try Self.roundTrip(SessionEntry.delete(id: "y"))
        try Self.roundTrip(SessionEntry.deleteAll(userId: "z"))
        try Self.roundTrip(ModerationEntry.violation(subject: "ip:1.2.3.4", type: "logins", count: 3))
        try Self.roundTrip(ModerationEntry.ban(Ban(subject: "user:x", expiresAt: 1, type: "admin")))
        try Self.roundTrip(ModerationEntry.unban(subject: "user:x"))
        try Self.roundTrip(
            TokenEntry.put(OneTimeToken(hash: "cd", kind: .invite, userId: "", email: "i@example.com", expiresAt: 2)))
        try Self.roundTrip(TokenEntry.delete(hash: "ab"))
        try Self.roundTrip(MailEntry.put(OutboxMail(id: "m2", to: "b@example.com", subject: "S", text: "T", html: "H")))
        try Self.roundTrip(MailEntry.delete(id: "m1"))
        for case let entry as PasskeyEntry in state.extra { try Self.roundTrip(entry) }
        for case let entry as AuditEntry in state.extra { try Self.roundTrip(entry) }
        try Self.roundTrip(PasskeyEntry.delete(userId: "u", credentialID: [1, 2]))
        try Self.roundTrip(PasskeyEntry.deleteAll(userId: "u"))
        try Self.roundTrip(
            LockoutEntry.put(LockoutWindow(key: "d:" + String(repeating: "f", count: 32), failures: [5, 6])))
        try Self.roundTrip(
            TwoFactorEntry.put(
                TwoFactorRecord(
                    userId: "u", sealedSecret: [1, 2], backupCodes: [BackupCode(hash: "h")], pendingSealedSecret: [3],
                    pendingBackupCodes: [BackupCode(hash: "p", usedAt: 9)], lastAcceptedStep: -1)))
        try Self.roundTrip(TwoFactorEntry.delete(userId: "u"))
        // Tags are unique across kinds, so replay always finds one owner.
        let tags =
            UserEntry.tags + SessionEntry.tags + ModerationEntry.tags + TokenEntry.tags + MailEntry.tags
            + LockoutEntry.tags
        #expect(Set(tags).count == tags.count)
    }

    @Test("journal records written before users and sessions gained fields still decode")
    func legacyRecords() throws {
        for user in GoldenContent.users {
            var writer = BinaryWriter()
            writer.user(user, layout: .v1)
            var reader = BinaryReader(writer.bytes)
            #expect(try UserEntry.decode(tag: 1, from: &reader) == .put(user))  // the original putUser tag and layout
        }
        var writer = BinaryWriter()
        writer.session(GoldenContent.sessions[0], layout: .v1)
        var reader = BinaryReader(writer.bytes)
        #expect(try SessionEntry.decode(tag: 3, from: &reader) == .put(GoldenContent.sessions[0]))
        var v2 = BinaryWriter()
        v2.session(GoldenContent.sessions[0], layout: .v2)
        var v2Reader = BinaryReader(v2.bytes)
        #expect(try SessionEntry.decode(tag: 14, from: &v2Reader) == .put(GoldenContent.sessions[0]))
    }

    @Test("snapshots of every version read back: v3 with everything, v2 and v1 as they were written")
    func versions() async throws {
        let directory = NSTemporaryDirectory() + "versions-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = Self.current
        let source = await Self.stores(state.users, state.sessions, extra: state.extra)
        for version: UInt32 in [1, 2, 3, 4, 5, 6, 7] {
            let written = try await SnapshotFile.write(
                directory: directory, position: UInt64(version), states: source.states,
                version: version)
            let target = await Self.stores()
            let (header, loaders, counts) = try SnapshotFile.read(path: written.path, states: target.states)
            for loader in loaders { await loader.load() }
            #expect(header.version == version && counts == written.counts)
            let layout = RecordLayout(snapshotVersion: version)
            // Older layouts drop the fields they did not have.
            let expectedUsers = layout >= .v2 ? state.users : GoldenContent.users
            var expectedSessions = state.sessions
            if layout == .v1 { expectedSessions[1].idToken = nil }
            if layout < .v3 {  // the device fields came with version 5
                expectedSessions[1].userAgent = nil
                expectedSessions[1].ip = nil
                expectedSessions[1].lastUsedAt = expectedSessions[1].rotatedAt
            }
            #expect(await target.users.all().sorted { $0.id < $1.id } == expectedUsers)
            #expect(await target.sessions.all().sorted { $0.id < $1.id } == expectedSessions.sorted { $0.id < $1.id })
            #expect(await target.moderation.bans().count == (version >= 2 ? 1 : 0))
            #expect(await target.tokens.all().count == (version >= 2 ? 1 : 0))
            #expect(await target.mail.all().count == (version >= 2 ? 1 : 0))
            #expect(
                await target.lockout.all()
                    == (version >= 3
                        ? [LockoutWindow(key: "a:00112233445566778899aabbccddeeff", failures: [1, 2, 3])] : []))
            let second = await target.twoFactor.all()
            #expect(second.count == (version >= 4 ? 1 : 0))
            if version >= 4 { #expect(second[0].lastAcceptedStep == 42 && second[0].backupCodes[1].usedAt == 5) }
            let passkeys = await target.passkeys.all()
            #expect(passkeys.map(\.name) == (version >= 6 ? ["Phone"] : []))
            #expect(await target.audit.all().map(\.detail) == (version >= 7 ? ["60 minute(s)"] : []))
            if version >= 6 {
                #expect(passkeys[0].signCount == 12 && passkeys[0].backedUp && passkeys[0].lastUsedAt == 4)
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
        for i in 0..<50 { tickets.append(journal.enqueue(SessionEntry.delete(id: "s\(i)"))) }
        await journal.waitUntilDurable(tickets.last!)
        #expect(tickets == Array(1...50))

        var replayed: [SessionEntry] = []
        let replay = try await JournalReader.replay(directory: directory, after: 10) {
            tag, reader throws(DecodeError) in
            replayed.append(try SessionEntry.decode(tag: tag, from: &reader))
        }
        #expect(replay.applied == 40 && replay.lastSequence == 50 && replay.tornTail == nil)
        #expect(replayed.first == .delete(id: "s10"))

        let segment = Journal.segments(in: directory).last!.path
        let handle = FileHandle(forWritingAtPath: segment)!
        handle.seekToEndOfFile()
        handle.write(Data([9, 0, 0, 0, 1, 2, 3]))
        try handle.close()
        let torn = try await JournalReader.replay(directory: directory, after: 0) { _, _ in }
        #expect(torn.applied == 50 && torn.tornTail != nil)

        var bytes = [UInt8](FileManager.default.contents(atPath: segment)!)
        bytes[8 + 18] ^= 0x01
        _ = FileManager.default.createFile(atPath: segment, contents: Data(bytes))
        await #expect(throws: RecoveryError.self) {
            try await JournalReader.replay(directory: directory, after: 0) { _, _ in }
        }
    }
}
