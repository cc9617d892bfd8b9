import FoundationEssentials

/// A JSON Web Key Set (RFC 7517 §5), as an OpenID provider publishes at its `jwks_uri`, reduced to
/// the keys id_tokens can be verified with here: RSA (RS256) and EC P-256 (ES256) signing keys.
///
/// ```swift
/// let set = try JSONWebKeySet(json: body)
/// let header = try JWSPublicKey.header(of: idToken)
/// guard let key = set.key(id: header.keyID, algorithm: header.algorithm) else { /* refetch once */ }
/// ```
public struct JSONWebKeySet: Sendable {
    /// One usable key and its `kid`.
    public struct Key: Sendable {
        public let id: String?
        public let key: JWSPublicKey
    }

    /// The largest key set accepted (a provider's set is a few KiB).
    public static let maximumByteCount = 64 * 1024
    /// The most keys kept from one set.
    public static let maximumKeyCount = 64

    /// The usable keys, in the set's order. Keys of other kinds (`oct`, other curves, `use: enc`,
    /// an `alg` other than RS256/ES256) and malformed or weak keys are skipped, not fatal: one odd
    /// key must not stop logins signed with the others.
    public let keys: [Key]

    /// A set without keys.
    public static let empty = JSONWebKeySet(keys: [])

    init(keys: [Key]) { self.keys = keys }

    /// Parses a JWKS document; throws `PublicKeyError.invalidEncoding` when it is not one at all.
    public init(json: [UInt8]) throws {
        guard json.count <= Self.maximumByteCount,
            let document = try? JSONDecoder().decode(Document.self, from: Data(json))
        else { throw PublicKeyError.invalidEncoding }
        keys = document.keys.prefix(Self.maximumKeyCount).compactMap(Self.usableKey)
    }

    /// The key to verify a token whose header names `algorithm` and `id`. Without a `kid` a key is
    /// chosen only when exactly one key of that algorithm exists (RFC 7515 §4.1.4 leaves it open).
    public func key(id: String?, algorithm: String) -> JWSPublicKey? {
        let candidates = keys.filter { $0.key.algorithm == algorithm }
        guard let id else { return candidates.count == 1 ? candidates[0].key : nil }
        return candidates.first { $0.id == id }?.key
    }

    struct Document: Decodable {
        var keys: [Entry]
    }

    struct Entry: Decodable {
        var kty: String
        var kid: String?
        var use: String?
        var alg: String?
        var n: String?
        var e: String?
        var crv: String?
        var x: String?
        var y: String?
    }

    static func usableKey(_ entry: Entry) -> Key? {
        if let use = entry.use, use != "sig" { return nil }
        let key: JWSPublicKey
        switch entry.kty {
        case "RSA":
            guard let n = entry.n.flatMap(Base64URL.decode), let e = entry.e.flatMap(Base64URL.decode),
                let rsa = try? RSA.PublicKey(modulus: n, exponent: e)
            else { return nil }
            key = .rs256(rsa)
        case "EC":
            guard entry.crv == "P-256", let x = entry.x.flatMap(Base64URL.decode),
                let y = entry.y.flatMap(Base64URL.decode),
                let point = try? P256.PublicKey(x: x, y: y)
            else { return nil }
            key = .es256(point)
        default:
            return nil
        }
        if let alg = entry.alg, alg != key.algorithm { return nil }
        return Key(id: entry.kid, key: key)
    }
}
