/// The 2FA temporary token's claims, exactly LibreChat's: `{userId, twoFAPending: true}`, five
/// minutes, HS256 with `JWT_SECRET`.
public struct TwoFactorTempClaims: Codable, Sendable, Equatable {
    public var userId: String
    public var twoFAPending: Bool
    public var iat: Int64
    public var exp: Int64

    public static let lifetime: Int64 = 300
}

/// The token a login answers with when `REQUIRE_2FA` needs the user to enrol first (ours):
/// `{userId, twoFASetupRequired: true}`, HS256 with `JWT_SECRET`, fifteen minutes; it opens the
/// enrolment routes and nothing else.
public struct TwoFactorSetupClaims: Codable, Sendable, Equatable {
    public var userId: String
    public var twoFASetupRequired: Bool
    public var iat: Int64
    public var exp: Int64

    public static let lifetime: Int64 = 900
}
