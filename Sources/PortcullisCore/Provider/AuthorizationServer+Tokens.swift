import Foundation
import PortcullisCrypto

extension AuthorizationServer {
    /// What the token endpoint answers (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
    public struct TokenResponse: Sendable, Equatable {
        public var accessToken: String
        public var idToken: String
        public var refreshToken: String
        /// Seconds.
        public var expiresIn: Int64
        public var scope: String

        public var json: [String: Any] {
            [
                "access_token": accessToken, "token_type": "Bearer", "expires_in": expiresIn, "id_token": idToken,
                "refresh_token": refreshToken, "scope": scope,
            ]
        }
    }

    /// The client a request authenticates as: HTTP Basic (`client_secret_basic`, id and secret
    /// form-decoded), `client_id` and `client_secret` in the body (`client_secret_post`), or a public
    /// client's `client_id` alone (`none`). Using two methods at once is refused (RFC 6749 §2.3).
    public func authenticateClient(
        _ parameters: [String: String], basic: (id: String, secret: String)?, allowPublic: Bool = true
    ) throws(ProviderError) -> ProviderClient {
        if basic != nil, parameters["client_secret"] != nil {
            throw ProviderError(.invalidRequest, "use one client authentication method")
        }
        if let basic, let id = parameters["client_id"], id != basic.id {
            throw ProviderError(.invalidClient, "client_id differs from the authenticated client")
        }
        guard let id = basic?.id ?? parameters["client_id"], let client = store.client(id: id) else {
            throw ProviderError(.invalidClient, "unknown client or wrong credentials")
        }
        let secret = basic?.secret ?? parameters["client_secret"]
        if client.isPublic {
            guard secret == nil || secret == "" else {
                throw ProviderError(.invalidClient, "a public client has no secret")
            }
            guard allowPublic else { throw ProviderError(.invalidClient, "a public client cannot use this endpoint") }
        } else {
            guard let secret, client.accepts(secret: secret) else {
                throw ProviderError(.invalidClient, "unknown client or wrong credentials")
            }
        }
        return client
    }

    /// The token endpoint for an authenticated client.
    public func token(
        _ parameters: [String: String], client: ProviderClient
    ) async throws(ProviderError) -> TokenResponse {
        switch parameters["grant_type"] {
        case "authorization_code": return try await exchange(parameters, client: client)
        case "refresh_token": return try await refresh(parameters, client: client)
        case nil: throw ProviderError(.invalidRequest, "grant_type is missing")
        default: throw ProviderError(.unsupportedGrantType, "only authorization_code and refresh_token")
        }
    }

    func exchange(_ parameters: [String: String], client: ProviderClient) async throws(ProviderError) -> TokenResponse {
        guard let code = parameters["code"], code.utf8.count == 43 else {
            throw ProviderError(.invalidGrant, "the code is missing or malformed")
        }
        let verifier = parameters["code_verifier"]
        let redirectURI = parameters["redirect_uri"]
        let now = clock.milliseconds
        let lifetime = configuration.refreshLifetime * 1000
        // Checked inside the shard before the code is spent: a wrong client, redirect URI or verifier
        // leaves it for its rightful holder.
        let outcome = await store.redeem(
            grantId: Self.grantId(ofCode: code), codeHash: SHA256.hash(data: Array(code.utf8)).bytes, now: now
        ) { stored in
            if let problem = Self.problem(
                redeeming: stored, client: client, redirectURI: redirectURI, verifier: verifier)
            {
                return .failure(problem)
            }
            return .success(
                ProviderGrant(
                    id: stored.grantId, clientId: stored.clientId, userId: stored.userId, scope: stored.scope,
                    browserSession: stored.browserSession, authTime: stored.authTime, method: stored.method,
                    generation: 0, rotatedAt: now, createdAt: now, expiresAt: now + lifetime))
        }
        switch outcome {
        case .issued(let stored, let grant):
            guard let user = await liveUser(of: grant) else {
                await store.removeGrant(id: grant.id)
                throw ProviderError(.invalidGrant, "the user can no longer sign in")
            }
            return try mint(
                grant, user: user, scopes: grant.scope.split(separator: " ").map(String.init), nonce: stored.nonce,
                client: client)
        case .replayed(let stored):
            await service.audit.record(
                .appTokenReuse, .failed, actor: AuditEvent.anonymousActor,
                subject: await service.users.user(id: stored.userId), detail: "code replayed: grant revoked")
            throw ProviderError(.invalidGrant, "the code was already used; every token issued from it is revoked")
        case .refused(let problem):
            throw problem
        case .expired: throw ProviderError(.invalidGrant, "the code has expired")
        case .unknown: throw ProviderError(.invalidGrant, "the code is invalid")
        }
    }

    static func problem(
        redeeming code: AuthorizationCode, client: ProviderClient, redirectURI: String?, verifier: String?
    ) -> ProviderError? {
        guard code.clientId == client.id else {
            return ProviderError(.invalidGrant, "the code was issued to another client")
        }
        guard redirectURI == code.redirectURI else {
            return ProviderError(.invalidGrant, "redirect_uri differs from the authorization request's")
        }
        if let challenge = code.challenge {
            guard let verifier, (43...128).contains(verifier.utf8.count),
                verifier.utf8.allSatisfy({
                    AuthorizationRequest.isBase64URL($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "~")
                })
            else { return ProviderError(.invalidGrant, "code_verifier is missing or malformed") }
            let computed = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)).bytes)
            guard ConstantTime.equals(Array(computed.utf8), Array(challenge.utf8)) else {
                return ProviderError(.invalidGrant, "code_verifier does not match the code_challenge")
            }
        } else if verifier != nil {
            return ProviderError(.invalidGrant, "code_verifier sent for a request without code_challenge")
        }
        return nil
    }

    func refresh(_ parameters: [String: String], client: ProviderClient) async throws(ProviderError) -> TokenResponse {
        guard let (grantId, generation) = parseRefreshToken(parameters["refresh_token"]),
            let grant = await store.grant(id: grantId), grant.clientId == client.id
        else { throw ProviderError(.invalidGrant, "the refresh token is invalid") }
        var scopes = grant.scope.split(separator: " ").map(String.init)
        if let asked = parameters["scope"] {
            let narrowed = asked.split(separator: " ").map(String.init)
            guard Set(narrowed).isSubset(of: scopes) else {
                throw ProviderError(.invalidScope, "scope exceeds what was granted")
            }
            scopes = scopes.filter(narrowed.contains)
        }
        guard let user = await liveUser(of: grant) else {
            await store.removeGrant(id: grant.id)
            throw ProviderError(.invalidGrant, "the grant has ended (signed out, suspended or deleted)")
        }
        switch await store.refresh(
            grantId: grantId, generation: generation, now: clock.milliseconds,
            grace: service.configuration.refreshReuseGrace)
        {
        case .rotated(let next), .replayedWithinGrace(let next):
            return try mint(next, user: user, scopes: scopes, nonce: nil, client: client)
        case .reuseDetected:
            await service.audit.record(
                .appTokenReuse, .failed, actor: AuditEvent.anonymousActor, subject: user,
                detail: "\(client.name): refresh token reused: grant revoked")
            throw ProviderError(.invalidGrant, "the refresh token was already used; the grant is revoked")
        case .notFound, .expired:
            throw ProviderError(.invalidGrant, "the refresh token is invalid")
        }
    }

    /// The grant's user, while they may still use it: they exist and are not banned; a grant
    /// without `offline_access` also needs its browser session, and any grant ends with a password
    /// change (as trusted devices do).
    func liveUser(of grant: ProviderGrant) async -> User? {
        let now = clock.milliseconds
        guard let user = await service.users.user(id: grant.userId), user.devicesRevokedAt <= grant.createdAt else {
            return nil
        }
        if let expiry = await banExpiry(user.id), expiry > now { return nil }
        if !grant.isOffline {
            guard let session = await service.sessions.session(id: grant.browserSession), session.expiresAt > now else {
                return nil
            }
        }
        return user
    }

    /// Signs the tokens of a grant at its current generation.
    func mint(
        _ grant: ProviderGrant, user: User, scopes: [String], nonce: String?, client: ProviderClient
    ) throws(ProviderError) -> TokenResponse {
        let now = clock.seconds
        let lifetime = configuration.tokenLifetime
        let scope = scopes.joined(separator: " ")
        var access: [String: Any] = [
            "iss": issuer, "sub": user.id, "aud": client.id, "client_id": client.id, "iat": now, "exp": now + lifetime,
            "jti": Base64URL.encode(SecureRandom.bytes(count: 16)), "scope": scope, "gid": grant.id,
            "auth_time": grant.authTime / 1000, configuration.rolesClaim: roles(of: user),
        ]
        if scopes.contains("email") { access["email"] = user.email }
        let accessToken = try sign(access, algorithm: client.signingAlgorithm, type: "at+jwt")
        let (amr, acr) = Self.authenticationMethods(grant.method)
        var id = userClaims(user, scopes: scopes)
        id["iss"] = issuer
        id["aud"] = client.id
        id["azp"] = client.id
        id["iat"] = now
        id["exp"] = now + lifetime
        id["auth_time"] = grant.authTime / 1000
        id["amr"] = amr
        id["acr"] = acr
        id["sid"] = sessionName(grant.browserSession)
        // at_hash: the left half of SHA-256 of the access token (§3.1.3.6), tying the two together.
        id["at_hash"] = Base64URL.encode(Array(SHA256.hash(data: Array(accessToken.utf8)).bytes.prefix(16)))
        if let nonce { id["nonce"] = nonce }
        return TokenResponse(
            accessToken: accessToken, idToken: try sign(id, algorithm: client.signingAlgorithm),
            refreshToken: refreshToken(grantId: grant.id, generation: grant.generation), expiresIn: lifetime,
            scope: scope)
    }

    // MARK: Refresh tokens

    func refreshToken(grantId: String, generation: Int) -> String {
        let body = "\(grantId).\(generation)"
        return body + "." + Base64URL.encode(refreshMAC.authenticationCode(for: Array(body.utf8)).bytes)
    }

    /// The grant and generation a refresh token names, if its MAC is ours.
    func parseRefreshToken(_ token: String?) -> (String, Int)? {
        guard let token, token.utf8.count <= 128 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let generation = Int(parts[1]), generation >= 0 else { return nil }
        let expected = refreshToken(grantId: String(parts[0]), generation: generation)
        guard ConstantTime.equals(Array(expected.utf8), Array(token.utf8)) else { return nil }
        return (String(parts[0]), generation)
    }
}
