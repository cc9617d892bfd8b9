import Foundation
import PortcullisCrypto

/// Everything the engine and the API are configured with, read from LibreChat's variable names
/// (and a few of our own, marked) with LibreChat's defaults.
public struct AuthConfiguration: Sendable {
    public var jwtSecret: [UInt8]
    public var jwtRefreshSecret: [UInt8]
    /// `CREDS_KEY`: what the key that seals TOTP secrets at rest is derived from.
    public var credsKey: [UInt8]
    /// Access-token lifetime (`SESSION_EXPIRY`, ms; default 15 minutes).
    public var sessionExpiry: Int64
    /// Refresh-token and session lifetime from login (`REFRESH_TOKEN_EXPIRY`, ms; default 7 days).
    public var refreshTokenExpiry: Int64
    public var allowRegistration: Bool
    public var allowEmailLogin: Bool
    public var allowEmailLoginOverride: Bool
    public var allowUnverifiedEmailLogin: Bool
    public var allowSocialLogin: Bool
    public var allowSocialRegistration: Bool
    public var allowPasswordReset: Bool
    public var allowAccountDeletion: Bool
    /// `REQUIRE_2FA` (ours): who must have 2FA before anything but enrolment works.
    public var requireTwoFactor: TwoFactorRequirement
    /// `NOTIFY_NEW_LOGIN` (ours): mail the user when an untrusted device signs in (default: when email works).
    public var notifyNewLogin: Bool
    public var minPasswordLength: Int
    /// Whether `MIN_PASSWORD_LENGTH` was set (then `/api/config` shows it).
    public var minPasswordLengthConfigured: Bool
    /// `ALLOWED_EMAIL_DOMAINS` (comma-separated; empty allows all), lower-cased.
    public var allowedEmailDomains: [String]
    public var sessionCookieSecure: Bool?
    public var nodeEnv: String
    public var domainClient: String
    public var domainServer: String
    public var appTitle: String
    /// Passkeys' relying party (see ``relyingParty(rpID:domainClient:domainServer:)``); `nil`: no passkeys.
    public var relyingParty: WebAuthnRelyingParty?
    public var host: String
    public var port: Int
    /// Ours: `PASSWORD_HASH_ALGORITHM` (argon2id | bcrypt), `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
    /// `ARGON2_PARALLELISM`, `BCRYPT_COST`.
    public var passwordHasher: PasswordHasher
    /// Ours: `HASH_WORKERS` (default: cores) and `HASH_QUEUE_LIMIT` (default 256).
    public var hashWorkers: Int
    public var hashQueueLimit: Int
    /// Ours: `SHARD_COUNT` (default 8 × cores).
    public var shardCount: Int
    /// Ours: `REFRESH_REUSE_GRACE` (ms, default 10 s): a rotated refresh token presented again within
    /// this window gets the current token back (two tabs refreshing at once); later it revokes the session.
    public var refreshReuseGrace: Int64
    /// Ours: `PORTCULLIS_DATA_DIR` (default `Snapshots`).
    public var dataDirectory: String
    /// Ours: `DURABILITY` — `fsync` (default) or `none` (loses the last moments on a machine crash).
    public var durabilityFsync: Bool
    /// Ours: `SNAPSHOT_INTERVAL` in seconds (default 60) and `SNAPSHOT_KEEP` (default 3).
    public var snapshotInterval: Int64
    public var snapshotKeep: Int
    /// Ours: `AUDIT_MAX_ENTRIES` (default 500,000) and `AUDIT_RETENTION_DAYS` (default 90): the audit log's bounds.
    public var auditMaxEntries: Int
    public var auditRetentionDays: Int
    /// Ours: `LIVE_SAMPLE_SECONDS` (default 5): how often the dashboard's live view samples the counters.
    public var liveSampleSeconds: Int
    /// Whether email delivery is configured.
    public var emailEnabled: Bool
    /// `ALLOW_UNSECURED_PASSWORD_RESET`: without email, answer a reset request with the link itself.
    public var allowUnsecuredPasswordReset: Bool
    /// `PASSWORD_RESET_TOKEN_EXPIRY`, `EMAIL_VERIFICATION_TOKEN_EXPIRY` (ms, default 15 minutes).
    public var passwordResetTokenExpiry: Int64
    public var emailVerificationTokenExpiry: Int64
    /// Whether any secret was generated at start-up (a warning is due).
    public var generatedSecrets: [String]

    /// The one decision of whether mail can be delivered: an SMTP host (or well-known service) and
    /// a sender, or Mailgun and a sender. Unlike LibreChat, credentials are optional (a relay on the
    /// local network needs none). The mail module picks its transport only when this holds.
    public static func isEmailConfigured(_ environment: Environment) -> Bool {
        let smtp = (environment["EMAIL_SERVICE"] ?? environment["EMAIL_HOST"]) != nil
        let mailgun = environment["MAILGUN_API_KEY"] != nil && environment["MAILGUN_DOMAIN"] != nil
        return (smtp || mailgun) && environment["EMAIL_FROM"] != nil
    }

    /// Reads and validates the configuration; missing secrets (`JWT_SECRET`, `JWT_REFRESH_SECRET`,
    /// `CREDS_KEY`) are generated and kept in `<data dir>/secrets.env` (mode 0600) so tokens and
    /// sealed secrets survive restarts.
    public init(environment: Environment) throws(ConfigurationError) {
        let cores = Int64(ProcessInfo.processInfo.activeProcessorCount)
        dataDirectory = environment["PORTCULLIS_DATA_DIR"] ?? "Snapshots"
        var generated: [String] = []
        var secrets: [String: String] = [:]
        let secretsPath = dataDirectory + "/secrets.env"
        if let data = FileManager.default.contents(atPath: secretsPath), let text = String(data: data, encoding: .utf8)
        {
            secrets = try Environment.parseDotEnv(text, file: secretsPath)
        }
        func secret(_ name: String) throws(ConfigurationError) -> [UInt8] {
            if let value = environment[name] { return Array(value.utf8) }
            if let stored = secrets[name], !stored.isEmpty { return Array(stored.utf8) }
            let fresh = Hex.encode(SecureRandom.bytes(count: 32))
            secrets[name] = fresh
            generated.append(name)
            return Array(fresh.utf8)
        }
        jwtSecret = try secret("JWT_SECRET")
        jwtRefreshSecret = try secret("JWT_REFRESH_SECRET")
        credsKey = try secret("CREDS_KEY")
        if !generated.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
                let text = secrets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
                guard
                    FileManager.default.createFile(
                        atPath: secretsPath, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                else {
                    throw ConfigurationError("JWT_SECRET", "could not write \(secretsPath)")
                }
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("PORTCULLIS_DATA_DIR", "cannot create \(dataDirectory): \(error)")
            }
        }
        generatedSecrets = generated

        let day: Int64 = 86_400_000
        sessionExpiry = try environment.integer("SESSION_EXPIRY", default: 900_000, range: 1_000...(30 * day))
        refreshTokenExpiry = try environment.integer(
            "REFRESH_TOKEN_EXPIRY", default: 7 * day, range: 1_000...(3650 * day))
        allowRegistration = try environment.bool("ALLOW_REGISTRATION", default: false)
        allowEmailLogin = try environment.bool("ALLOW_EMAIL_LOGIN", default: true)
        allowEmailLoginOverride = try environment.bool("ALLOW_EMAIL_LOGIN_OVERRIDE", default: false)
        allowUnverifiedEmailLogin = try environment.bool("ALLOW_UNVERIFIED_EMAIL_LOGIN", default: false)
        allowSocialLogin = try environment.bool("ALLOW_SOCIAL_LOGIN", default: false)
        allowSocialRegistration = try environment.bool("ALLOW_SOCIAL_REGISTRATION", default: false)
        allowPasswordReset = try environment.bool("ALLOW_PASSWORD_RESET", default: false)
        allowAccountDeletion = try environment.bool("ALLOW_ACCOUNT_DELETION", default: true)
        let requirement = (environment["REQUIRE_2FA"] ?? "off").lowercased()
        guard let parsed = TwoFactorRequirement(rawValue: requirement) else {
            throw ConfigurationError("REQUIRE_2FA", "expected off, admins or all, got \"\(requirement.prefix(32))\"")
        }
        requireTwoFactor = parsed
        minPasswordLength = Int(try environment.integer("MIN_PASSWORD_LENGTH", default: 8, range: 1...128))
        minPasswordLengthConfigured = environment["MIN_PASSWORD_LENGTH"] != nil
        allowedEmailDomains = environment.list("ALLOWED_EMAIL_DOMAINS").map { $0.lowercased() }
        sessionCookieSecure =
            environment["SESSION_COOKIE_SECURE"] == nil
            ? nil : try environment.bool("SESSION_COOKIE_SECURE", default: false)
        nodeEnv = environment["NODE_ENV"] ?? "development"
        host = environment["HOST"] ?? "127.0.0.1"
        port = Int(try environment.integer("PORT", default: 3080, range: 0...65535))
        domainClient = environment["DOMAIN_CLIENT"] ?? "http://localhost:\(port)"
        domainServer = environment["DOMAIN_SERVER"] ?? "http://localhost:\(port)"
        for (name, value) in [("DOMAIN_CLIENT", domainClient), ("DOMAIN_SERVER", domainServer)] {
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(name, "must be an http(s) URL, got \"\(value.prefix(64))\"")
            }
        }
        appTitle = environment["APP_TITLE"] ?? "LibreChat"
        auditMaxEntries = Int(try environment.integer("AUDIT_MAX_ENTRIES", default: 500_000, range: 1_000...50_000_000))
        auditRetentionDays = Int(try environment.integer("AUDIT_RETENTION_DAYS", default: 90, range: 1...3650))
        liveSampleSeconds = Int(try environment.integer("LIVE_SAMPLE_SECONDS", default: 5, range: 1...60))
        relyingParty = try Self.relyingParty(
            rpID: environment["WEBAUTHN_RP_ID"], domainClient: domainClient, domainServer: domainServer)

        let algorithm = (environment["PASSWORD_HASH_ALGORITHM"] ?? "argon2id").lowercased()
        switch algorithm {
        case "argon2id":
            let owasp = Argon2.Parameters.owasp
            let parameters = Argon2.Parameters(
                memoryKiB: Int(
                    try environment.integer(
                        "ARGON2_MEMORY_KIB", default: Int64(owasp.memoryKiB), range: 8...(256 * 1024))),
                iterations: Int(
                    try environment.integer("ARGON2_ITERATIONS", default: Int64(owasp.iterations), range: 1...64)),
                parallelism: Int(
                    try environment.integer("ARGON2_PARALLELISM", default: Int64(owasp.parallelism), range: 1...64)))
            guard parameters.memoryKiB >= 8 * parameters.parallelism else {
                throw ConfigurationError("ARGON2_MEMORY_KIB", "must be at least 8 × ARGON2_PARALLELISM")
            }
            passwordHasher = PasswordHasher(algorithm: .argon2id(parameters))
        case "bcrypt":
            passwordHasher = PasswordHasher(
                algorithm: .bcrypt(cost: Int(try environment.integer("BCRYPT_COST", default: 10, range: 4...20))))
        default:
            throw ConfigurationError(
                "PASSWORD_HASH_ALGORITHM", "expected argon2id or bcrypt, got \"\(algorithm.prefix(32))\"")
        }
        hashWorkers = Int(try environment.integer("HASH_WORKERS", default: cores, range: 1...256))
        hashQueueLimit = Int(try environment.integer("HASH_QUEUE_LIMIT", default: 256, range: 1...100_000))
        shardCount = Int(try environment.integer("SHARD_COUNT", default: max(8, cores * 8), range: 1...4096))
        refreshReuseGrace = try environment.integer("REFRESH_REUSE_GRACE", default: 10_000, range: 0...300_000)
        switch (environment["DURABILITY"] ?? "fsync").lowercased() {
        case "fsync": durabilityFsync = true
        case "none": durabilityFsync = false
        default: throw ConfigurationError("DURABILITY", "expected fsync or none")
        }
        snapshotInterval = try environment.integer("SNAPSHOT_INTERVAL", default: 60, range: 1...86_400)
        snapshotKeep = Int(try environment.integer("SNAPSHOT_KEEP", default: 3, range: 1...100))
        emailEnabled = Self.isEmailConfigured(environment)
        notifyNewLogin = try environment.bool("NOTIFY_NEW_LOGIN", default: emailEnabled)
        allowUnsecuredPasswordReset = try environment.bool("ALLOW_UNSECURED_PASSWORD_RESET", default: false)
        passwordResetTokenExpiry = try environment.integer(
            "PASSWORD_RESET_TOKEN_EXPIRY", default: 900_000, range: 1_000...(7 * day))
        emailVerificationTokenExpiry = try environment.integer(
            "EMAIL_VERIFICATION_TOKEN_EXPIRY", default: 900_000, range: 1_000...(30 * day))
    }

    /// LibreChat's `shouldUseSecureCookie()`.
    public var secureCookies: Bool {
        if let sessionCookieSecure { return sessionCookieSecure }
        guard nodeEnv == "production" else { return false }
        let host = URL(string: domainServer)?.host?.lowercased() ?? ""
        return
            !(host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
            || host.hasSuffix(".localhost"))
    }
}

/// `REQUIRE_2FA`: whose accounts must have a second factor.
public enum TwoFactorRequirement: String, Sendable {
    case off
    case admins
    case all

    /// Whether `user` must enrol before anything but the enrolment routes works.
    public func requiresSetup(_ user: User) -> Bool {
        guard !user.twoFactorEnabled else { return false }
        switch self {
        case .off: return false
        case .admins: return user.role == Role.admin
        case .all: return true
        }
    }
}
