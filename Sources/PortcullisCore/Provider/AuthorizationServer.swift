import Foundation
import PortcullisCrypto

/// Portcullis as an OpenID Provider (OpenID Connect Core 1.0, OAuth 2.0 with PKCE): authorization
/// codes, tokens, userinfo, revocation, introspection and RP-initiated logout, independent of HTTP.
/// The sign-in itself is the engine's (password, 2FA, passkeys, social logins); what this adds is
/// handing that sign-in to other applications, as signed id_tokens and access tokens.
public final class AuthorizationServer: Sendable {
    public let configuration: ProviderConfiguration
    public let store: ProviderStore
    public let keys: ProviderKeys
    let service: AuthService
    /// The end of a ban on a user (moderation's), checked before anything is issued for them.
    let banExpiry: @Sendable (String) async -> Int64?
    /// Counts a code issued to a user against ``ProviderConfiguration/codeLimit``; seconds to wait
    /// when over it (moderation's limiter).
    let codeLimiter: @Sendable (String, ModerationConfiguration.Limit) async -> Int64?
    /// Refresh tokens are `<grant>.<generation>.<MAC>`: derived, never stored (as session tokens are).
    let refreshMAC: HMAC<SHA256>
    /// The browser cookie and the pending-request cookie.
    let cookieMAC: HMAC<SHA256>

    public init(
        configuration: ProviderConfiguration, service: AuthService, store: ProviderStore, keys: ProviderKeys,
        banExpiry: @escaping @Sendable (String) async -> Int64? = { _ in nil },
        codeLimiter: @escaping @Sendable (String, ModerationConfiguration.Limit) async -> Int64? = { _, _ in nil }
    ) {
        self.codeLimiter = codeLimiter
        self.configuration = configuration
        self.service = service
        self.store = store
        self.keys = keys
        self.banExpiry = banExpiry
        refreshMAC = HMAC(
            key: SymmetricKey(
                derivedFrom: service.configuration.jwtRefreshSecret, purpose: "portcullis oidc refresh v1"))
        cookieMAC = HMAC(
            key: SymmetricKey(derivedFrom: service.configuration.jwtSecret, purpose: "portcullis oidc cookies v1"))
    }

    var clock: any WallClock { service.clock }
    var issuer: String { configuration.issuer }

    /// The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414).
    public var discoveryDocument: [String: Any] {
        [
            "issuer": issuer,
            "authorization_endpoint": issuer + "/oidc/authorize",
            "token_endpoint": issuer + "/oidc/token",
            "userinfo_endpoint": issuer + "/oidc/userinfo",
            "jwks_uri": issuer + "/oidc/jwks",
            "revocation_endpoint": issuer + "/oidc/revoke",
            "introspection_endpoint": issuer + "/oidc/introspect",
            "end_session_endpoint": issuer + "/oidc/logout",
            "scopes_supported": AuthorizationRequest.supportedScopes,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ProviderClient.signingAlgorithms,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "azp", "sid", "email",
                "email_verified", "name", "preferred_username", "picture", "updated_at", configuration.rolesClaim,
            ],
            "acr_values_supported": ["1", "2"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
        ]
    }

    // MARK: The browser's sign-in

    /// The cookie that tells the provider which Portcullis session a browser has: `SameSite=Lax`,
    /// so that it arrives on the cross-site navigation from an application (the session cookies are
    /// `Strict` and do not). Names the session and is MACed; it is worth nothing once the session ends.
    public static let browserCookieName = "portcullis_sso"

    public func browserCookie(sessionId: String, userId: String) -> String {
        sessionId + "."
            + Base64URL.encode(cookieMAC.authenticationCode(for: Array("\(sessionId) \(userId)".utf8)).bytes)
    }

    /// The signed-in user and session a browser cookie names, if the session is still live.
    public func browserSession(cookie: String?) async -> (user: User, session: Session)? {
        guard let cookie, cookie.utf8.count <= 128, let dot = cookie.firstIndex(of: ".") else { return nil }
        let sessionId = String(cookie[..<dot])
        guard let session = await service.sessions.session(id: sessionId), session.expiresAt > clock.milliseconds,
            ConstantTime.equals(
                Array(browserCookie(sessionId: sessionId, userId: session.userId).utf8), Array(cookie.utf8)),
            let user = await service.users.user(id: session.userId)
        else { return nil }
        return (user, session)
    }

    // MARK: Signing

    /// Signs `claims` with the key for `algorithm` (`typ` is `JWT`, or `at+jwt` for access tokens).
    func sign(_ claims: [String: Any], algorithm: String, type: String = "JWT") throws(ProviderError) -> String {
        guard let key = keys.signing(algorithm: algorithm),
            let payload = try? JSONSerialization.data(
                withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes]),
            let token = try? key.key.sign(payload: Array(payload), keyID: key.id, type: type)
        else { throw ProviderError(.serverError, "signing failed") }
        return token
    }

    /// Verifies a token this provider signed (any published key) and returns its claims.
    /// - Parameter ignoringExpiry: for logout's `id_token_hint`, which may have expired.
    func verify<Claims: Decodable>(_ token: String, as type: Claims.Type, ignoringExpiry: Bool = false) -> Claims? {
        guard let header = try? JWSPublicKey.header(of: token),
            let key = keys.verification(id: header.keyID, algorithm: header.algorithm)
        else { return nil }
        let validation = ignoringExpiry ? JWTValidation(leeway: 10 * 365 * 86_400) : JWTValidation()
        return try? key.verify(token, as: type, validation: validation, now: clock.seconds)
    }

    // MARK: Claims

    /// The user's roles under ``ProviderConfiguration/rolesClaim``: `["USER"]`, or `["ADMIN", "USER"]`
    /// for administrators, so that requiring `USER` admits both.
    func roles(of user: User) -> [String] {
        user.role == Role.admin ? [Role.admin, Role.user] : [user.role]
    }

    /// The claims `scopes` release about `user` (id_token and userinfo alike).
    func userClaims(_ user: User, scopes: [String]) -> [String: Any] {
        var claims: [String: Any] = ["sub": user.id, configuration.rolesClaim: roles(of: user)]
        if scopes.contains("profile") {
            // Empty values are left out rather than sent as "" (LibreChat's username is optional).
            if !user.name.isEmpty { claims["name"] = user.name }
            if !user.username.isEmpty { claims["preferred_username"] = user.username }
            claims["updated_at"] = user.updatedAt / 1000
            if let avatar = user.avatar, !avatar.isEmpty { claims["picture"] = avatar }
        }
        if scopes.contains("email") {
            claims["email"] = user.email
            claims["email_verified"] = user.emailVerified
        }
        return claims
    }

    /// RFC 8176 methods and our `acr` ("2": two factors, or a user-verifying passkey; "1" otherwise).
    static func authenticationMethods(_ method: String) -> (amr: [String], acr: String) {
        switch method {
        case "password+totp", "password+backup_code": (["pwd", "otp", "mfa"], "2")
        case "passkey": (["hwk", "mfa"], "2")
        case let method where method.hasPrefix("provider:"): (["fed"], "1")
        default: (["pwd"], "1")
        }
    }

    /// A pairwise-stable, non-reversible name for a browser session (`sid`).
    func sessionName(_ sessionId: String) -> String {
        Base64URL.encode(Array(cookieMAC.authenticationCode(for: Array("sid \(sessionId)".utf8)).bytes.prefix(16)))
    }

    // MARK: Clients

    /// Registers a client and returns it with its secret (shown once; only its hash is kept).
    public func register(
        name: String, redirectURIs: [String], postLogoutRedirectURIs: [String], isPublic: Bool, firstParty: Bool,
        signingAlgorithm: String = "RS256"
    ) async throws(ProviderError) -> (ProviderClient, secret: String?) {
        let client = try Self.validatedClient(
            id: Base64URL.encode(SecureRandom.bytes(count: 16)), name: name, redirectURIs: redirectURIs,
            postLogoutRedirectURIs: postLogoutRedirectURIs, isPublic: isPublic, firstParty: firstParty,
            signingAlgorithm: signingAlgorithm, now: clock.milliseconds)
        let secret = isPublic ? nil : ProviderClient.makeSecret()
        var stored = client
        stored.secretHash = secret.map(ProviderClient.hashSecret) ?? []
        await store.put(stored)
        await audit(client: stored, detail: "registered")
        return (stored, secret)
    }

    /// A new secret for a confidential client; the old one stops working at once.
    public func rotateSecret(clientId: String) async throws(ProviderError) -> (ProviderClient, secret: String) {
        guard var client = store.client(id: clientId), !client.declared else {
            throw ProviderError(.invalidClient, "no such registered client (declared clients change in their file)")
        }
        guard !client.isPublic else { throw ProviderError(.invalidRequest, "a public client has no secret") }
        let secret = ProviderClient.makeSecret()
        client.secretHash = ProviderClient.hashSecret(secret)
        await store.put(client)
        await audit(client: client, detail: "secret rotated")
        return (client, secret)
    }

    /// Removes a client, its grants and its consents.
    public func remove(clientId: String) async -> ProviderClient? {
        guard let client = await store.removeClient(id: clientId) else { return nil }
        await audit(client: client, detail: "removed")
        return client
    }

    func audit(client: ProviderClient, detail: String) async {
        await service.audit.record(
            .appClientChanged, actor: AuditEvent.operatorActor, detail: "\(client.name) (\(client.id)): \(detail)")
    }

    /// Checks a client's registration: a name, 1–16 valid redirect URIs, valid post-logout URIs.
    static func validatedClient(
        id: String, name: String, redirectURIs: [String], postLogoutRedirectURIs: [String], isPublic: Bool,
        firstParty: Bool, signingAlgorithm: String, now: Int64, declared: Bool = false
    ) throws(ProviderError) -> ProviderClient {
        guard let name = Validation.singleLine(name, maximumLength: 128), !name.isEmpty else {
            throw ProviderError(.invalidRequest, "a client needs a name of at most 128 characters")
        }
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy(AuthorizationRequest.isBase64URL) else {
            throw ProviderError(.invalidRequest, "a client id is 1–128 characters of A–Z a–z 0–9 - _")
        }
        guard (1...ProviderClient.maximumURIs).contains(redirectURIs.count),
            postLogoutRedirectURIs.count <= ProviderClient.maximumURIs
        else {
            throw ProviderError(
                .invalidRequest, "a client needs 1 to 16 redirect URIs (and at most 16 post-logout URIs)")
        }
        for uri in redirectURIs + postLogoutRedirectURIs {
            if let problem = ProviderClient.problem(withRedirect: uri, isPublic: isPublic) {
                throw ProviderError(.invalidRequest, problem)
            }
        }
        guard ProviderClient.signingAlgorithms.contains(signingAlgorithm) else {
            throw ProviderError(.invalidRequest, "the signing algorithm must be RS256 or ES256")
        }
        return ProviderClient(
            id: id, name: name, secretHash: [], redirectURIs: redirectURIs,
            postLogoutRedirectURIs: postLogoutRedirectURIs, isPublic: isPublic, firstParty: firstParty,
            signingAlgorithm: signingAlgorithm, createdAt: now, declared: declared)
    }
}
