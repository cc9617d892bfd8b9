/// A public key that verifies compact JWS tokens (an OpenID provider's id_token).
///
/// The algorithm belongs to the key, never to the token: an RSA key only accepts `RS256`, a P-256
/// key only `ES256`, so `none`, `HS256` keyed with public key bytes, or any other algorithm is refused
/// before the signature is looked at (RFC 8725 §2.1, §3.1).
///
/// ```swift
/// let header = try JWSPublicKey.header(of: idToken)          // untrusted: only to pick a key by kid
/// let claims = try JWSPublicKey.rs256(key).verify(idToken, as: IDTokenClaims.self)
/// ```
public enum JWSPublicKey: Sendable {
    case rs256(RSA.PublicKey)
    case es256(P256.PublicKey)

    /// The one `alg` this key verifies.
    public var algorithm: String {
        switch self {
        case .rs256: "RS256"
        case .es256: "ES256"
        }
    }

    /// The fields of a token's header that choose a key. Nothing here is authenticated yet.
    public struct Header: Sendable, Equatable {
        public let algorithm: String
        public let keyID: String?
    }

    /// Reads a token's header without verifying anything, to choose the key (`kid`) to verify with.
    public static func header(of token: String) throws(JWTError) -> Header {
        let parts = try HS256Signer.split(token)
        let header = try HS256Signer.decodeJSON(HS256Signer.HeaderFields.self, parts.header, segment: "header")
        return Header(algorithm: header.alg, keyID: header.kid)
    }

    /// Verifies the signature and the time claims of `token` and decodes its claims.
    /// - Parameter now: seconds since 1970; the current time unless given.
    public func verify<Claims: Decodable>(
        _ token: String, as type: Claims.Type = Claims.self, validation: JWTValidation = JWTValidation(),
        now: Int64? = nil
    ) throws(JWTError) -> Claims {
        let parts = try HS256Signer.split(token)
        let header = try HS256Signer.decodeJSON(HS256Signer.HeaderFields.self, parts.header, segment: "header")
        guard header.alg == algorithm else {
            throw .algorithmMismatch(expected: algorithm, found: String(header.alg.prefix(16)))
        }
        if header.crit != nil { throw .unsupportedHeader("crit") }
        guard let signature = Base64URL.decode(parts.signature) else { throw .invalidBase64(segment: "signature") }
        let digest = SHA256.hash(data: parts.signingInput.utf8)
        let valid: Bool
        switch self {
        case .rs256(let key):
            valid = key.isValidPKCS1v15Signature(signature, sha256Digest: digest)
        case .es256(let key):
            // JWS carries r ‖ s (RFC 7518 §3.4), not DER; a wrong length is simply invalid.
            guard let raw = try? P256.ECDSASignature(rawRepresentation: signature) else { throw .invalidSignature }
            valid = key.isValidSignature(raw, sha256Digest: digest)
        }
        guard valid else { throw .invalidSignature }
        let payload = try HS256Signer.decodeJSON(HS256Signer.Payload<Claims>.self, parts.payload, segment: "payload")
        try payload.times.check(validation, now: now)
        return payload.claims
    }
}
