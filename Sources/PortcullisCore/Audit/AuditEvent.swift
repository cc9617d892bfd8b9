/// One security event as the audit log keeps it: when, what, who did it, to whom, from where, and
/// how it ended. Never a password, token or code: `detail` is a reason kind or an operator's words.
public struct AuditEvent: Sendable, Equatable {
    /// Order of recording across the whole log (restored with the entries).
    public var sequence: UInt64
    /// Milliseconds since 1970.
    public var time: Int64
    public var kind: AuditKind
    public var outcome: AuditOutcome
    /// Who acted: a user id, or `operator` (the command line), `system`, `anonymous`.
    public var actor: String
    /// The account acted on (a user id), if any.
    public var subject: String?
    /// The subject's (or the attempted) email at the time, for reading and searching.
    public var email: String?
    public var ip: String?
    /// The user agent, cut to ``maximumField`` bytes.
    public var device: String?
    public var detail: String?

    /// Strings beyond this many bytes are cut: an entry's size is bounded.
    public static let maximumField = 256

    public init(
        sequence: UInt64 = 0, time: Int64, kind: AuditKind, outcome: AuditOutcome = .ok, actor: String,
        subject: String? = nil, email: String? = nil, ip: String? = nil, device: String? = nil,
        detail: String? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.outcome = outcome
        self.actor = Self.bounded(actor) ?? ""
        self.subject = Self.bounded(subject)
        self.email = Self.bounded(email)
        self.ip = Self.bounded(ip)
        self.device = Self.bounded(device)
        self.detail = Self.bounded(detail)
    }

    static func bounded(_ text: String?) -> String? {
        guard let text, text.utf8.count > maximumField else { return text }
        return String(decoding: text.utf8.prefix(maximumField), as: UTF8.self)
    }

    public static let operatorActor = "operator"
    public static let systemActor = "system"
    public static let anonymousActor = "anonymous"
}

/// What happened. The raw values are what the journal, snapshots, the API and the command line use.
public enum AuditKind: String, Sendable, CaseIterable {
    case signIn = "sign_in"
    case adminSignIn = "admin_sign_in"
    case lockoutStarted = "lockout_started"
    case twoFactorEnabled = "2fa_enabled"
    case twoFactorDisabled = "2fa_disabled"
    case twoFactorUsed = "2fa_used"
    case backupCodeUsed = "backup_code_used"
    case passkeyAdded = "passkey_added"
    case passkeyRemoved = "passkey_removed"
    case passwordChanged = "password_changed"
    case passwordReset = "password_reset"
    case emailVerified = "email_verified"
    case sessionEnded = "session_ended"
    case signOutEverywhere = "sign_out_everywhere"
    case banned
    case unbanned
    case roleChanged = "role_changed"
    case userCreated = "user_created"
    case userDeleted = "user_deleted"
    case usersImported = "users_imported"
    case configurationWarning = "configuration_warning"
    /// The OpenID provider: a user let an application sign them in (consent given).
    case appAuthorized = "app_authorized"
    /// A user took an application's access back (its grants ended, its consent forgotten).
    case appRevoked = "app_revoked"
    /// A code or refresh token of an application was used twice: its grant is revoked.
    case appTokenReuse = "app_token_reuse"
    /// An application (OpenID client) was registered, removed or given a new secret.
    case appClientChanged = "app_client_changed"
}

public enum AuditOutcome: String, Sendable {
    case ok
    case failed
}
