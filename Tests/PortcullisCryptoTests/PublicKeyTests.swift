import Foundation
import Testing

@testable import PortcullisCrypto

/// Keys and signatures made by the `openssl` command line (an independent implementation).
enum OpenSSL {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `openssl` in `directory` and returns its standard output.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, input: [UInt8] = []) throws -> [UInt8] {
        let result = try Subprocess.run("/usr/bin/env", ["openssl"] + arguments, input: Data(input), in: directory)
        guard result.status == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(result.errorText)")
        }
        return Array(result.output)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-pk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Signs `message` with the private key in `key.pem`; extra options select padding or digest.
    static func sign(
        _ message: [UInt8], key: String, in directory: URL, options: [String] = [], digest: String = "-sha256"
    ) throws -> [UInt8] {
        try run(["dgst", digest] + options + ["-sign", key], in: directory, input: message)
    }
}

@Suite("RSA PKCS#1 v1.5 verification against openssl")
struct RSATests {
    /// A fresh key from openssl and its public part as (modulus, exponent).
    static func makeKey(bits: Int, exponent: Int, in directory: URL, name: String = "key.pem") throws -> RSA.PublicKey {
        try OpenSSL.run(
            [
                "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)",
                "-pkeyopt", "rsa_keygen_pubexp:\(exponent)", "-out", name,
            ], in: directory)
        let text = String(
            decoding: try OpenSSL.run(["rsa", "-in", name, "-noout", "-modulus"], in: directory), as: UTF8.self)
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "Modulus=", with: "")
        var exponentBytes: [UInt8] = []
        var remaining = exponent
        while remaining > 0 {
            exponentBytes.insert(UInt8(remaining & 0xff), at: 0)
            remaining >>= 8
        }
        return try RSA.PublicKey(modulus: try #require(Hex.decode(hex)), exponent: exponentBytes)
    }

    @Test(
        "openssl signatures verify; any changed bit, length or key fails",
        arguments: [(2048, 65537), (3072, 65537), (2048, 3)])
    func roundTrip(bits: Int, exponent: Int) throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Self.makeKey(bits: bits, exponent: exponent, in: directory)
        let other = try Self.makeKey(bits: bits, exponent: exponent, in: directory, name: "other.pem")
        #expect(key.byteCount == bits / 8)

        for message in [[], Array("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0".utf8), RandomInputs.bytes(1000)] {
            let signature = try OpenSSL.sign(message, key: "key.pem", in: directory)
            #expect(key.isValidPKCS1v15SHA256Signature(signature, for: message))
            #expect(!other.isValidPKCS1v15SHA256Signature(signature, for: message))
            #expect(!key.isValidPKCS1v15SHA256Signature(signature, for: message + [0]))
            for position in [0, signature.count / 2, signature.count - 1] {
                var flipped = signature
                flipped[position] ^= 0x01
                #expect(!key.isValidPKCS1v15SHA256Signature(flipped, for: message))
            }
            #expect(!key.isValidPKCS1v15SHA256Signature([0] + signature, for: message))
            #expect(!key.isValidPKCS1v15SHA256Signature(signature.dropLast(), for: message))
        }
    }

    @Test("other paddings and digests over the same message are refused (PSS, SHA-1, SHA-512)")
    func otherSchemes() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Self.makeKey(bits: 2048, exponent: 65537, in: directory)
        let message = Array("header.payload".utf8)
        let pss = try OpenSSL.sign(
            message, key: "key.pem", in: directory, options: ["-sigopt", "rsa_padding_mode:pss"])
        let sha1 = try OpenSSL.sign(message, key: "key.pem", in: directory, digest: "-sha1")
        let sha512 = try OpenSSL.sign(message, key: "key.pem", in: directory, digest: "-sha512")
        #expect(!key.isValidPKCS1v15SHA256Signature(pss, for: message))
        #expect(!key.isValidPKCS1v15SHA256Signature(sha1, for: message))
        #expect(!key.isValidPKCS1v15SHA256Signature(sha512, for: message))
    }

    @Test("a signature value not below the modulus is refused, even when it is ≡ a valid one")
    func signatureAtOrAboveModulus() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Self.makeKey(bits: 2048, exponent: 65537, in: directory)
        let message = Array("m".utf8)
        let signature = try OpenSSL.sign(message, key: "key.pem", in: directory)
        // s + n still has the modulus's byte length whenever it does not carry out of the top byte.
        let modulus = MontgomeryModulus.bigEndianBytes(key.arithmetic.modulus, length: key.byteCount)
        var limbs = try #require(key.arithmetic.limbs(bigEndian: signature))
        let carry = MontgomeryModulus.add(&limbs, key.arithmetic.modulus)
        if carry == 0, MontgomeryModulus.bigEndianBytes(limbs, length: key.byteCount + 1)[0] == 0 {
            let lifted = MontgomeryModulus.bigEndianBytes(limbs, length: key.byteCount)
            #expect(!key.isValidPKCS1v15SHA256Signature(lifted, for: message))
        }
        #expect(!key.isValidPKCS1v15SHA256Signature(modulus, for: message))
    }

    @Test("weak or malformed keys are refused")
    func keyValidation() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: PublicKeyError.unsupportedModulusSize) {
            _ = try Self.makeKey(bits: 1024, exponent: 65537, in: directory)
        }
        let odd = [UInt8](repeating: 0xff, count: 256)
        var even = odd
        even[255] = 0xfe
        #expect(throws: PublicKeyError.unsupportedModulusSize) {
            _ = try RSA.PublicKey(modulus: even, exponent: [1, 0, 1])
        }
        #expect(throws: PublicKeyError.unsupportedModulusSize) {
            _ = try RSA.PublicKey(modulus: [UInt8](), exponent: [1, 0, 1])
        }
        #expect(throws: PublicKeyError.unsupportedModulusSize) {
            _ = try RSA.PublicKey(modulus: [UInt8](repeating: 0xff, count: 1025), exponent: [1, 0, 1])
        }
        #expect(throws: PublicKeyError.invalidExponent) { _ = try RSA.PublicKey(modulus: odd, exponent: [1]) }
        #expect(throws: PublicKeyError.invalidExponent) { _ = try RSA.PublicKey(modulus: odd, exponent: [1, 0, 0]) }
        #expect(throws: PublicKeyError.invalidExponent) {
            _ = try RSA.PublicKey(modulus: odd, exponent: [UInt8](repeating: 1, count: 9))
        }
        // Leading zero bytes (as some JWKS encoders write) are fine.
        _ = try RSA.PublicKey(modulus: [0, 0] + odd, exponent: [0, 1, 0, 1])
    }
}

@Suite("ECDSA P-256 verification against openssl and NIST")
struct P256Tests {
    /// NIST CSRC example "P256_SHA256": message "Example of ECDSA with P-256".
    @Test("the NIST example signature verifies, and fails with any change")
    func nistExample() throws {
        let key = try P256.PublicKey(
            x: try #require(Hex.decode("B7E08AFDFE94BAD3F1DC8C734798BA1C62B3A0AD1E9EA2A38201CD0889BC7A19")),
            y: try #require(Hex.decode("3603F747959DBF7A4BB226E41928729063ADC7AE43529E61B563BBC606CC5E09"))
        )
        let message = Array("Example of ECDSA with P-256".utf8)
        #expect(
            SHA256.hash(data: message).hexString == "a41a41a12a799548211c410c65d8133afde34d28bdd542e4b680cf2899c8a8c4")
        let raw = try #require(
            Hex.decode(
                "2B42F576D07F4165FF65D1F3B1500F81E44C316F1F0B3EF57325B69ACA46104F"
                    + "DC42C2122D6392CD3E3A993A89502A8198C1886FE69D262C4B329BDB6B63FAF1"))
        let signature = try P256.ECDSASignature(rawRepresentation: raw)
        #expect(key.isValidSHA256Signature(signature, for: message))
        #expect(!key.isValidSHA256Signature(signature, for: message.dropLast()))
        for position in [0, 31, 32, 63] {
            var flipped = raw
            flipped[position] ^= 0x80
            #expect(!key.isValidSHA256Signature(try P256.ECDSASignature(rawRepresentation: flipped), for: message))
        }
    }

    /// A fresh openssl P-256 key as its public point.
    static func makeKey(in directory: URL, name: String = "ec.pem") throws -> P256.PublicKey {
        try OpenSSL.run(
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name], in: directory)
        let der = try OpenSSL.run(["pkey", "-in", name, "-pubout", "-outform", "DER"], in: directory)
        // The SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
        return try P256.PublicKey(x963Representation: der.suffix(65))
    }

    @Test("openssl signatures verify (DER and raw forms); other keys, messages and bits fail")
    func openSSLRoundTrip() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Self.makeKey(in: directory)
        let other = try Self.makeKey(in: directory, name: "other.pem")
        for message in RandomInputs.messages.prefix(12) {
            let der = try OpenSSL.sign(message, key: "ec.pem", in: directory)
            let signature = try P256.ECDSASignature(derRepresentation: der)
            #expect(key.isValidSHA256Signature(signature, for: message))
            #expect(
                key.isValidSHA256Signature(
                    try P256.ECDSASignature(rawRepresentation: signature.rawRepresentation), for: message))
            #expect(!other.isValidSHA256Signature(signature, for: message))
            #expect(!key.isValidSHA256Signature(signature, for: message + [1]))
            var raw = signature.rawRepresentation
            raw[63] ^= 1
            #expect(!key.isValidSHA256Signature(try P256.ECDSASignature(rawRepresentation: raw), for: message))
        }
    }

    @Test("r or s of zero, equal to n, or the all-ones value are refused")
    func outOfRangeScalars() throws {
        let directory = try OpenSSL.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Self.makeKey(in: directory)
        let message = Array("x".utf8)
        let signature = try P256.ECDSASignature(
            derRepresentation: try OpenSSL.sign(message, key: "ec.pem", in: directory))
        let zero = [UInt8](repeating: 0, count: 32)
        let n = try #require(Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))
        let ones = [UInt8](repeating: 0xff, count: 32)
        for (r, s) in [
            (zero, signature.s), (signature.r, zero), (n, signature.s), (signature.r, n), (ones, signature.s),
            (zero, zero),
        ] {
            #expect(!key.isValidSHA256Signature(try P256.ECDSASignature(rawRepresentation: r + s), for: message))
        }
    }

    @Test("points off the curve, coordinates ≥ p and bad encodings are refused")
    func keyValidation() throws {
        let x = try #require(Hex.decode("B7E08AFDFE94BAD3F1DC8C734798BA1C62B3A0AD1E9EA2A38201CD0889BC7A19"))
        var y = try #require(Hex.decode("3603F747959DBF7A4BB226E41928729063ADC7AE43529E61B563BBC606CC5E09"))
        _ = try P256.PublicKey(x963Representation: [0x04] + x + y)
        y[31] ^= 1
        #expect(throws: PublicKeyError.pointNotOnCurve) { _ = try P256.PublicKey(x: x, y: y) }
        let p = try #require(Hex.decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"))
        #expect(throws: PublicKeyError.pointNotOnCurve) { _ = try P256.PublicKey(x: p, y: y) }
        #expect(throws: PublicKeyError.pointNotOnCurve) {
            _ = try P256.PublicKey(x: [UInt8](repeating: 0, count: 32), y: [UInt8](repeating: 0, count: 32))
        }
        #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.PublicKey(x: x.dropFirst(), y: y) }
        #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.PublicKey(x963Representation: [0x02] + x) }
        #expect(throws: PublicKeyError.invalidEncoding) {
            _ = try P256.ECDSASignature(rawRepresentation: [UInt8](repeating: 1, count: 63))
        }
    }

    @Test("DER signatures are parsed strictly")
    func strictDER() throws {
        let r: [UInt8] = [0x01]
        let good: [UInt8] = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]
        let parsed = try P256.ECDSASignature(derRepresentation: good)
        #expect(parsed.r == [UInt8](repeating: 0, count: 31) + r)
        #expect(parsed.s.last == 2)
        let bad: [[UInt8]] = [
            [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02],  // wrong outer length
            [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02],  // negative r
            [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02],  // non-minimal r
            [0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00, 0x00],  // trailing bytes
            [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02],  // not a SEQUENCE
        ]
        for encoding in bad {
            #expect(throws: PublicKeyError.invalidEncoding) { _ = try P256.ECDSASignature(derRepresentation: encoding) }
        }
    }
}
