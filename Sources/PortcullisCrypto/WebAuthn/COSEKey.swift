/// A credential public key as an authenticator gives it (COSE_Key, RFC 9052 §7; RFC 9053 §2.1 and
/// RFC 8230 for the algorithms): ES256 on P-256 or RS256, nothing else. The key's algorithm is part
/// of the key, so a signature is only ever checked the one way the credential was registered for.
public enum COSEKey: Sendable {
    case es256(P256.PublicKey)
    case rs256(RSA.PublicKey)

    /// COSE algorithm identifiers.
    public static let es256Algorithm: Int64 = -7
    public static let rs256Algorithm: Int64 = -257

    /// The COSE algorithm identifier.
    public var algorithm: Int64 {
        switch self {
        case .es256: Self.es256Algorithm
        case .rs256: Self.rs256Algorithm
        }
    }

    /// Parses the CBOR encoding of a COSE_Key (as stored with a credential).
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        try self.init(CBOR.decode(bytes))
    }

    /// Reads a decoded COSE_Key. Labels other than those of the key type are refused (a public key
    /// with private parameters is not one).
    public init(_ item: CBOR) throws(WebAuthnError) {
        guard let entries = item.mapEntries else { throw .malformed("COSE key is not a map") }
        var labels: [Int64] = []
        for entry in entries {
            guard let label = entry.key.integer else { throw .malformed("COSE key label is not an integer") }
            labels.append(label)
        }
        guard let kty = item[int: 1]?.integer, let alg = item[int: 3]?.integer else {
            throw .malformed("COSE key without kty or alg")
        }
        if let kid = item[int: 2], kid.byteString == nil { throw .malformed("COSE kid is not a byte string") }
        switch (kty, alg) {
        case (2, Self.es256Algorithm):
            guard labels.allSatisfy({ [1, 2, 3, 4, -1, -2, -3].contains($0) }) else {
                throw .malformed("COSE EC2 key with unexpected labels")
            }
            guard item[int: -1]?.integer == 1 else { throw .unsupportedKey("EC2 curve other than P-256") }
            guard let x = item[int: -2]?.byteString, let y = item[int: -3]?.byteString, x.count == 32, y.count == 32
            else { throw .malformed("COSE EC2 coordinates are not 32-byte strings") }
            do { self = .es256(try P256.PublicKey(x: x, y: y)) } catch {
                throw .malformed("COSE EC2 point is not on P-256")
            }
        case (3, Self.rs256Algorithm):
            guard labels.allSatisfy({ [1, 2, 3, 4, -1, -2].contains($0) }) else {
                throw .malformed("COSE RSA key with unexpected labels")
            }
            guard let n = item[int: -1]?.byteString, let e = item[int: -2]?.byteString else {
                throw .malformed("COSE RSA key without n and e")
            }
            do { self = .rs256(try RSA.PublicKey(modulus: n, exponent: e)) } catch {
                throw .unsupportedKey("RSA key: \(error)")
            }
        default:
            throw .unsupportedKey("kty \(kty) with alg \(alg)")
        }
    }

    /// Whether `signature` (DER for ES256, as WebAuthn signs; PKCS #1 v1.5 for RS256) is valid over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch self {
        case .es256(let key):
            guard let parsed = try? P256.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSHA256Signature(parsed, for: message)
        case .rs256(let key):
            return key.isValidPKCS1v15SHA256Signature(signature, for: message)
        }
    }
}
