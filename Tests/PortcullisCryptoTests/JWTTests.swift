import PortcullisCrypto
import Testing

@Suite("JWT HS256")
struct JWTTests {
    struct RFCClaims: Codable, Equatable {
        var iss: String
        var exp: Int
        var isRoot: Bool

        enum CodingKeys: String, CodingKey {
            case iss, exp
            case isRoot = "http://example.com/is_root"
        }
    }

    struct SessionClaims: Codable, Equatable {
        var id: String
        var username: String
        var provider: String
        var email: String
        var iat: Int
        var exp: Int
    }

    /// RFC 7515 appendix A.1.
    static let rfcKey = Base64URL.decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")!
    static let rfcToken =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    let signer = HS256Signer(secret: Self.rfcKey)

    @Test("RFC 7515 A.1 verifies before its expiry and is expired after it")
    func rfc7515() throws {
        let claims = try signer.verify(Self.rfcToken, as: RFCClaims.self, now: 1_300_819_000)
        #expect(claims == RFCClaims(iss: "joe", exp: 1_300_819_380, isRoot: true))
        #expect(throws: JWTError.expired) { try signer.verify(Self.rfcToken, as: RFCClaims.self) }
        #expect(throws: JWTError.expired) { try signer.verify(Self.rfcToken, as: RFCClaims.self, now: 1_300_819_380) }
        // Inside the leeway it is still accepted.
        _ = try signer.verify(
            Self.rfcToken, as: RFCClaims.self, validation: JWTValidation(leeway: 10), now: 1_300_819_385)
    }

    @Test("sign then verify round trip with LibreChat's claim shape")
    func roundTrip() throws {
        let now: Int64 = 1_800_000_000
        let claims = SessionClaims(
            id: "65f0c0ffee0123456789abcd", username: "ana", provider: "local",
            email: "ana@example.com", iat: Int(now), exp: Int(now) + 900)
        let token = try signer.sign(claims)
        #expect(token.hasPrefix("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."))
        #expect(try signer.verify(token, as: SessionClaims.self, now: now) == claims)
        #expect(try signer.sign(claims) == token, "signing must be deterministic")
        let other = HS256Signer(secret: utf8("another secret"))
        #expect(throws: JWTError.invalidSignature) { try other.verify(token, as: SessionClaims.self, now: now) }
    }

    @Test("claims with escapes, non-ASCII, numbers and nesting decode (fast path and fallback alike)")
    func claimShapes() throws {
        struct Rich: Codable, Equatable {
            struct Inner: Codable, Equatable { var roles: [String] }
            var name: String
            var ratio: Double
            var count: Int
            var flag: Bool
            var missing: String?
            var nested: Inner?
            var exp: Int
        }
        let now: Int64 = 1_900_000_000
        for nested in [nil, Rich.Inner(roles: ["ADMIN", "USER"])] {
            let claims = Rich(
                name: "quote \" slash \\ tab \t newline \n é 🔐 \u{1}", ratio: -1.5e-3, count: 42, flag: true,
                missing: nil, nested: nested, exp: Int(now) + 60)
            let token = try signer.sign(claims)
            #expect(try signer.verify(token, as: Rich.self, now: now) == claims)
        }
        // Hand-written payloads: \u escapes with a surrogate pair, null, exponent forms.
        let payload =
            #"{"name":"\u00e9\ud83d\udd10","ratio":1E2,"count":-0,"flag":false,"missing":null,"exp":9999999999}"#
        let input = Base64URL.encode(utf8(#"{"alg":"HS256"}"#)) + "." + Base64URL.encode(utf8(payload))
        let mac = HMAC<SHA256>.authenticationCode(for: utf8(input), using: SymmetricKey(data: Self.rfcKey))
        let decoded = try signer.verify(input + "." + Base64URL.encode(mac.bytes), as: Rich.self, now: now)
        #expect(
            decoded.name == "é🔐" && decoded.ratio == 100 && decoded.count == 0 && !decoded.flag
                && decoded.missing == nil)
    }

    @Test("every single-byte change of a token is rejected")
    func tampering() throws {
        let now: Int64 = 1_800_000_000
        let token = try signer.sign(
            SessionClaims(
                id: "a", username: "b", provider: "local", email: "c@d.e",
                iat: Int(now), exp: Int(now) + 60))
        let bytes = utf8(token)
        for index in bytes.indices {
            for replacement in [UInt8(ascii: "A"), UInt8(ascii: "."), UInt8(ascii: "=")]
            where bytes[index] != replacement {
                var mutated = bytes
                mutated[index] = replacement
                #expect(throws: JWTError.self) {
                    try signer.verify(String(decoding: mutated, as: UTF8.self), as: SessionClaims.self, now: now)
                }
            }
        }
    }

    /// Headers other than HS256 must be refused whatever the signature says.
    @Test(
        "alg none, other algorithms, crit and odd typ are refused",
        arguments: [
            (#"{"alg":"none"}"#, "none"),
            (#"{"alg":"HS512","typ":"JWT"}"#, "HS512"),
            (#"{"alg":"RS256","typ":"JWT"}"#, "RS256"),
            (#"{"alg":"hs256","typ":"JWT"}"#, "hs256"),
        ])
    func algorithms(header: String, alg: String) throws {
        let payload = Base64URL.encode(utf8(#"{"exp":9999999999}"#))
        let input = Base64URL.encode(utf8(header)) + "." + payload
        // Sign the forged header with the right key: the algorithm check alone must reject it.
        let mac = HMAC<SHA256>.authenticationCode(for: utf8(input), using: SymmetricKey(data: Self.rfcKey))
        let token = input + "." + Base64URL.encode(mac.bytes)
        #expect(throws: JWTError.algorithmMismatch(expected: "HS256", found: alg)) {
            try signer.verify(token, as: RFCClaims.self)
        }
        #expect(throws: JWTError.self) { try signer.verify(input + ".", as: RFCClaims.self) }
    }

    @Test("crit headers and foreign typ are refused")
    func headers() throws {
        for header in [#"{"alg":"HS256","crit":["exp"]}"#, #"{"alg":"HS256","typ":"at+jwt"}"#] {
            let input = Base64URL.encode(utf8(header)) + "." + Base64URL.encode(utf8(#"{"exp":9999999999}"#))
            let mac = HMAC<SHA256>.authenticationCode(for: utf8(input), using: SymmetricKey(data: Self.rfcKey))
            #expect(throws: JWTError.self) {
                try signer.verify(input + "." + Base64URL.encode(mac.bytes), as: RFCClaims.self)
            }
        }
    }

    @Test(
        "structural garbage gets a typed error",
        arguments: [
            "", ".", "..", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..sig",
            "eyJhbGciOiJIUzI1NiJ9=.eyJ9.c2ln", "!!!.eyJ9.c2ln", "bm90IGpzb24.eyJ9.c2ln",
        ])
    func garbage(token: String) {
        #expect(throws: JWTError.self) { try signer.verify(token, as: RFCClaims.self) }
    }

    @Test("nbf and iat in the future, missing exp")
    func timeClaims() throws {
        struct Claims: Codable {
            var exp: Int?
            var nbf: Int?
            var iat: Int?
        }
        let now: Int64 = 2_000_000_000
        let future = try signer.sign(Claims(exp: Int(now) + 100, nbf: Int(now) + 50, iat: nil))
        #expect(throws: JWTError.notYetValid) { try signer.verify(future, as: Claims.self, now: now) }
        _ = try signer.verify(future, as: Claims.self, validation: JWTValidation(leeway: 60), now: now)
        let issued = try signer.sign(Claims(exp: Int(now) + 100, nbf: nil, iat: Int(now) + 30))
        #expect(throws: JWTError.issuedInFuture) { try signer.verify(issued, as: Claims.self, now: now) }
        let forever = try signer.sign(Claims(exp: nil, nbf: nil, iat: Int(now)))
        #expect(throws: JWTError.missingExpiration) { try signer.verify(forever, as: Claims.self, now: now) }
        _ = try signer.verify(forever, as: Claims.self, validation: JWTValidation(requireExpiration: false), now: now)
        let stringExp = Base64URL.encode(utf8(#"{"alg":"HS256"}"#)) + "." + Base64URL.encode(utf8(#"{"exp":"soon"}"#))
        let mac = HMAC<SHA256>.authenticationCode(for: utf8(stringExp), using: SymmetricKey(data: Self.rfcKey))
        #expect(throws: JWTError.invalidJSON(segment: "payload")) {
            try signer.verify(stringExp + "." + Base64URL.encode(mac.bytes), as: Claims.self, now: now)
        }
    }
}
