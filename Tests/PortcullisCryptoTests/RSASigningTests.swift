import Foundation
import Testing

@testable import PortcullisCrypto

/// RSA private keys and RS256 signatures against `openssl` (keys and signatures both ways) and PyJWT.
@Suite("RSA signing (CRT, blinding) against openssl and PyJWT")
struct RSASigningTests {
    static let message = Array("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ".utf8)

    @Test("a generated key passes openssl's check; its signatures are openssl's, byte for byte, and verify there")
    func generatedKey() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = RSA.PrivateKey.generate(bits: 2048)
        #expect(key.bitCount == 2048 && key.jwkExponent == [0x01, 0x00, 0x01])
        try key.pkcs8PEM.write(to: directory.appendingPathComponent("ours.pem"), atomically: true, encoding: .utf8)
        try key.publicKeyPEM.write(to: directory.appendingPathComponent("ours.pub"), atomically: true, encoding: .utf8)
        let check = String(
            decoding: try OpenSSL.run(["rsa", "-in", "ours.pem", "-check", "-noout"], in: directory), as: UTF8.self)
        #expect(check.contains("RSA key ok"))
        let signature = try key.pkcs1v15SHA256Signature(for: Self.message)
        // PKCS #1 v1.5 is deterministic: openssl with the same key must produce the same bytes.
        #expect(try OpenSSL.sign(Self.message, key: "ours.pem", in: directory) == signature)
        try Data(signature).write(to: directory.appendingPathComponent("sig.bin"))
        let verified = try OpenSSL.run(
            ["dgst", "-sha256", "-verify", "ours.pub", "-signature", "sig.bin"], in: directory, input: Self.message)
        #expect(String(decoding: verified, as: UTF8.self).contains("Verified OK"))
        // Read back from both DER forms, the key signs the same.
        #expect(try RSA.PrivateKey(pkcs1: key.pkcs1DER).pkcs1v15SHA256Signature(for: Self.message) == signature)
        #expect(try RSA.PrivateKey(pem: key.pkcs8PEM).pkcs1v15SHA256Signature(for: Self.message) == signature)
    }

    @Test("openssl's keys (PKCS #8 and PKCS #1) sign exactly as openssl does", arguments: [2048, 3072, 4096])
    func opensslKeys(bits: Int) throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try RSATests.makeKey(bits: bits, exponent: 65537, in: directory)
        try OpenSSL.run(["rsa", "-in", "key.pem", "-traditional", "-out", "pkcs1.pem"], in: directory)
        let expected = try OpenSSL.sign(Self.message, key: "key.pem", in: directory)
        for file in ["key.pem", "pkcs1.pem"] {
            let pem = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let key = try RSA.PrivateKey(pem: pem)
            #expect(key.bitCount == bits)
            #expect(try key.pkcs1v15SHA256Signature(for: Self.message) == expected, "\(file)")
        }
    }

    @Test("blinding pairs are squared and redrawn: 70 signatures in a row are all the deterministic one")
    func blinding() throws {
        let key = RSA.PrivateKey.generate(bits: 2048)
        let first = try key.pkcs1v15SHA256Signature(for: Self.message)
        for _ in 0..<70 { #expect(try key.pkcs1v15SHA256Signature(for: Self.message) == first) }
        let other = try key.pkcs1v15SHA256Signature(for: Array("another".utf8))
        #expect(other != first && key.publicKey.isValidPKCS1v15SHA256Signature(other, for: Array("another".utf8)))
    }

    @Test("RS256 tokens signed here verify in PyJWT")
    func pyjwt() throws {
        let key = RSA.PrivateKey.generate(bits: 2048)
        let header = Base64URL.encode(Array(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"sub":"user-1","iss":"http://127.0.0.1:9"}"#.utf8))
        let input = header + "." + payload
        let token = input + "." + Base64URL.encode(try key.pkcs1v15SHA256Signature(for: Array(input.utf8)))
        let answers = try Oracle.run([
            ["op": "jwt_rs256_verify", "token": token, "public_pem": key.publicKeyPEM],
            ["op": "jwt_rs256_verify", "token": token + "A", "public_pem": key.publicKeyPEM],
        ])
        #expect((answers[0] as? [String: Any])?["sub"] as? String == "user-1")
        #expect(answers[1] is NSNull)
    }

    @Test("Montgomery squaring equals multiplying a number by itself, at every size RSA and P-256 use")
    func squaring() throws {
        for count in [1, 2, 4, 16, 24, 32, 64] {
            var limbs = (0..<count).map { _ in UInt64.random(in: 0...UInt64.max) }
            limbs[0] |= 1
            limbs[count - 1] |= 1 << 63
            let field = try #require(MontgomeryModulus(limbs))
            for _ in 0..<20 {
                let a = field.reduce((0..<count).map { _ in UInt64.random(in: 0...UInt64.max) })
                #expect(field.square(a) == field.multiply(a, a), "\(count) limbs")
            }
            var allOnes = field.modulus
            allOnes[0] -= 1  // m − 1, the largest operand
            #expect(field.square(allOnes) == field.multiply(allOnes, allOnes))
        }
    }

    @Test("keys whose parts do not belong together, or malformed DER, are refused")
    func refusals() throws {
        let key = RSA.PrivateKey.generate(bits: 2048)
        var der = key.pkcs1DER
        der[der.count - 10] ^= 0x01  // the coefficient changes: the check signature fails
        #expect(throws: PublicKeyError.self) { try RSA.PrivateKey(pkcs1: der) }
        #expect(throws: PublicKeyError.self) { try RSA.PrivateKey(pkcs1: Array(key.pkcs1DER.dropLast())) }
        #expect(throws: PublicKeyError.self) { try RSA.PrivateKey(pkcs8: key.pkcs1DER) }
        #expect(throws: PublicKeyError.self) {
            try RSA.PrivateKey(pem: key.pkcs8PEM.replacingOccurrences(of: "PRIVATE KEY", with: "EC PRIVATE KEY"))
        }
        // Miller–Rabin: known primes pass, Carmichael numbers and products fail.
        #expect(RSA.PrivateKey.isProbablePrime([0xFFFF_FFFF_FFFF_FFC5], rounds: 8))  // 2⁶⁴ − 59
        #expect(
            !RSA.PrivateKey.isProbablePrime([561], rounds: 8) && !RSA.PrivateKey.isProbablePrime([41_041], rounds: 8))
        #expect(!RSA.PrivateKey.isProbablePrime([4_294_967_291 * 4_294_967_279], rounds: 8))
    }
}
