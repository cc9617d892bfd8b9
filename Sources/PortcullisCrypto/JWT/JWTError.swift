/// Why a token was rejected. Each failure has its own case so callers (and tests) can tell them
/// apart; none of them carries secret material.
public enum JWTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not three base64url segments separated by dots, or too long.
    case malformed(String)
    /// A segment is not canonical unpadded base64url.
    case invalidBase64(segment: String)
    /// A segment is not the JSON expected (header object, claims object with the right types).
    case invalidJSON(segment: String)
    /// The header names another algorithm than the one the caller fixed (including `none`).
    case algorithmMismatch(expected: String, found: String)
    /// The header carries something we refuse to ignore (`crit`, a non-JWT `typ`).
    case unsupportedHeader(String)
    /// The signature does not match.
    case invalidSignature
    /// `exp` is in the past (beyond the leeway).
    case expired
    /// `nbf` is in the future (beyond the leeway).
    case notYetValid
    /// `iat` is in the future (beyond the leeway).
    case issuedInFuture
    /// `exp` is required but absent.
    case missingExpiration

    public var description: String {
        switch self {
        case .malformed(let why): "jwt malformed: \(why)"
        case .invalidBase64(let segment): "jwt malformed: \(segment) is not base64url"
        case .invalidJSON(let segment): "jwt malformed: \(segment) is not valid JSON"
        case .algorithmMismatch(let expected, let found): "invalid algorithm: expected \(expected), got \(found)"
        case .unsupportedHeader(let why): "unsupported jwt header: \(why)"
        case .invalidSignature: "invalid signature"
        case .expired: "jwt expired"
        case .notYetValid: "jwt not active"
        case .issuedInFuture: "jwt issued in the future"
        case .missingExpiration: "jwt has no expiration"
        }
    }
}
