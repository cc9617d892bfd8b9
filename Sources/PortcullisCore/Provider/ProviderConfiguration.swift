import Foundation

/// The OpenID provider's settings (all ours): who it says it is, how long its tokens live, where
/// declared clients are read from.
public struct ProviderConfiguration: Sendable {
    /// `OIDC_ISSUER` (default `DOMAIN_SERVER`), without a trailing slash: the `iss` of every token
    /// and the base of every endpoint in the discovery document.
    public var issuer: String
    /// `OIDC_ROLES_CLAIM` (default `roles`): the claim the user's roles are put under, for
    /// LibreChat's `OPENID_REQUIRED_ROLE` and `OPENID_ADMIN_ROLE`.
    public var rolesClaim: String
    /// `OIDC_CLIENTS_FILE`: a JSON file of clients declared by the operator (read at start).
    public var clientsFile: String?
    /// `OIDC_TOKEN_TTL` (seconds, default 900): the lifetime of id_tokens and access tokens.
    public var tokenLifetime: Int64
    /// `OIDC_REFRESH_TOKEN_TTL` (seconds, default `REFRESH_TOKEN_EXPIRY`): a grant's absolute lifetime.
    public var refreshLifetime: Int64
    /// `OIDC_CODE_MAX` per `OIDC_CODE_WINDOW` minutes (default 60 per 1): codes issued to one user,
    /// so that a script holding someone's session cannot fill memory with codes.
    public var codeLimit: ModerationConfiguration.Limit
    /// How long an authorization code can be redeemed (seconds): at most 60, as OAuth 2.1 advises.
    public static let codeLifetime: Int64 = 60
    /// How long a redeemed code is remembered, so that its replay is recognised and revokes its grant.
    public static let codeMemory: Int64 = 600
    /// How long a browser may take between the authorization request and signing in (seconds).
    public static let pendingLifetime: Int64 = 900

    public init(environment: Environment, domainServer: String, refreshTokenExpiry: Int64) throws(ConfigurationError) {
        let issuer = (environment["OIDC_ISSUER"] ?? domainServer).withoutTrailingSlash
        guard let url = URL(string: issuer), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
            url.query == nil, url.fragment == nil
        else { throw ConfigurationError("OIDC_ISSUER", "must be an http(s) URL without query or fragment") }
        self.issuer = issuer
        rolesClaim = environment["OIDC_ROLES_CLAIM"] ?? "roles"
        guard !rolesClaim.isEmpty, Validation.singleLine(rolesClaim, maximumLength: 64) == rolesClaim else {
            throw ConfigurationError("OIDC_ROLES_CLAIM", "must be a short claim name")
        }
        clientsFile = environment["OIDC_CLIENTS_FILE"]
        tokenLifetime = try environment.integer("OIDC_TOKEN_TTL", default: 900, range: 60...86_400)
        codeLimit = ModerationConfiguration.Limit(
            max: Int(try environment.integer("OIDC_CODE_MAX", default: 60, range: 1...100_000)),
            windowMinutes: try environment.integer("OIDC_CODE_WINDOW", default: 1, range: 1...1440))
        refreshLifetime = try environment.integer(
            "OIDC_REFRESH_TOKEN_TTL", default: max(60, refreshTokenExpiry / 1000), range: 60...31_536_000)
    }
}
