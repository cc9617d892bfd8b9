import Testing

@testable import PortcullisCore

@Suite("Social login: matching, linking, registration, the provider-id index")
struct SocialLoginTests {
    static func service(_ extra: [String: String] = [:]) throws -> AuthService {
        var values = [
            "JWT_SECRET": "social-test-secret", "JWT_REFRESH_SECRET": "social-test-refresh", "ARGON2_MEMORY_KIB": "64",
            "ARGON2_ITERATIONS": "1", "ALLOW_REGISTRATION": "true", "PORTCULLIS_DATA_DIR": "/nonexistent-social-test",
        ]
        values.merge(extra) { $1 }
        return try AuthService(configuration: AuthConfiguration(environment: Environment(values)))
    }

    static func github(
        _ id: String = "583231", email: String? = "octo@example.com", verified: Bool = true
    ) -> SocialIdentity {
        SocialIdentity(
            provider: "github", id: id, email: email, emailVerified: verified, username: "octocat", name: "Octo",
            avatar: "https://avatars.example/1")
    }

    static let open = SocialLoginPolicy(allowRegistration: true, allowLinking: false)

    static func user(_ outcome: AuthService.SocialLoginOutcome) -> User? {
        if case .success(let tokens) = outcome { return tokens.user }
        return nil
    }

    @Test("a new user is created as USER (never the first-admin rule), then found by provider id")
    func createThenFind() async throws {
        let service = try Self.service()
        let created = try #require(Self.user(try await service.socialLogin(Self.github(), policy: Self.open)))
        #expect(created.role == "USER" && created.provider == "github" && created.providerIds == ["githubId": "583231"])
        #expect(created.passwordHash == nil && created.emailVerified)
        // The provider now reports another email: still the same account, email unchanged.
        let again = try #require(
            Self.user(try await service.socialLogin(Self.github(email: "new@example.com"), policy: Self.open)))
        #expect(again.id == created.id && again.email == "octo@example.com")
        #expect(await service.users.user(providerField: "githubId", value: "583231")?.id == created.id)
    }

    @Test("profile text is bounded and only https avatars are kept")
    func bounded() async throws {
        let service = try Self.service()
        var identity = Self.github()
        identity.name = String(repeating: "n", count: 5000)
        identity.avatar = "javascript:alert(1)"
        let user = try #require(Self.user(try await service.socialLogin(identity, policy: Self.open)))
        #expect(user.name.count == 80 && user.avatar == nil)
        identity.id = String(repeating: "9", count: 300)
        guard case .refused = try await service.socialLogin(identity, policy: Self.open) else {
            Issue.record("long id accepted")
            return
        }
    }

    @Test("registration off refuses unknown users; a missing or unusable email is refused")
    func registrationAndEmails() async throws {
        let service = try Self.service()
        let closed = SocialLoginPolicy(allowRegistration: false, allowLinking: false)
        guard case .refused(let reason) = try await service.socialLogin(Self.github(), policy: closed) else {
            Issue.record("not refused")
            return
        }
        #expect(reason == "Social registration is disabled")
        for email in [
            nil, "", "a b@example.com", "x\u{0}y@example.com", String(repeating: "a", count: 300) + "@example.com",
        ] {
            guard case .refused = try await service.socialLogin(Self.github(email: email), policy: Self.open) else {
                Issue.record("accepted \(String(describing: email))")
                return
            }
        }
        #expect(service.users.count == 0)
    }

    @Test("another provider's or a local account: refused unless linking is on and both emails are verified")
    func linking() async throws {
        let service = try Self.service()
        guard
            case .created(let local) = try await service.createUser(
                email: "octo@example.com", name: "Local User", username: "localuser",
                password: "correct horse battery", emailVerified: true,
                provider: "local")
        else {
            Issue.record("no local user")
            return
        }
        guard case .refused = try await service.socialLogin(Self.github(), policy: Self.open) else {
            Issue.record("linked without consent")
            return
        }
        let linking = SocialLoginPolicy(allowRegistration: true, allowLinking: true)
        guard case .refused = try await service.socialLogin(Self.github(verified: false), policy: linking) else {
            Issue.record("linked an unverified provider email")
            return
        }
        let linked = try #require(Self.user(try await service.socialLogin(Self.github(), policy: linking)))
        #expect(linked.id == local.id && linked.provider == "local" && linked.providerIds["githubId"] == "583231")
        // A second GitHub account with the same email cannot take the slot.
        guard case .refused = try await service.socialLogin(Self.github("999"), policy: linking) else {
            Issue.record("second id linked")
            return
        }
    }

    @Test("bans are checked before a session starts; OpenID issuers must match; admin decisions apply")
    func bansIssuersAdmin() async throws {
        let service = try Self.service()
        let banned = try await service.socialLogin(Self.github(), policy: Self.open) { _ in 42 }
        guard case .banned(let until) = banned else {
            Issue.record("not banned")
            return
        }
        #expect(until == 42)
        #expect(service.sessions.count == 0)

        var openid = SocialIdentity(
            provider: "openid", id: "sub-1", issuer: "https://idp.example/", email: "o@example.com",
            emailVerified: true, username: "o", name: "O", admin: true)
        #expect(try #require(Self.user(try await service.socialLogin(openid, policy: Self.open))).role == "ADMIN")
        openid.issuer = "https://idp.example/.well-known/openid-configuration"
        openid.admin = false
        #expect(try #require(Self.user(try await service.socialLogin(openid, policy: Self.open))).role == "USER")
        openid.issuer = "https://other.example"
        guard case .refused = try await service.socialLogin(openid, policy: Self.open) else {
            Issue.record("issuer ignored")
            return
        }
    }

    @Test("the provider-id index is rebuilt by both restore paths and freed on delete")
    func indexRestore() async throws {
        let user = User(
            id: ObjectID.generate(), name: "N", username: "n", email: "n@example.com", emailVerified: true,
            passwordHash: nil,
            provider: "discord", providerIds: ["discordId": "42"], createdAt: 0, updatedAt: 0)
        let snapshot = UserStore(shardCount: 4)
        await snapshot.restore(batch: [user])
        #expect(await snapshot.user(providerField: "discordId", value: "42")?.id == user.id)
        let journal = UserStore(shardCount: 4)
        await journal.restore(user)
        var moved = user
        moved.providerIds = ["discordId": "43"]
        await journal.restore(moved)
        #expect(await journal.user(providerField: "discordId", value: "42") == nil)
        #expect(await journal.user(providerField: "discordId", value: "43")?.id == user.id)
        // `update` cannot change provider ids behind the index's back.
        _ = await journal.update(id: user.id) { $0.providerIds = ["discordId": "44"] }
        #expect(await journal.user(id: user.id)?.providerIds == ["discordId": "43"])
        _ = await journal.delete(id: user.id)
        #expect(await journal.user(providerField: "discordId", value: "43") == nil)
        // A second user with the same provider id is refused, and its email is released again.
        let store = UserStore(shardCount: 4)
        _ = await store.create(user)
        var twin = user
        twin.id = ObjectID.generate()
        twin.email = "twin@example.com"
        #expect(await store.create(twin) == .emailTaken)
        #expect(await store.user(email: "twin@example.com") == nil)
        twin.providerIds = [:]
        guard case .created = await store.create(twin) else {
            Issue.record("email was not released")
            return
        }
    }
}

@Suite("Social login of a 2FA account ends at the second step")
struct SocialTwoFactorTests {
    @Test("an account with 2FA on gets a temporary token, not a session")
    func secondStep() async throws {
        let service = try SocialLoginTests.service()
        let created = try #require(
            SocialLoginTests.user(
                try await service.socialLogin(SocialLoginTests.github(), policy: SocialLoginTests.open)))
        _ = await service.users.update(id: created.id) { $0.twoFactorEnabled = true }
        let sessions = service.sessions.count
        guard
            case .twoFactorPending(let temp) = try await service.socialLogin(
                SocialLoginTests.github(), policy: SocialLoginTests.open)
        else {
            Issue.record("a session started without the second factor")
            return
        }
        #expect(service.twoFactorTempUserId(temp) == created.id)
        #expect(service.sessions.count == sessions)
    }
}
