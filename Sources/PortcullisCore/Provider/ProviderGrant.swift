/// A code handed to a client's redirect URI, redeemable once within a minute at the token endpoint.
/// Kept (redeemed) a while longer, so that a replay is recognised and revokes what it issued.
public struct AuthorizationCode: Sendable, Equatable {
    /// The grant the code creates, derived from the code itself (codes and grants share a shard).
    public var grantId: String
    /// SHA-256 of the code: the code itself is never stored.
    public var codeHash: [UInt8]
    public var clientId: String
    public var userId: String
    public var redirectURI: String
    /// Granted scopes, space-separated.
    public var scope: String
    public var nonce: String?
    /// The PKCE S256 challenge, if the client sent one.
    public var challenge: String?
    /// When the user signed in (ms), and how (the session's sign-in method).
    public var authTime: Int64
    public var method: String
    /// The Portcullis session of the browser that authorised it.
    public var browserSession: String
    public var issuedAt: Int64
    public var redeemed: Bool

    /// Redeemable until then (ms).
    public var expiresAt: Int64 { issuedAt + ProviderConfiguration.codeLifetime * 1000 }
    /// Remembered until then (ms).
    var forgottenAt: Int64 { issuedAt + ProviderConfiguration.codeMemory * 1000 }
}

/// What a redeemed code became: the client's refresh-token family, rotated like a session's.
public struct ProviderGrant: Sendable, Equatable {
    public var id: String
    public var clientId: String
    public var userId: String
    public var scope: String
    public var browserSession: String
    public var authTime: Int64
    public var method: String
    /// Bumped on every refresh; the refresh token is derived from (id, generation).
    public var generation: Int
    public var rotatedAt: Int64
    public var createdAt: Int64
    public var expiresAt: Int64

    /// `offline_access` was granted: the grant outlives the browser session that made it.
    public var isOffline: Bool { scope.split(separator: " ").contains("offline_access") }
}

/// The scopes a user let a (third-party) client have.
public struct ProviderConsent: Sendable, Equatable {
    public var userId: String
    public var clientId: String
    /// Space-separated, sorted.
    public var scope: String
    public var grantedAt: Int64
}

/// What presenting a code did.
public enum CodeRedemption: Sendable, Equatable {
    case issued(AuthorizationCode, ProviderGrant)
    /// Redeemed before: the grant it created (and every token of it) is revoked now.
    case replayed(AuthorizationCode)
    /// The presenter's client, redirect URI or PKCE verifier did not match: nothing changed.
    case refused(ProviderError)
    case expired
    case unknown
}

/// What presenting a refresh token did to its grant (as ``RefreshOutcome`` for sessions).
public enum GrantRefresh: Sendable, Equatable {
    case rotated(ProviderGrant)
    case replayedWithinGrace(ProviderGrant)
    case reuseDetected
    case notFound
    case expired
}
