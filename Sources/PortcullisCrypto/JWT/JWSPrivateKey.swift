/// A private key that signs compact JWS tokens (the OpenID provider's id_tokens and access tokens),
/// with its public half as a JWK. The algorithm belongs to the key, as for ``JWSPublicKey``.
///
/// ```swift
/// let key = JWSPrivateKey.rs256(RSA.PrivateKey.generate())
/// let token = try key.sign(payload: Array(#"{"sub":"42"}"#.utf8), keyID: key.thumbprint)
/// let claims = try key.publicKey.verify(token, as: MyClaims.self)
/// ```
public enum JWSPrivateKey: Sendable {
    case rs256(RSA.PrivateKey)
    case es256(P256.PrivateKey)

    /// The one `alg` this key signs with.
    public var algorithm: String { publicKey.algorithm }

    /// The key that verifies this key's signatures.
    public var publicKey: JWSPublicKey {
        switch self {
        case .rs256(let key): .rs256(key.publicKey)
        case .es256(let key): .es256(key.publicKey)
        }
    }

    /// The public key's required JWK members (RFC 7517, RFC 7518 §6), in the lexicographic order
    /// RFC 7638 hashes them in.
    public var publicJWKMembers: [(name: String, value: String)] {
        switch self {
        case .rs256(let key):
            [("e", Base64URL.encode(key.jwkExponent)), ("kty", "RSA"), ("n", Base64URL.encode(key.jwkModulus))]
        case .es256(let key):
            [
                ("crv", "P-256"), ("kty", "EC"), ("x", Base64URL.encode(key.publicKey.x963Representation[1..<33])),
                ("y", Base64URL.encode(key.publicKey.x963Representation[33..<65])),
            ]
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): a stable `kid` derived from the public key.
    public var thumbprint: String { Self.thumbprint(of: publicJWKMembers) }

    /// The RFC 7638 thumbprint of a JWK's required members, given in lexicographic order.
    public static func thumbprint(of members: [(name: String, value: String)]) -> String {
        let json = members.map { #""\#($0.name)":"\#($0.value)""# }.joined(separator: ",")
        return Base64URL.encode(SHA256.hash(data: Array("{\(json)}".utf8)).bytes)
    }

    /// The private key as PEM (PKCS#8 for RSA, SEC 1 for P-256). Secret.
    public var pemRepresentation: String {
        switch self {
        case .rs256(let key): key.pkcs8PEM
        case .es256(let key): key.pemRepresentation
        }
    }

    /// Whether `text` can go into the header as it is: 1–256 printable ASCII characters, no `"` or `\`.
    public static func isPlainHeaderValue(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 256
            && text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Reads a key written by ``pemRepresentation`` (or by openssl) for `algorithm`.
    public init(algorithm: String, pem: String) throws {
        switch algorithm {
        case "RS256": self = .rs256(try RSA.PrivateKey(pem: pem))
        case "ES256": self = .es256(try P256.PrivateKey(pemRepresentation: pem))
        default: throw PublicKeyError.invalidEncoding
        }
    }

    /// A new key for `algorithm` (`RS256`: 2048-bit RSA; `ES256`: P-256).
    public static func generate(algorithm: String) throws -> JWSPrivateKey {
        switch algorithm {
        case "RS256": .rs256(RSA.PrivateKey.generate(bits: 2048))
        case "ES256": .es256(P256.PrivateKey())
        default: throw PublicKeyError.invalidEncoding
        }
    }

    /// Signs `payload` (the claims' JSON) as a compact JWS with the header
    /// `{"alg":…,"kid":…,"typ":…}`. Each signature is verified before it is returned. The key ID and
    /// type are printable ASCII without `"` or `\` (written as they are, no escaping needed).
    public func sign(payload: [UInt8], keyID: String, type: String = "JWT") throws(PublicKeyError) -> String {
        guard Self.isPlainHeaderValue(keyID), Self.isPlainHeaderValue(type) else { throw .invalidEncoding }
        let header = Array(#"{"alg":"\#(algorithm)","kid":"\#(keyID)","typ":"\#(type)"}"#.utf8)
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let digest = SHA256.hash(data: signingInput.utf8)
        let signature: [UInt8]
        switch self {
        case .rs256(let key): signature = try key.pkcs1v15Signature(sha256Digest: digest)
        case .es256(let key): signature = key.signature(sha256Digest: digest).rawRepresentation
        }
        return signingInput + "." + Base64URL.encode(signature)
    }
}
