import Foundation
import PortcullisCore
import PortcullisCrypto
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test(".env syntax: export, comments, quotes, escapes")
    func dotEnv() throws {
        let parsed = try Environment.parseDotEnv(
            """
            # comment
            export A=1
            B = two words # trailing comment
            C="quoted # not a comment\\nnext"
            D='single $literal'
            E=
            """)
        #expect(parsed["A"] == "1")
        #expect(parsed["B"] == "two words")
        #expect(parsed["C"] == "quoted # not a comment\nnext")
        #expect(parsed["D"] == "single $literal")
        #expect(parsed["E"] == "")
        #expect(throws: ConfigurationError.self) { try Environment.parseDotEnv("NOEQUALS") }
        #expect(throws: ConfigurationError.self) { try Environment.parseDotEnv("X=\"unterminated") }
    }

    @Test(
        "LibreChat's math(): arithmetic expressions, refused garbage and overflow",
        arguments: [
            ("1000 * 60 * 15", Int64?(900_000)), ("(1 + 2) * 3", 9), ("900000", 900_000), ("10 / 3", 3), ("-5 + 10", 5),
            ("15 minutes", nil), ("1 / 0", nil), ("9223372036854775807 * 2", nil), ("", nil), ("((((1))))", 1),
        ])
    func arithmetic(text: String, expected: Int64?) {
        let environment = Environment(["X": text])
        let value = try? environment.integer("X", default: -1, range: Int64.min...Int64.max)
        #expect(value == (text.isEmpty ? -1 : expected))
    }

    @Test("booleans are strict and errors name the variable")
    func booleans() throws {
        let environment = Environment(["YES": "TRUE", "NO": "false", "BAD": "yes"])
        #expect(try environment.bool("YES", default: false))
        #expect(try !environment.bool("NO", default: true))
        #expect(try environment.bool("UNSET", default: true))
        #expect(throws: ConfigurationError.self) { try environment.bool("BAD", default: false) }
        do {
            _ = try AuthConfiguration(
                environment: Environment(["JWT_SECRET": "a", "JWT_REFRESH_SECRET": "b", "SESSION_EXPIRY": "soon"]))
            Issue.record("bad SESSION_EXPIRY accepted")
        } catch {
            #expect(error.variable == "SESSION_EXPIRY")
        }
    }
}

@Suite("Claims, validation, ids")
struct ClaimsAndValidationTests {
    @Test("hand-written claim JSON equals JSONEncoder's sorted output")
    func compactJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let access = AccessClaims(
            id: "65f0c0ffee0123456789abcd", username: "q\"uo\\te\n", provider: "local",
            email: "é@example.com\u{1}", iat: 1_800_000_000, exp: 1_800_000_900)
        #expect(
            String(decoding: access.compactJSON, as: UTF8.self)
                == String(decoding: try encoder.encode(access), as: UTF8.self))
        for refresh in [
            RefreshClaims(id: "a", sessionId: "b", gen: 3, iat: 5, exp: 9),
            RefreshClaims(id: "a", sessionId: "b", gen: nil, iat: nil, exp: 9),
        ] {
            #expect(
                String(decoding: refresh.compactJSON, as: UTF8.self)
                    == String(decoding: try encoder.encode(refresh), as: UTF8.self))
        }
    }

    @Test(
        "email rule",
        arguments: [
            ("a@example.com", true), ("first.last+tag@sub.example.org", true), ("a@b.co", true),
            ("no-at.example.com", false), ("a@b", false), ("a@b.c", false), (".a@b.com", false), ("a..b@c.com", false),
            ("a@-b.com", false), ("a b@c.com", false), ("", false),
        ])
    func emails(email: String, valid: Bool) {
        #expect(Validation.isValidEmail(email) == valid)
    }

    @Test("object ids are 24 hex, unique and time-ordered")
    func objectIDs() {
        let ids = (0..<1000).map { _ in ObjectID.generate() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy(ObjectID.isValid))
        #expect(!ObjectID.isValid("zz" + String(repeating: "0", count: 22)))
    }
}

@Suite("Stores under concurrency")
struct StoreTests {
    static func user(_ email: String) -> User {
        User(
            id: ObjectID.generate(), name: "N", username: "", email: email, emailVerified: true, passwordHash: nil,
            createdAt: 0, updatedAt: 0)
    }

    @Test("concurrent creations: one ADMIN, unique emails")
    func firstAdmin() async {
        let store = UserStore(shardCount: 8)
        let outcomes = await withTaskGroup(of: UserStore.CreateOutcome.self) { group in
            for i in 0..<200 { group.addTask { await store.create(Self.user("u\(i % 100)@example.com")) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let created = outcomes.compactMap { if case .created(let user) = $0 { user } else { nil } }
        #expect(created.count == 100)
        #expect(created.filter { $0.role == "ADMIN" }.count == 1)
        #expect(store.count == 100)
        #expect(await store.user(email: " U7@Example.com ")?.email == "u7@example.com")
    }

    @Test("refresh outcomes: rotate, replay within grace, reuse after it, expiry")
    func sessions() async throws {
        let store = SessionStore(shardCount: 4)
        let first: [UInt8] = Array(repeating: 1, count: 32)
        await store.insert(
            Session(
                id: "s", userId: "u", currentHash: first, previousHash: nil, generation: 0,
                rotatedAt: 0, createdAt: 0, expiresAt: 10_000))
        let second: [UInt8] = Array(repeating: 2, count: 32)
        let rotated = try await store.refresh(id: "s", userId: "u", presentedHash: first, now: 100, grace: 50) { _ in
            second
        }
        guard case .rotated(let session) = rotated else {
            Issue.record("expected rotation")
            return
        }
        #expect(session.generation == 1 && session.currentHash == second)
        #expect(
            try await store.refresh(id: "s", userId: "other", presentedHash: second, now: 110, grace: 50) { _ in [] }
                == .notFound)
        let replay = try await store.refresh(
            id: "s", userId: "u", presentedHash: first, now: 140, grace: 50, reissue: { _ in [] })
        guard case .replayedWithinGrace = replay else {
            Issue.record("expected grace replay")
            return
        }
        #expect(
            try await store.refresh(id: "s", userId: "u", presentedHash: first, now: 200, grace: 50) { _ in [] }
                == .reuseDetected)
        #expect(await store.session(id: "s") == nil)
        await store.insert(
            Session(
                id: "t", userId: "u", currentHash: first, previousHash: nil, generation: 0,
                rotatedAt: 0, createdAt: 0, expiresAt: 10))
        #expect(
            try await store.refresh(id: "t", userId: "u", presentedHash: first, now: 20, grace: 50) { _ in [] }
                == .expired)
    }
}
