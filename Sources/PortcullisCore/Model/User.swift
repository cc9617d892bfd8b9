import Foundation

/// A user, with the fields of LibreChat's user model that authentication needs. Timestamps are
/// milliseconds since 1970.
public struct User: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var username: String
    /// Normalised: trimmed and lower-cased. The unique key.
    public var email: String
    public var emailVerified: Bool
    /// PHC or bcrypt string; `nil` for social-only accounts.
    public var passwordHash: String?
    public var avatar: String?
    public var provider: String
    public var role: String
    /// Provider ids (`googleId`, `githubId`, `openidId`, ...).
    public var providerIds: [String: String]
    public var openidIssuer: String?
    public var twoFactorEnabled: Bool
    public var termsAccepted: Bool
    /// When the terms were last accepted (ms); `nil` while not accepted.
    public var termsAcceptedAt: Int64?
    /// Device cookies issued before this time (ms) are no longer trusted (set when the password
    /// is reset or changed, so a stolen device cookie dies with the old password).
    public var devicesRevokedAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, name: String, username: String, email: String, emailVerified: Bool, passwordHash: String?,
        avatar: String? = nil, provider: String = "local", role: String = Role.user,
        providerIds: [String: String] = [:],
        openidIssuer: String? = nil, twoFactorEnabled: Bool = false, termsAccepted: Bool = false,
        termsAcceptedAt: Int64? = nil, devicesRevokedAt: Int64 = 0, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.name = name
        self.username = username
        self.email = email
        self.emailVerified = emailVerified
        self.passwordHash = passwordHash
        self.avatar = avatar
        self.provider = provider
        self.role = role
        self.providerIds = providerIds
        self.openidIssuer = openidIssuer
        self.twoFactorEnabled = twoFactorEnabled
        self.termsAccepted = termsAccepted
        self.termsAcceptedAt = termsAcceptedAt
        self.devicesRevokedAt = devicesRevokedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Trim and lower-case, as LibreChat's user methods do before every lookup.
    public static func normalizeEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// A login session: the SHA-256 of its current refresh token (never the token), the previous one
/// for the reuse grace window, and an absolute expiry fixed at login.
public struct Session: Sendable, Codable, Equatable {
    public var id: String
    public var userId: String
    public var currentHash: [UInt8]
    public var previousHash: [UInt8]?
    /// Bumped on every rotation; part of the token's claims, so each rotation yields a new token.
    public var generation: Int
    /// When the current token was issued (ms).
    public var rotatedAt: Int64
    public var createdAt: Int64
    public var expiresAt: Int64
    /// The OpenID provider's id_token of a session that began with an OpenID login, kept for the
    /// end-session request's `id_token_hint` (at most ``maximumIDTokenLength`` bytes).
    public var idToken: String?

    /// The longest id_token a session keeps; a longer one is dropped (logout then sends `logout_hint`).
    public static let maximumIDTokenLength = 8192
    /// The browser's `User-Agent` at sign-in (or its last refresh), at most 256 bytes.
    public var userAgent: String?
    /// The client address at sign-in (or its last refresh).
    public var ip: String?
    /// The last sign-in or refresh (ms).
    public var lastUsedAt: Int64
    /// How the session was signed in to (`password`, `password+totp`, `passkey`, `provider:<name>`);
    /// `nil` for sessions older than the record layout v4.
    public var method: String?

    public init(
        id: String, userId: String, currentHash: [UInt8], previousHash: [UInt8]?, generation: Int,
        rotatedAt: Int64, createdAt: Int64, expiresAt: Int64, idToken: String? = nil
    ) {
        self.id = id
        self.userId = userId
        self.currentHash = currentHash
        self.previousHash = previousHash
        self.generation = generation
        self.rotatedAt = rotatedAt
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.idToken = idToken.flatMap { $0.utf8.count <= Self.maximumIDTokenLength ? $0 : nil }
        lastUsedAt = rotatedAt
    }

    /// Records where a session is used from (bounded: the user agent is the client's text).
    public mutating func note(_ client: ClientInfo?, at now: Int64) {
        lastUsedAt = now
        guard let client else { return }
        if let agent = client.userAgent { userAgent = String(decoding: agent.utf8.prefix(256), as: UTF8.self) }
        if let address = client.ip { ip = address }
    }
}

/// Where a request comes from, as far as sessions record it.
public struct ClientInfo: Sendable, Equatable {
    public var userAgent: String?
    public var ip: String?

    public init(userAgent: String?, ip: String?) {
        self.userAgent = userAgent
        self.ip = ip
    }
}

/// LibreChat's role names.
public enum Role {
    public static let admin = "ADMIN"
    public static let user = "USER"
}
