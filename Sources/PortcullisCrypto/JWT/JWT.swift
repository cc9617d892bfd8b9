import FoundationEssentials

/// Rules for the registered time claims (RFC 7519 §4.1.4–4.1.6).
public struct JWTValidation: Sendable {
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    public var leeway: Int64
    /// Reject tokens without `exp`.
    public var requireExpiration: Bool

    public init(leeway: Int64 = 0, requireExpiration: Bool = true) {
        self.leeway = leeway
        self.requireExpiration = requireExpiration
    }
}

/// Claims that write their own JSON (compact, keys sorted, as `JSONEncoder` with `.sortedKeys` would),
/// sparing the signer a `JSONEncoder` on hot paths. The output must be valid JSON of the same value.
public protocol CompactJSONEncodable {
    var compactJSON: [UInt8] { get }
}

/// Compact JWS with HS256 (RFC 7515, RFC 7519): signs claims and verifies tokens strictly.
///
/// The algorithm is fixed by the signer, never taken from the token: a token whose header says
/// `none`, `HS512`, `RS256` or anything else than `HS256` is refused before its signature is looked at.
///
/// ```swift
/// let signer = HS256Signer(secret: Array("JWT_SECRET value".utf8))
/// let token = try signer.sign(MyClaims(...))
/// let claims = try signer.verify(token, as: MyClaims.self)
/// ```
public struct HS256Signer: Sendable {
    /// The longest token we parse; a LibreChat token is about 300 bytes.
    public static let maximumTokenLength = 8192
    static let algorithm = "HS256"
    /// `{"alg":"HS256","typ":"JWT"}`, as jsonwebtoken writes it.
    static let encodedHeader = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    private let mac: HMAC<SHA256>

    /// Creates a signer keyed with the secret's bytes (jsonwebtoken uses the UTF-8 bytes of the string).
    public init<Secret: Sequence>(secret: Secret) where Secret.Element == UInt8 {
        mac = HMAC(key: SymmetricKey(data: secret))
    }

    /// Signs `claims` (encoded with `JSONEncoder`, keys sorted) and returns the compact token.
    /// The same claims always give the same token, so a token can be re-derived instead of stored.
    public func sign<Claims: Encodable>(_ claims: Claims) throws -> String {
        let payload: [UInt8]
        if let compact = claims as? any CompactJSONEncodable {
            payload = compact.compactJSON
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            payload = Array(try encoder.encode(claims))
        }
        let signingInput = Self.encodedHeader + "." + Base64URL.encode(payload)
        let signature = mac.authenticationCode(for: signingInput.utf8)
        return signingInput + "." + Base64URL.encode(signature.bytes)
    }

    /// Verifies the signature and time claims of `token` and decodes its claims.
    /// - Parameter now: seconds since 1970; the current time unless given.
    public func verify<Claims: Decodable>(
        _ token: String, as type: Claims.Type = Claims.self, validation: JWTValidation = JWTValidation(),
        now: Int64? = nil
    ) throws(JWTError) -> Claims {
        let parts = try Self.split(token)
        // The header we (and jsonwebtoken) write is checked by comparison; any other is parsed.
        if parts.header != Self.encodedHeader {
            let header = try Self.decodeJSON(HeaderFields.self, parts.header, segment: "header")
            guard header.alg == Self.algorithm else {
                throw .algorithmMismatch(expected: Self.algorithm, found: String(header.alg.prefix(16)))
            }
            if let typ = header.typ, typ.uppercased() != "JWT" {
                throw .unsupportedHeader("typ \(typ.prefix(16))")
            }
            if header.crit != nil { throw .unsupportedHeader("crit") }
        }

        guard let signature = Base64URL.decode(parts.signature) else { throw .invalidBase64(segment: "signature") }
        let expected = mac.authenticationCode(for: parts.signingInput.utf8)
        guard ConstantTime.equals(expected.bytes, signature) else { throw .invalidSignature }

        let payload = try Self.decodeJSON(Payload<Claims>.self, parts.payload, segment: "payload")
        try payload.times.check(validation, now: now)
        return payload.claims
    }

    struct Parts {
        var signingInput: Substring
        var header: Substring
        var payload: Substring
        var signature: Substring
    }

    static func split(_ token: String) throws(JWTError) -> Parts {
        let utf8 = token.utf8
        guard utf8.count <= maximumTokenLength else {
            throw .malformed("token longer than \(maximumTokenLength) bytes")
        }
        // Split on the bytes: a Character-level split is far slower and a JWT is ASCII anyway.
        var dots: [String.Index] = []
        var index = utf8.startIndex
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: ".") {
                dots.append(index)
                guard dots.count <= 2 else { throw .malformed("expected 3 segments, found more") }
            }
            index = utf8.index(after: index)
        }
        guard dots.count == 2 else { throw .malformed("expected 3 segments, found \(dots.count + 1)") }
        let header = token[token.startIndex..<dots[0]]
        let payload = token[token.index(after: dots[0])..<dots[1]]
        let signature = token[token.index(after: dots[1])...]
        guard !header.isEmpty, !payload.isEmpty, !signature.isEmpty else { throw .malformed("empty segment") }
        return Parts(
            signingInput: token[token.startIndex..<dots[1]], header: header, payload: payload, signature: signature)
    }

    static func decodeJSON<T: Decodable>(
        _ type: T.Type, _ segment: Substring, segment name: String
    ) throws(JWTError) -> T {
        guard let bytes = Base64URL.decode(segment) else { throw .invalidBase64(segment: name) }
        // Flat objects (the usual claims) take the fast path; a value of the wrong type there is
        // still retried with JSONDecoder, which then gives the authoritative answer.
        if let fields = FlatJSON.parse(bytes), let value = try? T(from: FlatJSONDecoder(fields: fields)) {
            return value
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .invalidJSON(segment: name)
        }
    }

    struct HeaderFields: Decodable {
        var alg: String
        var kid: String?
        var typ: String?
        var crit: [String]?
    }

    /// The registered time claims and the caller's claims, decoded from one parse of the payload.
    struct Payload<Claims: Decodable>: Decodable {
        var times: TimeClaims
        var claims: Claims

        init(from decoder: any Decoder) throws {
            times = try TimeClaims(from: decoder)
            claims = try Claims(from: decoder)
        }
    }

    struct TimeClaims: Decodable {
        var exp: Double?
        var nbf: Double?
        var iat: Double?

        func check(_ validation: JWTValidation, now: Int64?) throws(JWTError) {
            let clock = now ?? Int64(Date().timeIntervalSince1970)
            if let exp {
                guard Double(clock) < exp + Double(validation.leeway) else { throw .expired }
            } else if validation.requireExpiration {
                throw .missingExpiration
            }
            if let nbf, Double(clock + validation.leeway) < nbf { throw .notYetValid }
            if let iat, Double(clock + validation.leeway) < iat { throw .issuedInFuture }
        }
    }
}
