import FoundationEssentials
import PortcullisCore
import PortcullisCrypto

/// An OpenID Connect provider found by discovery (`OPENID_*`, and Google with its fixed issuer):
/// code flow with PKCE and nonce, id_token checked with the provider's keys, userinfo merged over
/// the id_token's claims, roles read where configured.
public final class OpenIDProvider: SocialProvider {
    /// Where a role claim is read (`OPENID_*_ROLE_TOKEN_KIND`).
    public enum TokenKind: String, Sendable {
        case id, access, userinfo
    }

    /// A role rule: the roles, the lodash path, and the token it is read from.
    public struct RoleRule: Sendable {
        public var roles: [String]
        public var path: String
        public var kind: TokenKind

        public init(roles: [String], path: String, kind: TokenKind) {
            self.roles = roles
            self.path = path
            self.kind = kind
        }
    }

    /// How claims become a profile: LibreChat's OpenID rules, or Google's passport mapping.
    public enum Mapping: Sendable {
        case openid(OpenIDProfile.ClaimNames)
        case google
    }

    public struct Settings: Sendable {
        public var name: String
        public var issuer: String
        public var client: AuthorizationCodeClient
        public var clockTolerance: Int64
        /// `OPENID_AUDIENCE`'s first value, sent as `audience`.
        public var audience: String?
        public var mapping: Mapping
        public var requiredRole: RoleRule?
        /// `OPENID_ADMIN_ROLE` (one role); `fullyConfigured` when path and kind were set too.
        public var adminRole: RoleRule?
        public var adminFullyConfigured: Bool
        /// Seconds between two JWKS refetches caused by unknown key ids. Id tokens come straight
        /// from the token endpoint, so this only bounds what a misbehaving provider can cause.
        public var jwksRefetchInterval: Int64

        public init(
            name: String, issuer: String, client: AuthorizationCodeClient, clockTolerance: Int64 = 300,
            audience: String? = nil, mapping: Mapping, requiredRole: RoleRule? = nil, adminRole: RoleRule? = nil,
            adminFullyConfigured: Bool = false, jwksRefetchInterval: Int64 = 10
        ) {
            self.jwksRefetchInterval = jwksRefetchInterval
            self.name = name
            self.issuer = issuer
            self.client = client
            self.clockTolerance = clockTolerance
            self.audience = audience
            self.mapping = mapping
            self.requiredRole = requiredRole
            self.adminRole = adminRole
            self.adminFullyConfigured = adminFullyConfigured
        }
    }

    public let settings: Settings
    public var name: String { settings.name }
    private let requests: ProviderRequests
    private let discovery: OpenIDDiscovery

    public init(settings: Settings, http: any OutboundHTTP) {
        self.settings = settings
        requests = ProviderRequests(http: http)
        discovery = OpenIDDiscovery(
            issuer: settings.issuer, requests: requests, refetchInterval: settings.jwksRefetchInterval)
    }

    /// The discovery document (fetched once, kept for an hour).
    public func metadata() async throws(SocialLoginError) -> OpenIDProviderMetadata {
        try await discovery.metadata(now: Self.now())
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    public func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String {
        let metadata = try await metadata()
        var client = settings.client
        client.usePKCE = client.usePKCE && metadata.supportsS256
        let extra = settings.audience.map { [("audience", $0)] } ?? []
        return client.authorizationURL(
            endpoint: metadata.authorizationEndpoint, flow: flow, includeNonce: true, extra: extra)
    }

    public func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity {
        let metadata = try await metadata()
        var client = settings.client
        client.usePKCE = client.usePKCE && metadata.supportsS256
        let tokens = try await requests.token(
            .form(metadata.tokenEndpoint, client.tokenRequestBody(code: code, flow: flow)))
        guard let idToken = tokens.idToken else { throw .profile("no id_token in the token response") }
        let now = Self.now()
        var validator = IDTokenValidator(
            issuer: metadata.issuer, clientID: settings.client.clientID, clockTolerance: settings.clockTolerance)
        if case .google = settings.mapping, metadata.issuer == "https://accounts.google.com" {
            // Google documents both spellings of its issuer in id_tokens.
            validator.alternativeIssuers = ["accounts.google.com"]
        }
        let validated = try await validator.validate(
            idToken, keys: discovery.keys(now: now), nonce: flow.nonce, now: now)
        guard let idClaims = Self.payload(of: idToken) else { throw .profile("id_token payload") }
        var userinfo: JSONValue?
        if let endpoint = metadata.userinfoEndpoint {
            let info = try await requests.json(endpoint, endpoint: "userinfo", bearer: tokens.accessToken)
            // OpenID Connect Core §5.3.2: a userinfo answer for another subject must not be used.
            guard info["sub"]?.string == validated.sub else {
                throw .profile("userinfo sub differs from the id_token's")
            }
            userinfo = info
        }
        let claims = userinfo.map { idClaims.merging($0) } ?? idClaims
        func source(_ kind: TokenKind) -> JSONValue {
            switch kind {
            case .id: idClaims
            case .userinfo: userinfo ?? .object([:])
            // The access token came straight from the token endpoint: its claims are read, not verified.
            case .access: Self.payload(of: tokens.accessToken) ?? .object([:])
            }
        }
        if let rule = settings.requiredRole,
            !OpenIDRoles.hasRequiredRole(rule.roles, claims: source(rule.kind), path: rule.path)
        {
            throw .missingRole(rule.roles)
        }
        var admin = OpenIDRoles.AdminDecision.unchanged
        if let rule = settings.adminRole, let role = rule.roles.first {
            admin = OpenIDRoles.adminDecision(
                adminRole: role, claims: source(rule.kind), path: rule.path,
                fullyConfigured: settings.adminFullyConfigured)
        }
        var identity = try map(claims, issuer: metadata.issuer, admin: admin)
        // Only OpenID logouts send an id_token_hint (Google has no end-session endpoint).
        if settings.name == "openid" { identity.idToken = idToken }
        return identity
    }

    private func map(
        _ claims: JSONValue, issuer: String, admin: OpenIDRoles.AdminDecision
    ) throws(SocialLoginError) -> SocialIdentity {
        let admin: Bool? =
            switch admin {
            case .grant: true
            case .revoke: false
            case .unchanged: nil
            }
        switch settings.mapping {
        case .openid(let names):
            guard let mapped = OpenIDProfile(claims: claims, names: names) else {
                throw .profile("no sub or no name claim")
            }
            return SocialIdentity(
                provider: name, id: mapped.subject, issuer: issuer, email: mapped.email,
                emailVerified: mapped.emailVerified, username: mapped.username, name: mapped.name,
                avatar: claims["picture"]?.string, admin: admin)
        case .google:
            guard let subject = claims["sub"]?.identifier, let email = claims["email"]?.string else {
                throw .profile("no sub or email claim")
            }
            let given = claims["given_name"]?.string
            let full = [given, claims["family_name"]?.string].compactMap { $0 }.joined(separator: " ")
            let local = String(email.prefix { $0 != "@" })
            return SocialIdentity(
                provider: name, id: subject, email: email, emailVerified: claims["email_verified"]?.bool ?? false,
                username: given ?? local, name: full.isEmpty ? (claims["name"]?.string ?? local) : full,
                avatar: claims["picture"]?.string)
        }
    }

    /// A compact JWT's payload as JSON, without any check (callers verify first, or read tokens
    /// that came straight from the provider's token endpoint).
    static func payload(of token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= HS256Signer.maximumTokenLength,
            let bytes = Base64URL.decode(parts[1])
        else { return nil }
        return JSONValue.parse(bytes)
    }
}

/// The discovery document and the key cache built from its `jwks_uri`.
actor OpenIDDiscovery {
    private let issuer: String
    private let requests: ProviderRequests
    private let refetchInterval: Int64
    private var cached: (metadata: OpenIDProviderMetadata, keys: JWKSCache, at: Int64)?
    /// How long a discovery document is kept.
    static let lifetime: Int64 = 3600

    init(issuer: String, requests: ProviderRequests, refetchInterval: Int64) {
        self.refetchInterval = refetchInterval
        self.issuer = issuer
        self.requests = requests
    }

    func metadata(now: Int64) async throws(SocialLoginError) -> OpenIDProviderMetadata {
        try await current(now: now).metadata
    }

    func keys(now: Int64) async throws(SocialLoginError) -> JWKSCache {
        try await current(now: now).keys
    }

    private func current(
        now: Int64
    ) async throws(SocialLoginError) -> (metadata: OpenIDProviderMetadata, keys: JWKSCache, at: Int64) {
        if let cached, now - cached.at < Self.lifetime { return cached }
        let body = try await requests.document(
            issuer.withoutTrailingSlash + "/.well-known/openid-configuration", endpoint: "discovery")
        let metadata: OpenIDProviderMetadata
        do { metadata = try OpenIDProviderMetadata(json: body, expectedIssuer: issuer) } catch {
            throw .discovery(error)
        }
        let keys = requests.keySet(metadata.jwksURI, endpoint: "jwks_uri", minimumRefetchInterval: refetchInterval)
        let fresh = (metadata: metadata, keys: keys, at: now)
        cached = fresh
        return fresh
    }
}
