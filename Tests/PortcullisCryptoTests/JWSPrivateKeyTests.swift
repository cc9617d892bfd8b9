import Foundation
import Testing

@testable import PortcullisCrypto

/// The provider's signing keys: tokens verified by PyJWT through the published JWK, PEM read back by
/// openssl, thumbprints against RFC 7638's example.
@Suite("JWS signing keys: RS256 and ES256, JWKs, thumbprints, PEM")
struct JWSPrivateKeyTests {
    @Test("the RFC 7638 §3.1 example thumbprint")
    func thumbprint() {
        let n =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        #expect(
            JWSPrivateKey.thumbprint(of: [("e", "AQAB"), ("kty", "RSA"), ("n", n)])
                == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    static func jwk(_ key: JWSPrivateKey, kid: String) -> [String: String] {
        var jwk = ["kid": kid, "alg": key.algorithm, "use": "sig"]
        for (name, value) in key.publicJWKMembers { jwk[name] = value }
        return jwk
    }

    @Test("RS256 and ES256 tokens verify with PyJWT through the public JWK; tampering fails")
    func pyjwt() throws {
        let directory = try OpenSSL.temporaryDirectory()
        try OpenSSL.run(
            ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem"], in: directory)
        let rsa = try JWSPrivateKey(
            algorithm: "RS256", pem: String(contentsOf: directory.appendingPathComponent("rsa.pem"), encoding: .utf8))
        let payload = Array(#"{"iss":"https://auth.example","sub":"user-1"}"#.utf8)
        var requests: [[String: Any]] = []
        for key in [rsa, JWSPrivateKey.es256(P256.PrivateKey())] {
            let token = try key.sign(payload: payload, keyID: key.thumbprint)
            let jwk = Self.jwk(key, kid: key.thumbprint)
            #expect(
                (try? key.publicKey.verify(
                    token, as: [String: String].self, validation: .init(requireExpiration: false)))?["sub"] == "user-1")
            requests.append(["op": "jwt_verify_jwk", "token": token, "jwk": jwk])
            var tampered = Array(token)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            requests.append(["op": "jwt_verify_jwk", "token": String(tampered), "jwk": jwk])
            var wrongKid = jwk
            wrongKid["kid"] = "other"
            requests.append(["op": "jwt_verify_jwk", "token": token, "jwk": wrongKid])
        }
        let answers = try Oracle.run(requests)
        for index in stride(from: 0, to: answers.count, by: 3) {
            #expect((answers[index] as? [String: Any])?["sub"] as? String == "user-1")
            #expect(answers[index + 1] is NSNull)
            #expect(answers[index + 2] is NSNull)
        }
    }

    @Test("PEM written for both kinds reads back here and in openssl, to the same public key")
    func pem() throws {
        let directory = try OpenSSL.temporaryDirectory()
        let ec = JWSPrivateKey.es256(P256.PrivateKey())
        try ec.pemRepresentation.write(
            to: directory.appendingPathComponent("ours.pem"), atomically: true, encoding: .utf8)
        try OpenSSL.run(["ec", "-in", "ours.pem", "-check", "-noout"], in: directory)
        let point = try OpenSSL.run(["pkey", "-in", "ours.pem", "-pubout", "-outform", "DER"], in: directory).suffix(65)
        guard case .es256(let key) = ec else { return }
        #expect(Array(point) == key.publicKey.x963Representation)
        let back = try JWSPrivateKey(algorithm: "ES256", pem: ec.pemRepresentation)
        #expect(back.thumbprint == ec.thumbprint)
        #expect(throws: (any Error).self) { try JWSPrivateKey(algorithm: "HS256", pem: ec.pemRepresentation) }
        #expect(throws: (any Error).self) { try JWSPrivateKey(algorithm: "RS256", pem: ec.pemRepresentation) }
    }
}
