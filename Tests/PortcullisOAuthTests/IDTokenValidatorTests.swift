import FoundationEssentials
import PortcullisCrypto
import PortcullisOAuth
import Testing

/// id_tokens signed here with `P256.PrivateKey` (whose signatures openssl and PyJWT accept, see
/// the crypto tests), so each claim rule can be broken one at a time.
@Suite("id_token claim validation")
struct IDTokenValidatorTests {
    static let issuer = "http://127.0.0.1:9000/realms/test"
    static let client = "portcullis"
    static let now: Int64 = 1_800_000_000
    static let signingKey = P256.PrivateKey()

    static var keySet: JSONWebKeySet {
        let point = signingKey.publicKey.x963Representation
        let jwks =
            #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","x":"\#(Base64URL.encode(point[1..<33]))","y":"\#(Base64URL.encode(point[33..<65]))"}]}"#
        return try! JSONWebKeySet(json: Array(jwks.utf8))
    }

    static func token(
        _ overrides: [String: String] = [:], header: String = #"{"alg":"ES256","kid":"k1"}"#,
        key: P256.PrivateKey = signingKey
    ) -> String {
        var fields: [String: String] = [
            "iss": "\"\(issuer)\"", "sub": "\"user-42\"", "aud": "\"\(client)\"", "exp": "\(now + 300)",
            "iat": "\(now - 5)", "nonce": "\"n-1\"", "email": "\"ana@example.com\"", "email_verified": "true",
        ]
        for (name, value) in overrides { fields[name] = value }
        let body =
            "{"
            + fields.filter { $0.value != "-" }.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
            .joined(separator: ",") + "}"
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(body.utf8))
        return input + "." + Base64URL.encode(key.sha256Signature(for: Array(input.utf8)).rawRepresentation)
    }

    static func validate(
        _ token: String, tolerance: Int64 = 0, nonce: String = "n-1"
    ) throws(IDTokenError) -> IDTokenClaims {
        try IDTokenValidator(issuer: issuer, clientID: client, clockTolerance: tolerance)
            .validate(token, keys: keySet, nonce: nonce, now: now)
    }

    @Test("a well-formed token is accepted and its claims read")
    func accepts() throws {
        let claims = try Self.validate(Self.token())
        #expect(claims.sub == "user-42" && claims.email == "ana@example.com" && claims.emailVerified == true)
        #expect(try Self.validate(Self.token(["email_verified": "\"true\""])).emailVerified == true)
        #expect(
            try Self.validate(Self.token(["aud": "[\"other\",\"portcullis\"]", "azp": "\"portcullis\""])).aud.count == 2
        )
    }

    @Test("each broken rule has its own refusal")
    func refusals() {
        let cases: [(String, IDTokenError)] = [
            (Self.token(["nonce": "\"n-2\""]), .nonceMismatch),
            (Self.token(["nonce": "-"]), .nonceMismatch),
            (Self.token(["aud": "\"someone-else\""]), .wrongAudience),
            (Self.token(["iss": "\"http://127.0.0.1:9001/\""]), .wrongIssuer),
            (Self.token(["aud": "[\"other\",\"portcullis\"]"]), .wrongAuthorizedParty),
            (Self.token(["azp": "\"other\""]), .wrongAuthorizedParty),
            (Self.token(["exp": "\(Self.now - 1)"]), .token(.expired)),
            (Self.token(["iat": "\(Self.now + 120)"]), .token(.issuedInFuture)),
            (Self.token(["exp": "-"]), .token(.invalidJSON(segment: "payload"))),
            (Self.token(header: #"{"alg":"ES256","kid":"k2"}"#), .unknownKey),
            (Self.token(header: #"{"alg":"RS256","kid":"k1"}"#), .unknownKey),
            (Self.token(header: #"{"alg":"none","kid":"k1"}"#), .unknownKey),
            (Self.token(key: P256.PrivateKey()), .token(.invalidSignature)),
        ]
        for (token, expected) in cases {
            #expect(throws: expected) { _ = try Self.validate(token) }
        }
    }

    @Test("documented alternative issuer spellings are accepted, nothing else")
    func alternativeIssuers() throws {
        var validator = IDTokenValidator(issuer: Self.issuer, clientID: Self.client)
        validator.alternativeIssuers = ["accounts.google.com"]
        #expect(
            try validator.validate(
                Self.token(["iss": "\"accounts.google.com\""]), keys: Self.keySet, nonce: "n-1", now: Self.now
            ).sub == "user-42")
        #expect(throws: IDTokenError.wrongIssuer) {
            _ = try validator.validate(
                Self.token(["iss": "\"accounts.google.com.evil\""]), keys: Self.keySet, nonce: "n-1", now: Self.now)
        }
    }

    @Test("OPENID_CLOCK_TOLERANCE applies to exp and iat")
    func tolerance() throws {
        #expect(try Self.validate(Self.token(["exp": "\(Self.now - 10)"]), tolerance: 30).sub == "user-42")
        #expect(try Self.validate(Self.token(["iat": "\(Self.now + 10)"]), tolerance: 30).sub == "user-42")
        #expect(throws: IDTokenError.token(.expired)) {
            _ = try Self.validate(Self.token(["exp": "\(Self.now - 40)"]), tolerance: 30)
        }
    }
}

@Suite("PKCE and the flow cookie")
struct FlowCookieTests {
    @Test("S256 challenge matches RFC 7636 Appendix B")
    func pkceVector() {
        #expect(
            PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let verifier = PKCE.makeVerifier()
        #expect(verifier.utf8.count == 43 && verifier != PKCE.makeVerifier())
    }

    @Test("a sealed flow opens once matched; tampering, age, provider and state are refused")
    func sealAndOpen() throws {
        let sealer = FlowCookieSealer(secret: Array("jwt-secret".utf8), lifetime: 600)
        let flow = FlowState(provider: "openid", now: 1000)
        let cookie = try sealer.seal(flow)
        #expect(try sealer.open(cookie, provider: "openid", state: flow.state, now: 1300) == flow)

        #expect(throws: FlowCookieError.expired) {
            _ = try sealer.open(cookie, provider: "openid", state: flow.state, now: 1601)
        }
        #expect(throws: FlowCookieError.wrongProvider) {
            _ = try sealer.open(cookie, provider: "github", state: flow.state, now: 1300)
        }
        #expect(throws: FlowCookieError.stateMismatch) {
            _ = try sealer.open(cookie, provider: "openid", state: "x", now: 1300)
        }
        #expect(throws: FlowCookieError.stateMismatch) {
            _ = try sealer.open(cookie, provider: "openid", state: nil, now: 1300)
        }

        var bytes = Array(cookie.utf8)
        bytes[5] = bytes[5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let tampered = String(decoding: bytes, as: UTF8.self)
        let other = FlowCookieSealer(secret: Array("another-secret".utf8))
        for value in [tampered, "", ".", cookie + "x", String(repeating: "a", count: 2000), nil] {
            #expect(throws: FlowCookieError.invalid) {
                _ = try sealer.open(value, provider: "openid", state: flow.state, now: 1300)
            }
        }
        #expect(throws: FlowCookieError.invalid) {
            _ = try other.open(cookie, provider: "openid", state: flow.state, now: 1300)
        }
    }
}
