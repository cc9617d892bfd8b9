import PortcullisCrypto

/// Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
/// signed in to an account gets a long-lived token binding the account id and a random nonce,
/// HMAC-signed with a key derived from the refresh secret for this purpose alone. Presenting it
/// later for the same account makes the client *trusted*: it meets its own small limit instead of
/// the account's shared lockout. Nothing is stored per cookie; all of a user's cookies die at once
/// when `User.devicesRevokedAt` moves past their issue time (password reset or change).
///
/// Value: `<user id>.<nonce, 32 hex>.<issued at, ms>.<base64url HMAC-SHA256 of the first three>`.
public struct DeviceCookie: Sendable {
    /// The cookie's name.
    public static let name = "portcullis_device"
    /// How long a device stays trusted, in seconds (one year).
    public static let lifetime: Int64 = 365 * 24 * 3600
    /// The longest value looked at; anything longer is untrusted without further work.
    public static let maximumLength = 256

    private let mac: HMAC<SHA256>

    public init<Secret: Sequence>(secret: Secret) where Secret.Element == UInt8 {
        mac = HMAC(key: SymmetricKey(derivedFrom: secret, purpose: "portcullis device cookie v1"))
    }

    /// A fresh cookie value for `userId`, issued at `now` (ms).
    public func issue(userId: String, now: Int64) -> String {
        let body = userId + "." + Hex.encode(SecureRandom.bytes(count: 16)) + "." + String(now)
        return body + "." + Base64URL.encode(mac.authenticationCode(for: body.utf8).bytes)
    }

    /// The device nonce when `value` is a genuine, unexpired cookie for `user` issued after its
    /// devices were last revoked; `nil` (untrusted) for anything else: forged, tampered, expired,
    /// another account's, or issued before a password reset.
    public func trustedNonce(_ value: String?, for user: User, now: Int64) -> String? {
        guard let value, value.utf8.count <= Self.maximumLength else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let tag = Base64URL.decode(parts[3]) else { return nil }
        let body = value.utf8.prefix(value.utf8.count - parts[3].utf8.count - 1)
        guard ConstantTime.equals(mac.authenticationCode(for: body).bytes, tag) else { return nil }
        guard parts[0] == user.id, parts[1].utf8.count == 32, let issuedAt = Int64(parts[2]) else { return nil }
        guard issuedAt > user.devicesRevokedAt, now - issuedAt < Self.lifetime * 1000, issuedAt - now <= 60_000 else {
            return nil
        }
        return String(parts[1])
    }
}
