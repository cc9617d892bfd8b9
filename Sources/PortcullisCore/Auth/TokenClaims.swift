/// The access token's claims, exactly LibreChat's: `{id, username, provider, email, iat, exp}`.
public struct AccessClaims: Codable, Sendable, Equatable {
    public var id: String
    public var username: String
    public var provider: String
    public var email: String
    public var iat: Int64
    public var exp: Int64
}

/// The refresh token's claims: LibreChat's `{id, sessionId}` plus `gen`, the session's rotation
/// count, so that each rotation produces a distinct token even within one second. `gen` and `iat`
/// are optional when reading, so tokens LibreChat issued still parse.
public struct RefreshClaims: Codable, Sendable, Equatable {
    public var id: String
    public var sessionId: String
    public var gen: Int?
    public var iat: Int64?
    public var exp: Int64
}
