/// The Automated Moderation System's settings, with LibreChat's names and defaults. Windows are
/// given in minutes, as in LibreChat; durations in milliseconds.
public struct ModerationConfiguration: Sendable {
    /// A limiter: at most `max` requests per `windowMinutes` per key.
    public struct Limit: Sendable, Equatable {
        public var max: Int
        public var windowMinutes: Int64
        public var windowMilliseconds: Int64 { windowMinutes * 60_000 }
    }

    public var banViolations: Bool
    public var banDuration: Int64
    public var banInterval: Int
    public var login: Limit
    /// `TWO_FACTOR_TEMP_MAX`/`_WINDOW` (the second step of a login; default: the login limiter's).
    public var twoFactorTemp: Limit
    public var register: Limit
    public var resetPassword: Limit
    public var resetPasswordSubmission: Limit
    public var verifyEmail: Limit
    public var verifyEmailSubmission: Limit
    public var limitConcurrentMessages: Bool
    public var concurrentMessageMax: Int
    public var limitMessageIP: Bool
    public var messageIP: Limit
    public var limitMessageUser: Bool
    public var messageUser: Limit
    public var scores: [String: Int]
    /// `TRUST_PROXY`: how many proxies in front of us append to `X-Forwarded-For` (0: use the socket).
    public var trustProxy: Int
    /// `MODERATION_API_KEY`: the Bearer key of `POST /api/moderation/events` (unset: the endpoint is off).
    public var apiKey: String?
    /// `ACCOUNT_LOCKOUT_*`, `DEVICE_LOCKOUT_MAX`: account protection by device (ours).
    public var lockout: LockoutPolicy

    public init(environment: Environment) throws(ConfigurationError) {
        banViolations = try environment.bool("BAN_VIOLATIONS", default: false)
        banDuration = try environment.integer("BAN_DURATION", default: 7_200_000, range: Int64.min...Int64.max)
        // LibreChat falls back to 20 for an unusable interval.
        let interval = (try? environment.integer("BAN_INTERVAL", default: 20, range: 1...1_000_000)) ?? 20
        banInterval = Int(interval)
        func limit(
            _ prefix: String, _ max: Int64, _ window: Int64, inherit: Limit? = nil
        ) throws(ConfigurationError) -> Limit {
            Limit(
                max: Int(
                    try environment.integer(
                        "\(prefix)_MAX", default: Int64(inherit?.max ?? Int(max)), range: 1...1_000_000)),
                windowMinutes: try environment.integer(
                    "\(prefix)_WINDOW", default: inherit?.windowMinutes ?? window, range: 1...525_600))
        }
        login = try limit("LOGIN", 7, 5)
        twoFactorTemp = try limit("TWO_FACTOR_TEMP", 7, 5, inherit: login)
        register = try limit("REGISTER", 5, 60)
        resetPassword = try limit("RESET_PASSWORD", 2, 2)
        resetPasswordSubmission = try limit("RESET_PASSWORD_SUBMISSION", 2, 2, inherit: resetPassword)
        verifyEmail = try limit("VERIFY_EMAIL", 2, 2)
        verifyEmailSubmission = try limit("VERIFY_EMAIL_SUBMISSION", 2, 2, inherit: verifyEmail)
        limitConcurrentMessages = try environment.bool("LIMIT_CONCURRENT_MESSAGES", default: false)
        concurrentMessageMax = Int(try environment.integer("CONCURRENT_MESSAGE_MAX", default: 2, range: 1...10_000))
        limitMessageIP = try environment.bool("LIMIT_MESSAGE_IP", default: false)
        messageIP = try limit("MESSAGE_IP", 40, 1)
        limitMessageUser = try environment.bool("LIMIT_MESSAGE_USER", default: false)
        messageUser = try limit("MESSAGE_USER", 40, 1)
        var scores: [String: Int] = [:]
        for (type, variable, fallback) in [
            ("logins", "LOGIN_VIOLATION_SCORE", 1), ("registrations", "REGISTRATION_VIOLATION_SCORE", 1),
            ("concurrent", "CONCURRENT_VIOLATION_SCORE", 1), ("message_limit", "MESSAGE_VIOLATION_SCORE", 1),
            ("non_browser", "NON_BROWSER_VIOLATION_SCORE", 20),
            ("reset_password_limit", "RESET_PASSWORD_VIOLATION_SCORE", 1),
            ("verify_email_limit", "VERIFY_EMAIL_VIOLATION_SCORE", 1),
        ] {
            scores[type] = Int(try environment.integer(variable, default: Int64(fallback), range: 0...1_000_000))
        }
        // The second step's violations are `logins`, scored by TWO_FACTOR_TEMP_VIOLATION_SCORE (else LOGIN_'s).
        scores["two_factor_temp"] = Int(
            try environment.integer(
                "TWO_FACTOR_TEMP_VIOLATION_SCORE", default: Int64(scores["logins"] ?? 1), range: 0...1_000_000))
        self.scores = scores
        trustProxy = Int(try environment.integer("TRUST_PROXY", default: 0, range: 0...32))
        apiKey = environment["MODERATION_API_KEY"]
        lockout = try LockoutPolicy(environment: environment)
    }

    public func score(_ type: String) -> Int { scores[type] ?? 1 }
}
