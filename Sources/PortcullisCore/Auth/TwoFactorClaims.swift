/// The 2FA temporary token's claims, exactly LibreChat's: `{userId, twoFAPending: true}`, five
/// minutes, HS256 with `JWT_SECRET`.
public struct TwoFactorTempClaims: Codable, Sendable, Equatable {
    public var userId: String
    public var twoFAPending: Bool
    public var iat: Int64
    public var exp: Int64

    public static let lifetime: Int64 = 300
}
