import Foundation
import Testing

@testable import PortcullisCrypto

/// RS256/ES256 tokens made by PyJWT (with `cryptography`) from openssl-made keys.
@Suite("JWS RS256/ES256 verification against PyJWT")
struct JWSPublicKeyTests {
    struct Claims: Decodable, Equatable {
        var sub: String
        var nonce: String
    }

    static let now: Int64 = 1_800_000_000

    static func claims(exp: Int64 = now + 300) -> [String: Any] {
        [
            "sub": "user-1", "nonce": "n-0S6_WzA2Mj", "iss": "http://127.0.0.1:9/", "aud": "portcullis",
            "iat": now - 10, "exp": exp,
        ]
    }

    /// Keys (RSA-2048 and P-256) in a temporary directory, with their PEM text for PyJWT.
    struct Keys {
        let directory: URL
        let rsa: RSA.PublicKey
        let rsaPEM: String
        let p256: P256.PublicKey
        let p256PEM: String

        init() throws {
            directory = try OpenSSL.temporaryDirectory()
            rsa = try RSATests.makeKey(bits: 2048, exponent: 65537, in: directory)
            p256 = try P256Tests.makeKey(in: directory)
            rsaPEM = try String(contentsOf: directory.appendingPathComponent("key.pem"), encoding: .utf8)
            p256PEM = try String(contentsOf: directory.appendingPathComponent("ec.pem"), encoding: .utf8)
        }
    }

    static func token(_ alg: String, pem: String, claims: [String: Any] = claims(), kid: String? = nil) throws -> String
    {
        var request: [String: Any] = ["op": "jwt_encode_asymmetric", "alg": alg, "pem": pem, "claims": claims]
        if let kid { request["headers"] = ["kid": kid] }
        return try #require(try Oracle.run([request]).first as? String)
    }

    @Test("PyJWT's RS256 and ES256 tokens verify and decode; the header's kid is readable first")
    func roundTrip() throws {
        let keys = try Keys()
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        let rs = try Self.token("RS256", pem: keys.rsaPEM, kid: "rsa-1")
        let es = try Self.token("ES256", pem: keys.p256PEM, kid: "ec-1")
        #expect(try JWSPublicKey.header(of: rs) == .init(algorithm: "RS256", keyID: "rsa-1"))
        #expect(try JWSPublicKey.header(of: es) == .init(algorithm: "ES256", keyID: "ec-1"))
        let expected = Claims(sub: "user-1", nonce: "n-0S6_WzA2Mj")
        #expect(try JWSPublicKey.rs256(keys.rsa).verify(rs, as: Claims.self, now: Self.now) == expected)
        #expect(try JWSPublicKey.es256(keys.p256).verify(es, as: Claims.self, now: Self.now) == expected)
    }

    @Test("alg is the key's: ES256 for an RSA key, RS256 for an EC key, none and HS256 are refused")
    func algorithmConfusion() throws {
        let keys = try Keys()
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        let rs = try Self.token("RS256", pem: keys.rsaPEM)
        let es = try Self.token("ES256", pem: keys.p256PEM)
        let answers = try Oracle.run([
            ["op": "jwt_encode", "alg": "none", "claims": Self.claims()],
            // PyJWT will not HMAC with PEM text (its own guard), so any secret: HS256 must be refused outright.
            [
                "op": "jwt_encode", "alg": "HS256", "secret": Hex.encode(RandomInputs.bytes(32)),
                "claims": Self.claims(),
            ],
        ])
        let none = try #require(answers[0] as? String)
        let hs256 = try #require(answers[1] as? String)
        let rsaKey = JWSPublicKey.rs256(keys.rsa)
        let ecKey = JWSPublicKey.es256(keys.p256)
        #expect(throws: JWTError.algorithmMismatch(expected: "RS256", found: "ES256")) {
            _ = try rsaKey.verify(es, as: Claims.self, now: Self.now)
        }
        #expect(throws: JWTError.algorithmMismatch(expected: "ES256", found: "RS256")) {
            _ = try ecKey.verify(rs, as: Claims.self, now: Self.now)
        }
        for key in [rsaKey, ecKey] {
            #expect(throws: JWTError.self) { _ = try key.verify(none, as: Claims.self, now: Self.now) }
            #expect(throws: JWTError.algorithmMismatch(expected: key.algorithm, found: "HS256")) {
                _ = try key.verify(hs256, as: Claims.self, now: Self.now)
            }
        }
    }

    @Test("another key, a changed payload, a cut signature and an expired token are refused")
    func tampering() throws {
        let keys = try Keys()
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        let otherDirectory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: otherDirectory) }
        let otherRSA = try RSATests.makeKey(bits: 2048, exponent: 65537, in: otherDirectory)
        let otherEC = try P256Tests.makeKey(in: otherDirectory)

        for (key, other, alg, pem) in [
            (JWSPublicKey.rs256(keys.rsa), JWSPublicKey.rs256(otherRSA), "RS256", keys.rsaPEM),
            (JWSPublicKey.es256(keys.p256), JWSPublicKey.es256(otherEC), "ES256", keys.p256PEM),
        ] {
            let token = try Self.token(alg, pem: pem)
            #expect(throws: JWTError.invalidSignature) { _ = try other.verify(token, as: Claims.self, now: Self.now) }

            let parts = token.split(separator: ".").map(String.init)
            var payload = try #require(Base64URL.decode(parts[1]))
            payload[payload.count / 2] ^= 0x01
            let changed = [parts[0], Base64URL.encode(payload), parts[2]].joined(separator: ".")
            #expect(throws: JWTError.self) { _ = try key.verify(changed, as: Claims.self, now: Self.now) }

            let signature = try #require(Base64URL.decode(parts[2]))
            let cut = [parts[0], parts[1], Base64URL.encode(signature.dropLast())].joined(separator: ".")
            #expect(throws: JWTError.invalidSignature) { _ = try key.verify(cut, as: Claims.self, now: Self.now) }

            let expired = try Self.token(alg, pem: pem, claims: Self.claims(exp: Self.now - 1))
            #expect(throws: JWTError.expired) { _ = try key.verify(expired, as: Claims.self, now: Self.now) }
            let tolerated = JWTValidation(leeway: 5)
            #expect(try key.verify(expired, as: Claims.self, validation: tolerated, now: Self.now).sub == "user-1")
        }
    }
}

@Suite("JWKS from PyJWT and cryptography")
struct JSONWebKeySetTests {
    @Test("a provider-style key set selects the right key by kid and alg; tokens verify")
    func selectsAndVerifies() throws {
        // Keys the set must skip without failing: a symmetric key, another curve, an encryption key,
        // an RSA key too small, and an RSA key whose alg is not RS256.
        let extra: [[String: Any]] = [
            ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"],
            ["kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"],
            ["kty": "RSA", "kid": "enc", "use": "enc", "n": Base64URL.encode(RandomInputs.bytes(256)), "e": "AQAB"],
            [
                "kty": "RSA", "kid": "small", "n": Base64URL.encode([0xc1] + RandomInputs.bytes(126) + [0x01]),
                "e": "AQAB",
            ],
        ]
        let answer = try #require(
            try Oracle.run([["op": "jwks_with_tokens", "claims": JWSPublicKeyTests.claims(), "extra": extra]]).first
                as? [String: Any])
        let set = try JSONWebKeySet(json: Array(try #require(answer["jwks"] as? String).utf8))
        #expect(set.keys.map(\.id) == ["rsa-1", "ec-1"])
        for field in ["rs256", "es256"] {
            let token = try #require(answer[field] as? String)
            let header = try JWSPublicKey.header(of: token)
            let key = try #require(set.key(id: header.keyID, algorithm: header.algorithm))
            let claims = try key.verify(token, as: JWSPublicKeyTests.Claims.self, now: JWSPublicKeyTests.now)
            #expect(claims.sub == "user-1")
        }
        #expect(set.key(id: "unknown", algorithm: "RS256") == nil)
        #expect(set.key(id: "rsa-1", algorithm: "ES256") == nil)
        #expect(set.key(id: "hmac", algorithm: "HS256") == nil)
        // Without a kid a key is picked only when one key of that algorithm exists.
        #expect(set.key(id: nil, algorithm: "RS256") != nil)
    }

    @Test("documents that are not key sets are refused")
    func refusesGarbage() {
        for text in ["", "[]", #"{"keys":{}}"#, "{", String(repeating: " ", count: JSONWebKeySet.maximumByteCount + 1)]
        {
            #expect(throws: PublicKeyError.invalidEncoding) { _ = try JSONWebKeySet(json: Array(text.utf8)) }
        }
        #expect((try? JSONWebKeySet(json: Array(#"{"keys":[]}"#.utf8)))?.keys.isEmpty == true)
    }
}
