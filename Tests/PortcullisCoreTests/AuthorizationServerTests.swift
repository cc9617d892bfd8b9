import Foundation
import PortcullisCrypto
import Testing

@testable import PortcullisCore

@Suite("OpenID provider: codes, grants, clients, keys")
struct AuthorizationServerTests {
    static let callback = "https://chat.example/oauth/openid/callback"

    /// A provider on a moved-by-hand clock, with keys written by openssl (RSA PKCS#8 and EC SEC 1).
    static func provider(clock: ManualClock) async throws -> (AuthorizationServer, User, Session, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "portcullis-op-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.writeOpenSSLKeys(into: directory, created: clock.milliseconds)
        let environment = Environment([
            "JWT_SECRET": "op-test-secret", "JWT_REFRESH_SECRET": "op-test-refresh", "ARGON2_MEMORY_KIB": "64",
            "ARGON2_ITERATIONS": "1", "PORTCULLIS_DATA_DIR": directory.path, "DOMAIN_SERVER": "https://auth.example",
        ])
        let configuration = try AuthConfiguration(environment: environment)
        let service = try AuthService(configuration: configuration, clock: clock)
        let provider = AuthorizationServer(
            configuration: try ProviderConfiguration(
                environment: environment, domainServer: configuration.domainServer,
                refreshTokenExpiry: configuration.refreshTokenExpiry),
            service: service, store: ProviderStore(shardCount: 4),
            keys: try ProviderKeys(directory: directory.path, tokenLifetime: 900, clock: clock))
        guard
            case .created(let user) = try await service.createUser(
                email: "a@example.com", name: "Alice", username: "alice", password: "correct horse battery",
                emailVerified: true,
                provider: "local")
        else { throw ProviderError(.serverError, "no user") }
        let tokens = try await service.startSession(for: user, method: "password+totp")
        let session = try #require(await service.sessions.session(id: tokens.sessionId ?? ""))
        return (provider, user, session, directory.path)
    }

    static func writeOpenSSLKeys(into directory: URL, created: Int64) throws {
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem"])
        try openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem"])
        let rsa = try String(contentsOf: directory.appendingPathComponent("rsa.pem"), encoding: .utf8)
        let ec = try String(contentsOf: directory.appendingPathComponent("ec.pem"), encoding: .utf8)
        let document: [String: Any] = [
            "keys": [
                ["kid": "rsa-1", "alg": "RS256", "created": created, "pem": rsa],
                ["kid": "ec-1", "alg": "ES256", "created": created, "pem": ec],
            ]
        ]
        try JSONSerialization.data(withJSONObject: document).write(
            to: directory.appendingPathComponent(ProviderKeys.fileName))
    }

    static func request(
        _ provider: AuthorizationServer, _ client: ProviderClient, _ extra: [String: String] = [:]
    ) throws -> AuthorizationRequest {
        var parameters = [
            "client_id": client.id, "redirect_uri": callback, "response_type": "code", "scope": "openid email",
            "state": "s1",
        ]
        parameters.merge(extra) { $1 }
        return try AuthorizationRequest(parameters: parameters, client: provider.store.client(id:))
    }

    static func code(from location: String) throws -> String {
        let items = URLComponents(string: location)?.queryItems ?? []
        return try #require(items.first { $0.name == "code" }?.value)
    }

    @Test("a code lives 60 seconds, is spent once, and its replay revokes the grant it made")
    func codes() async throws {
        let clock = ManualClock()
        let (provider, user, session, _) = try await Self.provider(clock: clock)
        let (client, secret) = try await provider.register(
            name: "Chat", redirectURIs: [Self.callback], postLogoutRedirectURIs: [], isPublic: false, firstParty: true)
        let secretValue = try #require(secret)
        #expect(
            try provider.authenticateClient(["client_id": client.id, "client_secret": secretValue], basic: nil)
                == client)
        #expect(throws: ProviderError.self) {
            try provider.authenticateClient(["client_id": client.id, "client_secret": secretValue + "x"], basic: nil)
        }
        let request = try Self.request(provider, client)
        guard
            case .redirect(let late) = try await provider.authorize(request, browser: (user, session), requestedAt: nil)
        else { throw ProviderError(.serverError, "no code") }
        clock.advance(by: 61_000)
        let exchange = [
            "grant_type": "authorization_code", "code": try Self.code(from: late), "redirect_uri": Self.callback,
        ]
        await #expect(throws: ProviderError(.invalidGrant, "the code has expired")) {
            try await provider.token(exchange, client: client)
        }

        guard
            case .redirect(let location) = try await provider.authorize(
                request, browser: (user, session), requestedAt: nil)
        else { throw ProviderError(.serverError, "no code") }
        #expect(location.contains("iss=https%3A%2F%2Fauth.example") && location.contains("state=s1"))
        var fresh = exchange
        fresh["code"] = try Self.code(from: location)
        let tokens = try await provider.token(fresh, client: client)
        let claims = try #require(provider.verify(tokens.idToken, as: TestClaims.self))
        #expect(claims.amr == ["pwd", "otp", "mfa"] && claims.acr == "2")
        #expect(try await provider.userinfo(accessToken: tokens.accessToken)["email"] as? String == "a@example.com")
        await #expect(throws: ProviderError.self) { try await provider.token(fresh, client: client) }
        await #expect(throws: ProviderError.self) { try await provider.userinfo(accessToken: tokens.accessToken) }
        #expect(await provider.store.grant(id: AuthorizationServer.grantId(ofCode: fresh["code"]!)) == nil)
    }

    @Test("refresh: rotation, the grace replay, reuse after the grace revokes; logout ends the grant")
    func refresh() async throws {
        let clock = ManualClock()
        let (provider, user, session, _) = try await Self.provider(clock: clock)
        let (client, _) = try await provider.register(
            name: "SPA", redirectURIs: [Self.callback], postLogoutRedirectURIs: [], isPublic: true, firstParty: true)
        let verifier = String(repeating: "v", count: 43)
        let challenge = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)).bytes)
        let request = try Self.request(
            provider, client, ["code_challenge": challenge, "code_challenge_method": "S256"])
        guard
            case .redirect(let location) = try await provider.authorize(
                request, browser: (user, session), requestedAt: nil)
        else { throw ProviderError(.serverError, "no code") }
        let first = try await provider.token(
            [
                "grant_type": "authorization_code", "code": try Self.code(from: location),
                "redirect_uri": Self.callback,
                "code_verifier": verifier,
            ], client: client)
        let refresh = { (token: String) in
            try await provider.token(["grant_type": "refresh_token", "refresh_token": token], client: client)
        }
        let second = try await refresh(first.refreshToken)
        #expect(second.refreshToken != first.refreshToken)
        #expect(try await refresh(first.refreshToken).refreshToken == second.refreshToken)  // within the grace
        clock.advance(by: 11_000)
        await #expect(throws: ProviderError.self) { try await refresh(first.refreshToken) }
        await #expect(throws: ProviderError.self) { try await refresh(second.refreshToken) }  // the grant is gone

        // A new grant ends with the browser session that made it.
        guard
            case .redirect(let again) = try await provider.authorize(
                request, browser: (user, session), requestedAt: nil)
        else { throw ProviderError(.serverError, "no code") }
        let third = try await provider.token(
            [
                "grant_type": "authorization_code", "code": try Self.code(from: again), "redirect_uri": Self.callback,
                "code_verifier": verifier,
            ], client: client)
        await provider.service.sessions.remove(id: session.id, userId: user.id)
        await #expect(throws: ProviderError.self) { try await refresh(third.refreshToken) }
    }

    @Test("prompt, max_age and consent decide between signing in, asking and issuing")
    func decisions() async throws {
        let clock = ManualClock()
        let (provider, user, session, _) = try await Self.provider(clock: clock)
        let (client, _) = try await provider.register(
            name: "Wiki", redirectURIs: [Self.callback], postLogoutRedirectURIs: [], isPublic: false, firstParty: false)
        #expect(try await provider.authorize(Self.request(provider, client), browser: nil, requestedAt: nil) == .signIn)
        await #expect(throws: ProviderError.self) {
            try await provider.authorize(
                Self.request(provider, client, ["prompt": "none"]), browser: nil, requestedAt: nil)
        }
        let plain = try Self.request(provider, client)
        #expect(
            try await provider.authorize(plain, browser: (user, session), requestedAt: nil)
                == .consent(scopes: ["openid", "email"]))
        _ = try await provider.consent(plain, browser: (user, session), allowed: true)
        guard case .redirect = try await provider.authorize(plain, browser: (user, session), requestedAt: nil) else {
            throw ProviderError(.serverError, "consent not remembered")
        }
        let wider = try Self.request(provider, client, ["scope": "openid email profile"])
        #expect(
            try await provider.authorize(wider, browser: (user, session), requestedAt: nil)
                == .consent(scopes: ["openid", "email", "profile"]))
        let fresh = try Self.request(provider, client, ["prompt": "login"])
        #expect(try await provider.authorize(fresh, browser: (user, session), requestedAt: nil) == .signIn)
        #expect(
            try await provider.authorize(fresh, browser: (user, session), requestedAt: session.createdAt + 1) == .signIn
        )
        guard
            case .redirect = try await provider.authorize(
                fresh, browser: (user, session), requestedAt: session.createdAt)
        else { throw ProviderError(.serverError, "a sign-in after the request satisfies prompt=login") }
        clock.advance(by: 120_000)
        #expect(
            try await provider.authorize(
                Self.request(provider, client, ["max_age": "60"]), browser: (user, session), requestedAt: nil)
                == .signIn)
        // A pending request survives only unaltered and fresh.
        let cookie = try #require(provider.pendingCookie(for: plain))
        #expect(provider.pendingRequest(cookie: cookie)?.parameters == plain.parameters)
        var tampered = Array(cookie)
        tampered[5] = tampered[5] == "A" ? "B" : "A"
        #expect(provider.pendingRequest(cookie: String(tampered)) == nil)
        clock.advance(by: ProviderConfiguration.pendingLifetime * 1000)
        #expect(provider.pendingRequest(cookie: cookie) == nil)
    }

    @Test("redirect URIs: exact, except a public client's loopback port; registration refuses bad URIs")
    func redirects() throws {
        let client = ProviderClient(
            id: "c", name: "C", secretHash: [], redirectURIs: ["http://127.0.0.1/cb", "https://a.example/cb"],
            postLogoutRedirectURIs: [], isPublic: true, firstParty: false, signingAlgorithm: "RS256", createdAt: 0)
        #expect(client.allowsRedirect("http://127.0.0.1:53124/cb"))
        #expect(client.allowsRedirect("https://a.example/cb"))
        for wrong in [
            "https://a.example/cb/", "https://a.example/CB", "https://a.example:443/cb", "http://127.0.0.1:1/cb2",
            "http://localhost:1/cb", "https://a.example/cb?x=1",
        ] {
            #expect(!client.allowsRedirect(wrong), "\(wrong)")
        }
        var confidential = client
        confidential.isPublic = false
        #expect(!confidential.allowsRedirect("http://127.0.0.1:53124/cb"))
        #expect(ProviderClient.problem(withRedirect: "com.example.app:/cb", isPublic: true) == nil)
        for bad in ["http://a.example/cb", "https://a.example/cb#x", "javascript:alert(1)", "https://u:p@a.example/"] {
            #expect(ProviderClient.problem(withRedirect: bad, isPublic: true) != nil, "\(bad)")
        }
    }

    @Test("rotation: new tokens use the new key; the old key verifies until its tokens expire, then is gone")
    func rotation() async throws {
        let clock = ManualClock()
        let (provider, _, _, directory) = try await Self.provider(clock: clock)
        let old = try provider.sign(["sub": "x", "exp": clock.seconds + 900, "iat": clock.seconds], algorithm: "RS256")
        let fresh = try provider.keys.rotate()
        #expect(fresh.count == 2 && provider.keys.all.count == 4)
        let new = try provider.sign(["sub": "y", "exp": clock.seconds + 900, "iat": clock.seconds], algorithm: "RS256")
        #expect(try JWSPublicKey.header(of: new).keyID != "rsa-1")
        #expect(provider.verify(old, as: TestClaims.self) != nil)
        // Reloaded from the file, the retirement is kept.
        let reloaded = try ProviderKeys(directory: directory, tokenLifetime: 900, clock: clock)
        #expect(reloaded.all.filter { $0.retiredAt != nil }.map(\.id).sorted() == ["ec-1", "rsa-1"])
        clock.advance(by: 899_000)
        try provider.keys.dropExpired()
        #expect(provider.keys.all.count == 4)
        clock.advance(by: 62_000)
        try provider.keys.dropExpired()
        #expect(provider.keys.all.map(\.id).sorted() == fresh.map(\.id).sorted())
        #expect(provider.verify(old, as: TestClaims.self) == nil)
        #expect(try ProviderKeys(directory: directory, tokenLifetime: 900, clock: clock).all.count == 2)
    }
}

/// The id_token claims the tests read.
struct TestClaims: Decodable, Equatable {
    var sub: String
    var amr: [String]?
    var acr: String?
}
