import Foundation
import Testing

@testable import PortcullisCrypto

@Suite("SHA-1, HMAC-SHA1, Base32 and TOTP: published vectors, pyotp and hashlib")
struct TOTPTests {
    @Test("SHA-1: FIPS 180 examples, one million 'a', block boundaries against hashlib")
    func sha1() throws {
        #expect(SHA1.hash(data: Array("abc".utf8)).hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hash(data: [UInt8]()).hexString == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(
            SHA1.hash(data: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(
            SHA1.hash(data: [UInt8](repeating: 0x61, count: 1_000_000)).hexString
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        let inputs = [55, 56, 63, 64, 65, 127, 128, 1000].map { RandomInputs.bytes($0) }
        let answers = try Oracle.run(inputs.map { ["op": "sha1", "data": Hex.encode($0)] })
        for (input, answer) in zip(inputs, answers) {
            #expect(SHA1.hash(data: input).hexString == answer as? String)
            var split = SHA1()
            split.update(data: input.prefix(input.count / 3))
            split.update(data: input.dropFirst(input.count / 3))
            #expect(split.finalize().hexString == answer as? String)
        }
    }

    @Test("HMAC-SHA1: RFC 2202")
    func hmacSHA1() {
        let mac = HMAC<SHA1>.authenticationCode(
            for: Array("Hi There".utf8), using: SymmetricKey(data: [UInt8](repeating: 0x0b, count: 20)))
        #expect(mac.hexString == "b617318655057264e28bc0b6fb378c8ef146be00")
        let long = HMAC<SHA1>.authenticationCode(
            for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            using: SymmetricKey(data: [UInt8](repeating: 0xaa, count: 80)))
        #expect(long.hexString == "aa4ae5e15272d00e95705637ce8a3b55ed402112")
    }

    @Test("Base32: RFC 4648 vectors, either case, padding ignored, garbage refused")
    func base32() {
        for (plain, encoded) in [
            ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
        ] {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased() + "===") == Array(plain.utf8))
        }
        #expect(Base32.decode("MZXW1") == nil && Base32.decode("MZ!W") == nil)
    }

    @Test("TOTP: RFC 6238 Appendix B (SHA-1), last six digits")
    func rfc6238() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        for (time, code) in [
            (59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"),
            (2_000_000_000, "279037"), (20_000_000_000, "353130"),
        ] as [(Int64, String)] {
            #expect(totp.code(step: TOTP.step(at: time)) == code)
        }
    }

    @Test("TOTP agrees with pyotp; a code is accepted once, within one step either side")
    func pyotp() throws {
        var requests: [[String: Any]] = []
        var cases: [([UInt8], Int64)] = []
        for _ in 0..<20 {
            let secret = RandomInputs.bytes(10)
            let time = Int64.random(in: 0...4_000_000_000)
            cases.append((secret, time))
            requests.append(["op": "totp", "secret": Base32.encode(secret), "time": time])
        }
        let answers = try Oracle.run(requests)
        for ((secret, time), answer) in zip(cases, answers) {
            let totp = TOTP(secret: secret)
            let code = try #require(answer as? String)
            #expect(totp.code(step: TOTP.step(at: time)) == code)
            let step = TOTP.step(at: time)
            #expect(totp.verify(code, at: time) == step)
            #expect(totp.verify(code, at: time + 30) == step)  // the previous step still counts
            #expect(totp.verify(code, at: time - 30) == step)  // so does the next one (clock skew)
            #expect(totp.verify(code, at: time + 60) == nil)
            #expect(totp.verify(code, at: time, after: step) == nil)  // replay of an accepted step
            #expect(totp.verify(code, at: time, after: step - 1) == step)
        }
        let totp = TOTP(secret: RandomInputs.bytes(10))
        for bad in ["", "12345", "1234567", "12345a", " 123456", "１２３４５６"] {
            #expect(totp.verify(bad, at: 1_000_000) == nil)
        }
    }
}

@Suite("ChaCha20-Poly1305: RFC 8439 vectors and Python cryptography both ways")
struct ChaChaPolyTests {
    @Test("Poly1305 (RFC 8439 §2.5.2) and the AEAD (§2.8.2)")
    func vectors() throws {
        let polyKey = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        #expect(
            Poly1305.authenticate(Array("Cryptographic Forum Research Group".utf8), key: polyKey)
                == hex("a8061dc1305136c6c22b8baf0c0127a9"))
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = hex("070000004041424344454647")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let sealed = try ChaChaPoly.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        let expected = hex(
            """
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b\
            1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc\
            3ff4def08e4b7a9de576d26586cec64b6116
            """)
        #expect(Array(sealed.dropFirst(12).dropLast(16)) == expected)
        #expect(Array(sealed.suffix(16)) == hex("1ae10b594f09e26a7e902ecbd0600691"))
        #expect(try ChaChaPoly.open(sealed, key: key, authenticating: aad) == plaintext)
    }

    @Test("sealed here opens in cryptography, sealed there opens here; any change is refused")
    func differential() throws {
        var requests: [[String: Any]] = []
        var cases: [(key: [UInt8], plaintext: [UInt8], aad: [UInt8], sealed: [UInt8])] = []
        for size in [0, 1, 15, 16, 17, 63, 64, 65, 300] {
            let key = RandomInputs.bytes(32), plaintext = RandomInputs.bytes(size), aad = RandomInputs.bytes(size % 20)
            let sealed = try ChaChaPoly.seal(plaintext, key: key, authenticating: aad)
            cases.append((key, plaintext, aad, sealed))
            requests.append([
                "op": "chacha_open", "key": Hex.encode(key), "nonce": Hex.encode(sealed.prefix(12)),
                "sealed": Hex.encode(sealed.dropFirst(12)), "aad": Hex.encode(aad),
            ])
            requests.append([
                "op": "chacha_seal", "key": Hex.encode(key), "nonce": Hex.encode(sealed.prefix(12)),
                "plaintext": Hex.encode(plaintext), "aad": Hex.encode(aad),
            ])
        }
        let answers = try Oracle.run(requests)
        for (index, item) in cases.enumerated() {
            #expect(answers[2 * index] as? String == Hex.encode(item.plaintext))
            let answer = try #require(answers[2 * index + 1] as? String)
            let theirs = try #require(Hex.decode(answer))
            #expect(Array(item.sealed.dropFirst(12)) == theirs)
            #expect(
                try ChaChaPoly.open(Array(item.sealed.prefix(12)) + theirs, key: item.key, authenticating: item.aad)
                    == item.plaintext)
            for position in [0, 12, item.sealed.count - 1] {
                var tampered = item.sealed
                tampered[position] ^= 0x01
                #expect(throws: ChaChaPolyError.authenticationFailure) {
                    try ChaChaPoly.open(tampered, key: item.key, authenticating: item.aad)
                }
            }
            #expect(throws: ChaChaPolyError.authenticationFailure) {
                try ChaChaPoly.open(item.sealed, key: item.key, authenticating: item.aad + [1])
            }
        }
        #expect(throws: ChaChaPolyError.authenticationFailure) {
            try ChaChaPoly.open([1, 2, 3], key: RandomInputs.bytes(32))
        }
        #expect(throws: ChaChaPolyError.invalidParameters) { try ChaChaPoly.seal([], key: [1]) }
    }
}
