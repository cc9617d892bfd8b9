import PortcullisCrypto
import Testing

@Suite("Argon2 (RFC 9106)")
struct Argon2Tests {
    /// RFC 9106 §5.1–5.3: password 32 × 0x01, salt 16 × 0x02, secret 8 × 0x03, associated data
    /// 12 × 0x04, m = 32 KiB, t = 3, p = 4, 32-byte tag.
    @Test(
        "RFC 9106 §5 test vectors",
        arguments: [
            (Argon2.Variant.argon2d, "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"),
            (.argon2i, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"),
            (.argon2id, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"),
        ])
    func rfc9106(variant: Argon2.Variant, expected: String) throws {
        let tag = try Argon2.derive(
            password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
            parameters: Argon2.Parameters(memoryKiB: 32, iterations: 3, parallelism: 4),
            variant: variant, secret: [UInt8](repeating: 3, count: 8),
            associatedData: [UInt8](repeating: 4, count: 12))
        #expect(Hex.encode(tag) == expected)
    }

    /// The reference CLI's documented example: `echo -n password | argon2 somesalt -t 2 -m 16 -p 4 -l 24`.
    @Test("PHC string from the reference argon2 CLI")
    func referenceCLI() throws {
        let phc = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
        #expect(try Argon2.verify(password: utf8("password"), hash: phc))
        #expect(try !Argon2.verify(password: utf8("passwore"), hash: phc))
    }

    @Test("hash then verify round trip, and tags longer than 64 bytes (H' chaining)")
    func roundTrip() throws {
        let parameters = Argon2.Parameters(memoryKiB: 64, iterations: 1, parallelism: 2, hashLength: 100)
        let phc = try Argon2.hash(password: utf8("hunter2"), parameters: parameters)
        #expect(phc.hasPrefix("$argon2id$v=19$m=64,t=1,p=2$"))
        #expect(try Argon2.verify(password: utf8("hunter2"), hash: phc))
        #expect(try !Argon2.verify(password: utf8("hunter3"), hash: phc))
        let decoded = try Argon2.decode(phc)
        #expect(decoded.hash.count == 100)
        #expect(Argon2.encode(decoded) == phc)
    }

    @Test("every single-byte change of a PHC string fails or is rejected")
    func tampering() throws {
        let phc = try Argon2.hash(
            password: utf8("pw"), parameters: Argon2.Parameters(memoryKiB: 16, iterations: 1, parallelism: 1))
        let bytes = utf8(phc)
        for index in bytes.indices {
            var mutated = bytes
            mutated[index] = mutated[index] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            let text = String(decoding: mutated, as: UTF8.self)
            let result = try? Argon2.verify(password: utf8("pw"), hash: text)
            #expect(result != true, "mutation at \(index) still verified: \(text)")
        }
    }

    @Test(
        "malformed PHC strings give typed errors",
        arguments: [
            "", "$argon2id$", "$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ",
            "$argon2x$v=19$m=16,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=16$m=16,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$m=16,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$t=1,m=16,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=016,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=-16,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=16,t=0,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=7,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ=$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=16,t=1,p=1$c29t$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ$AAA",
            "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        ])
    func malformed(phc: String) {
        #expect(throws: PasswordHashError.self) { try Argon2.verify(password: utf8("x"), hash: phc) }
    }

    @Test("absurd parameters are refused before any memory is allocated")
    func limits() {
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA"
        #expect(throws: PasswordHashError.parametersOutOfBounds("argon2 memory 4194304 KiB exceeds 262144 KiB")) {
            try Argon2.verify(password: utf8("x"), hash: huge)
        }
        let slow = "$argon2id$v=19$m=16,t=100000,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA"
        #expect(throws: PasswordHashError.self) { try Argon2.verify(password: utf8("x"), hash: slow) }
    }
}
