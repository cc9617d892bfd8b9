/// Why a WebAuthn response was refused. The text names the check that failed (for logs and tests);
/// what a user is told is decided by the caller.
public enum WebAuthnError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not what the format allows (CBOR, COSE key, authenticator data, client data).
    case malformed(String)
    /// A key type or algorithm other than ES256 (P-256) and RS256.
    case unsupportedKey(String)
    /// Client data of the wrong ceremony, another challenge, origin or a cross-origin frame.
    case clientDataMismatch(String)
    /// Authenticator data for another RP ID, or without user presence or verification.
    case authenticatorDataMismatch(String)
    /// The signature does not verify with the credential's key.
    case invalidSignature
    /// The signature counter did not grow: the credential may have been cloned.
    case counterRegression(stored: UInt32, presented: UInt32)

    public var description: String {
        switch self {
        case .malformed(let what): "malformed: \(what)"
        case .unsupportedKey(let what): "unsupported key: \(what)"
        case .clientDataMismatch(let what): "client data: \(what)"
        case .authenticatorDataMismatch(let what): "authenticator data: \(what)"
        case .invalidSignature: "invalid signature"
        case .counterRegression(let stored, let presented): "signature counter \(presented) after \(stored)"
        }
    }
}
