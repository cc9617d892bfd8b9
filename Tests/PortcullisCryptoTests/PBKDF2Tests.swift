import PortcullisCrypto
import Testing

@Suite("PBKDF2 (RFC 8018)")
struct PBKDF2Tests {
    @Test(
        "RFC 7914 §11 PBKDF2-HMAC-SHA256 vectors",
        arguments: [
            (
                "passwd", "salt", 1, 64,
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
            ),
            (
                "Password", "NaCl", 80000, 64,
                "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
            ),
        ])
    func rfc7914(password: String, salt: String, rounds: Int, length: Int, expected: String) throws {
        let key = try KDF.PBKDF2.deriveKey(
            from: utf8(password), salt: utf8(salt), using: .sha256,
            outputByteCount: length, rounds: rounds)
        #expect(Hex.encode(key) == expected)
    }

    /// RFC 6070's inputs with SHA-256 (the values published for PBKDF2-HMAC-SHA256, e.g. on
    /// Stack Overflow's well-known table, and reproduced by OpenSSL).
    @Test(
        "RFC 6070-style vectors with SHA-256",
        arguments: [
            ("password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
            ("password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
            ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
            (
                "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40,
                "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"
            ),
        ])
    func rfc6070(password: String, salt: String, rounds: Int, length: Int, expected: String) throws {
        let key = try KDF.PBKDF2.deriveKey(
            from: utf8(password), salt: utf8(salt), using: .sha256,
            outputByteCount: length, rounds: rounds)
        #expect(Hex.encode(key) == expected)
    }

    @Test(
        "PBKDF2-HMAC-SHA512",
        arguments: [
            (
                1,
                "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
            ),
            (
                2,
                "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"
            ),
        ])
    func sha512(rounds: Int, expected: String) throws {
        let key = try KDF.PBKDF2.deriveKey(
            from: utf8("password"), salt: utf8("salt"), using: .sha512,
            outputByteCount: 64, rounds: rounds)
        #expect(Hex.encode(key) == expected)
    }

    @Test("zero rounds or zero output is an error, not a crash")
    func invalidParameters() {
        #expect(throws: KDFError.self) {
            try KDF.PBKDF2.deriveKey(from: utf8("p"), salt: utf8("s"), using: .sha256, outputByteCount: 32, rounds: 0)
        }
        #expect(throws: KDFError.self) {
            try KDF.PBKDF2.deriveKey(from: utf8("p"), salt: utf8("s"), using: .sha256, outputByteCount: 0, rounds: 1)
        }
    }
}
