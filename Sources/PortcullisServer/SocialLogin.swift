import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisOAuth

/// The social and OpenID logins configured by LibreChat's variables: which
/// providers are on, their policies, and the OpenID button and logout settings.
public struct SocialLogin: Sendable {
    /// Route order: LibreChat's default button order.
    public static let providerNames = ["google", "facebook", "openid", "github", "discord", "apple"]

    public var providers: [String: any SocialProvider]
    /// `<PROVIDER>_ALLOW_ACCOUNT_LINKING`, by provider.
    public var linking: [String: Bool]
    public var allowRegistration: Bool
    public var flowCookies: FlowCookieSealer
    public var openidLabel: String
    public var openidImageURL: String
    public var openidAutoRedirect: Bool
    /// `OPENID_USE_END_SESSION_ENDPOINT`.
    public var openidEndSession: Bool
    public var openidPostLogoutRedirect: String?
    /// `OPENID_MAX_LOGOUT_URL_LENGTH`: the longest end-session URL that carries an `id_token_hint`.
    public var openidMaxLogoutURLLength = 2000

    /// An empty configuration: no provider enabled.
    public static func disabled(secret: [UInt8]) -> SocialLogin {
        SocialLogin(
            providers: [:], linking: [:], allowRegistration: false, flowCookies: FlowCookieSealer(secret: secret),
            openidLabel: "Continue with OpenID", openidImageURL: "", openidAutoRedirect: false, openidEndSession: false,
            openidPostLogoutRedirect: nil)
    }

    init(
        providers: [String: any SocialProvider], linking: [String: Bool], allowRegistration: Bool,
        flowCookies: FlowCookieSealer,
        openidLabel: String, openidImageURL: String, openidAutoRedirect: Bool, openidEndSession: Bool,
        openidPostLogoutRedirect: String?
    ) {
        self.providers = providers
        self.linking = linking
        self.allowRegistration = allowRegistration
        self.flowCookies = flowCookies
        self.openidLabel = openidLabel
        self.openidImageURL = openidImageURL
        self.openidAutoRedirect = openidAutoRedirect
        self.openidEndSession = openidEndSession
        self.openidPostLogoutRedirect = openidPostLogoutRedirect
    }

    /// Reads the variables. A provider is on when `ALLOW_SOCIAL_LOGIN=true` and its credentials are
    /// set; a variable that is set but unusable (a key file that does not load, an `http` issuer on
    /// a public host, ...) is an error naming it.
    public init(
        environment env: Environment, configuration: AuthConfiguration, http: any OutboundHTTP
    ) throws(ConfigurationError) {
        let secret = env["OPENID_SESSION_SECRET"].map { Array($0.utf8) } ?? configuration.jwtRefreshSecret
        self = .disabled(secret: secret)
        allowRegistration = configuration.allowSocialRegistration
        openidLabel = env["OPENID_BUTTON_LABEL"] ?? openidLabel
        openidImageURL = env["OPENID_IMAGE_URL"] ?? ""
        openidAutoRedirect = try env.bool("OPENID_AUTO_REDIRECT", default: false)
        openidEndSession = try env.bool("OPENID_USE_END_SESSION_ENDPOINT", default: false)
        openidPostLogoutRedirect = env["OPENID_POST_LOGOUT_REDIRECT_URI"]
        // LibreChat falls back to 2000 for an unusable value.
        openidMaxLogoutURLLength = Int(
            (try? env.integer("OPENID_MAX_LOGOUT_URL_LENGTH", default: 2000, range: 1...1_000_000)) ?? 2000)
        for name in Self.providerNames {
            linking[name] = try env.bool("\(name.uppercased())_ALLOW_ACCOUNT_LINKING", default: false)
        }
        guard configuration.allowSocialLogin else { return }
        let server = configuration.domainServer.withoutTrailingSlash

        func client(
            _ prefix: String, scope: String, secretRequired: Bool = true
        ) throws(ConfigurationError) -> AuthorizationCodeClient? {
            guard let id = env["\(prefix)_CLIENT_ID"] else { return nil }
            let secret = env["\(prefix)_CLIENT_SECRET"]
            if secretRequired && secret == nil { return nil }
            let path = env["\(prefix)_CALLBACK_URL"] ?? "/oauth/\(prefix.lowercased())/callback"
            guard path.hasPrefix("/") else {
                throw ConfigurationError("\(prefix)_CALLBACK_URL", "must be a path starting with /")
            }
            return AuthorizationCodeClient(clientID: id, clientSecret: secret, redirectURI: server + path, scope: scope)
        }
        func endpoint(_ variable: String) throws(ConfigurationError) -> String? {
            guard let value = env[variable] else { return nil }
            guard OpenIDProviderMetadata.isAcceptableEndpoint(value) else {
                throw ConfigurationError(variable, "must be an https URL (http only for loopback hosts)")
            }
            return value
        }

        if let google = try client("GOOGLE", scope: "openid profile email") {
            providers["google"] = OpenIDProvider(
                settings: .init(
                    name: "google", issuer: try endpoint("GOOGLE_ISSUER") ?? "https://accounts.google.com",
                    client: google, mapping: .google), http: http)
        }
        if let github = try client("GITHUB", scope: "user:email read:user") {
            providers["github"] = GitHubProvider(
                client: github, enterpriseBaseURL: try endpoint("GITHUB_ENTERPRISE_BASE_URL"),
                userAgent: env["GITHUB_ENTERPRISE_USER_AGENT"], http: http)
        }
        if let discord = try client("DISCORD", scope: "identify email") {
            providers["discord"] = DiscordProvider(
                client: discord, baseURL: try endpoint("DISCORD_BASE_URL"), http: http)
        }
        if let facebook = try client("FACEBOOK", scope: "public_profile email") {
            providers["facebook"] = FacebookProvider(
                client: facebook, dialogBaseURL: try endpoint("FACEBOOK_DIALOG_URL"),
                graphBaseURL: try endpoint("FACEBOOK_GRAPH_URL"), http: http)
        }
        if let apple = try client("APPLE", scope: "name email", secretRequired: false),
            let team = env["APPLE_TEAM_ID"], let keyID = env["APPLE_KEY_ID"], let path = env["APPLE_PRIVATE_KEY_PATH"]
        {
            let key: P256.PrivateKey
            do {
                key = try P256.PrivateKey(pemRepresentation: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                throw ConfigurationError(
                    "APPLE_PRIVATE_KEY_PATH", "cannot load a P-256 private key (PKCS#8 .p8 or SEC 1 PEM) from it")
            }
            providers["apple"] = AppleProvider(
                client: apple, teamID: team, keyID: keyID, privateKey: key,
                baseURL: try endpoint("APPLE_BASE_URL"), http: http)
        }
        let openidPKCE = try env.bool("OPENID_USE_PKCE", default: false)
        // PKCE (S256) is sent whenever the provider offers it, not only with OPENID_USE_PKCE, which
        // only lets a public client (no secret) be configured. The issuer is checked once a client is.
        if env["OPENID_ISSUER"] != nil,
            let openid = try client(
                "OPENID", scope: env["OPENID_SCOPE"] ?? "openid profile email", secretRequired: !openidPKCE),
            let issuer = try endpoint("OPENID_ISSUER")
        {
            providers["openid"] = OpenIDProvider(
                settings: .init(
                    name: "openid", issuer: issuer, client: openid,
                    clockTolerance: try env.integer("OPENID_CLOCK_TOLERANCE", default: 300, range: 0...3600),
                    audience: env.list("OPENID_AUDIENCE").first,
                    mapping: .openid(
                        .init(
                            email: env["OPENID_EMAIL_CLAIM"], username: env["OPENID_USERNAME_CLAIM"],
                            name: env["OPENID_NAME_CLAIM"])),
                    requiredRole: try Self.roleRule(
                        env, "OPENID_REQUIRED_ROLE", roles: env.list("OPENID_REQUIRED_ROLE")),
                    adminRole: try Self.roleRule(
                        env, "OPENID_ADMIN_ROLE", roles: env["OPENID_ADMIN_ROLE"].map { [$0] } ?? []),
                    adminFullyConfigured: env["OPENID_ADMIN_ROLE"] != nil
                        && env["OPENID_ADMIN_ROLE_PARAMETER_PATH"] != nil
                        && env["OPENID_ADMIN_ROLE_TOKEN_KIND"] != nil,
                    jwksRefetchInterval: try env.integer("OPENID_JWKS_REFETCH_INTERVAL", default: 10, range: 0...3600)),
                http: http)
        }
    }

    /// `<PREFIX>` roles with `<PREFIX>_PARAMETER_PATH` (required when roles are set) and
    /// `<PREFIX>_TOKEN_KIND` (`id`, `access` or `userinfo`; default `id`).
    static func roleRule(
        _ env: Environment, _ prefix: String, roles: [String]
    ) throws(ConfigurationError) -> OpenIDProvider.RoleRule? {
        guard !roles.isEmpty else { return nil }
        guard let path = env["\(prefix)_PARAMETER_PATH"] else {
            throw ConfigurationError("\(prefix)_PARAMETER_PATH", "is required with \(prefix) (e.g. realm_access.roles)")
        }
        let kindText = env["\(prefix)_TOKEN_KIND"] ?? "id"
        guard let kind = OpenIDProvider.TokenKind(rawValue: kindText) else {
            throw ConfigurationError(
                "\(prefix)_TOKEN_KIND", "expected id, access or userinfo, got \"\(kindText.prefix(32))\"")
        }
        return OpenIDProvider.RoleRule(roles: roles, path: path, kind: kind)
    }

    /// The policy for a provider's logins.
    func policy(for provider: String) -> SocialLoginPolicy {
        SocialLoginPolicy(allowRegistration: allowRegistration, allowLinking: linking[provider] ?? false)
    }

    /// A one-line summary for the start-up log (names only, never ids or secrets).
    public var summary: String {
        let names = Self.providerNames.filter { providers[$0] != nil }
        return names.isEmpty ? "social login: off" : "social login: \(names.joined(separator: ", "))"
    }
}
