import Foundation
import Testing

@testable import PortcullisCrypto

/// Signing is checked by independent verifiers: `openssl dgst -verify` and PyJWT.
@Suite("ECDSA P-256 signing, verified by openssl and PyJWT")
struct P256SigningTests {
    /// An openssl key as PKCS#8 and SEC 1 PEM, its public PEM and point.
    struct OpenSSLKey {
        let directory: URL
        let pkcs8: String
        let sec1: String
        let publicPoint: [UInt8]

        init() throws {
            directory = try OpenSSL.temporaryDirectory()
            try OpenSSL.run(
                ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"], in: directory)
            try OpenSSL.run(["ec", "-in", "ec.pem", "-out", "sec1.pem"], in: directory)
            try OpenSSL.run(["pkey", "-in", "ec.pem", "-pubout", "-out", "pub.pem"], in: directory)
            publicPoint = Array(
                try OpenSSL.run(["pkey", "-in", "ec.pem", "-pubout", "-outform", "DER"], in: directory).suffix(65))
            pkcs8 = try String(contentsOf: directory.appendingPathComponent("ec.pem"), encoding: .utf8)
            sec1 = try String(contentsOf: directory.appendingPathComponent("sec1.pem"), encoding: .utf8)
        }

        /// Whether `openssl dgst -sha256 -verify` accepts `signature` over `message`.
        func opensslAccepts(_ signature: P256.ECDSASignature, for message: [UInt8]) throws -> Bool {
            let file = directory.appendingPathComponent("sig.der")
            try Data(signature.derRepresentation).write(to: file)
            do {
                try OpenSSL.run(
                    ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der"], in: directory, input: message)
                return true
            } catch is OpenSSL.Failure {
                return false
            }
        }
    }

    @Test("keys read from PKCS#8 and SEC 1 PEM give openssl's public point")
    func readsOpenSSLKeys() throws {
        let key = try OpenSSLKey()
        defer { try? FileManager.default.removeItem(at: key.directory) }
        let fromPKCS8 = try P256.PrivateKey(pemRepresentation: key.pkcs8)
        let fromSEC1 = try P256.PrivateKey(pemRepresentation: key.sec1)
        #expect(fromPKCS8.rawRepresentation == fromSEC1.rawRepresentation)
        let expected = try P256.PublicKey(x963Representation: key.publicPoint)
        #expect(fromPKCS8.publicKey.point.x == expected.point.x)
        #expect(fromPKCS8.publicKey.point.y == expected.point.y)
    }

    @Test("our signatures verify with openssl; a changed message or signature does not")
    func opensslVerifies() throws {
        let key = try OpenSSLKey()
        defer { try? FileManager.default.removeItem(at: key.directory) }
        let privateKey = try P256.PrivateKey(pemRepresentation: key.pkcs8)
        for message in [[], Array("header.payload".utf8), RandomInputs.bytes(1000)] {
            let signature = privateKey.sha256Signature(for: message)
            #expect(try key.opensslAccepts(signature, for: message))
            #expect(try !key.opensslAccepts(signature, for: message + [0]))
            var raw = signature.rawRepresentation
            raw[40] ^= 0x04
            #expect(try !key.opensslAccepts(try P256.ECDSASignature(rawRepresentation: raw), for: message))
        }
        // A fresh nonce each time: two signatures of one message differ, both valid.
        let message = Array("same".utf8)
        let first = privateKey.sha256Signature(for: message)
        let second = privateKey.sha256Signature(for: message)
        #expect(first != second)
        #expect(try key.opensslAccepts(second, for: message))
    }

    @Test("an ES256 token we sign (as Apple's client secret is) verifies with PyJWT")
    func pyjwtVerifiesES256() throws {
        let key = try OpenSSLKey()
        defer { try? FileManager.default.removeItem(at: key.directory) }
        let privateKey = try P256.PrivateKey(pemRepresentation: key.pkcs8)
        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"ABC123DEFG"}"#.utf8))
        let payload = Base64URL.encode(
            Array(#"{"iss":"TEAMID","sub":"com.example.web","iat":1700000000,"exp":4000000000}"#.utf8))
        let signingInput = header + "." + payload
        let token =
            signingInput + "."
            + Base64URL.encode(privateKey.sha256Signature(for: Array(signingInput.utf8)).rawRepresentation)
        let publicPEM = try String(contentsOf: key.directory.appendingPathComponent("pub.pem"), encoding: .utf8)
        let answers = try Oracle.run([
            ["op": "jwt_decode_asymmetric", "token": token, "pem": publicPEM, "alg": "ES256"],
            [
                "op": "jwt_decode_asymmetric", "token": token.dropLast(2) + (token.hasSuffix("AA") ? "BA" : "AA"),
                "pem": publicPEM, "alg": "ES256",
            ],
        ])
        let accepted = try #require(answers[0] as? [String: Any])
        #expect((accepted["claims"] as? [String: Any])?["sub"] as? String == "com.example.web")
        let refused = try #require(answers[1] as? [String: Any])
        #expect(refused["error"] as? String != nil)
    }

    @Test("the constant-time ladder agrees with the variable-time multiplication, edges included")
    func ladderMatchesReference() throws {
        let n = P256.order.modulus
        var scalars: [[UInt64]] = [[2, 0, 0, 0], [3, 0, 0, 0], [0, 0, 0, 1 << 63], [UInt64.max, UInt64.max, 0, 0]]
        var nMinusThree = n
        MontgomeryModulus.subtract(&nMinusThree, [3, 0, 0, 0])
        scalars.append(nMinusThree)
        // Around 2²⁵⁶ − n, where the lift switches between k + n and k + 2n.
        var switchPoint: [UInt64] = [0, 0, 0, 0]
        MontgomeryModulus.subtract(&switchPoint, n)
        scalars.append(switchPoint)
        var belowSwitch = switchPoint
        MontgomeryModulus.subtract(&belowSwitch, [1, 0, 0, 0])
        scalars.append(belowSwitch)
        for _ in 0..<8 { scalars.append(P256.PrivateKey().scalar) }
        let generator = P256.JacobianPoint(P256.generator)
        for k in scalars {
            #expect(P256.isLadderSafe(k) == 1)
            let ladder = P256.affine(P256.multiplySecret(k, P256.generator))
            let reference = P256.linearCombination(k, generator, [0, 0, 0, 0], generator)
            #expect(ladder.x == reference.affineX)
        }
        for k in [[0, 0, 0, 0], [1, 0, 0, 0], n] as [[UInt64]] {
            #expect(P256.isLadderSafe(k) == 0)
        }
        // The variable-time addition's special cases: G + G doubles, G + (−G) is infinity.
        let negated = P256.JacobianPoint(
            P256.AffinePoint(
                x: P256.generator.x, y: P256.field.subtract([0, 0, 0, 0], P256.generator.y)))
        #expect(generator.adding(generator).affineX == generator.doubled().affineX)
        #expect(generator.adding(negated).isInfinity)
        #expect(generator.adding(.infinity).affineX == P256.generator.x)
    }

    @Test("random keys sign and verify; out-of-range scalars and other curves are refused")
    func keyValidation() throws {
        let key = P256.PrivateKey()
        let message = Array("m".utf8)
        #expect(key.publicKey.isValidSHA256Signature(key.sha256Signature(for: message), for: message))
        #expect(
            try P256.PrivateKey(rawRepresentation: key.rawRepresentation).publicKey.point.x == key.publicKey.point.x)

        let n = try #require(Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))
        func minus(_ value: UInt8) -> [UInt8] { Array(n.dropLast()) + [n[31] - value] }
        func small(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }
        _ = try P256.PrivateKey(rawRepresentation: small(2))
        _ = try P256.PrivateKey(rawRepresentation: minus(3))
        let refused = [
            small(0), small(1), minus(2), minus(1), n, [UInt8](repeating: 0xff, count: 32),
            [UInt8](repeating: 1, count: 31),
        ]
        for bad in refused {
            #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.PrivateKey(rawRepresentation: bad) }
        }

        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try OpenSSL.run(
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"], in: directory)
        let p384 = try String(contentsOf: directory.appendingPathComponent("p384.pem"), encoding: .utf8)
        #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.PrivateKey(pemRepresentation: p384) }
        #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.PrivateKey(pemRepresentation: "not a key") }
        #expect(throws: PublicKeyError.invalidEncoding) {
            _ = try P256.PrivateKey(pemRepresentation: "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n")
        }
    }
}
