import PortcullisCrypto
import Testing

@Suite("PasswordHasher facade")
struct PasswordHasherTests {
    static let cheapArgon2 = Argon2.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)

    @Test("hashes with the configured algorithm and verifies both formats")
    func bothFormats() throws {
        let argon = PasswordHasher(algorithm: .argon2id(Self.cheapArgon2))
        let bcrypt = PasswordHasher(algorithm: .bcrypt(cost: 4))
        let a = try argon.hash("pässwörd")
        let b = try bcrypt.hash("pässwörd")
        #expect(a.hasPrefix("$argon2id$"))
        #expect(b.hasPrefix("$2b$04$"))
        for hasher in [argon, bcrypt] {
            #expect(try hasher.verify("pässwörd", against: a))
            #expect(try hasher.verify("pässwörd", against: b))
            #expect(try !hasher.verify("passwörd", against: a))
            #expect(try !hasher.verify("passwörd", against: b))
        }
    }

    @Test("default algorithm is Argon2id with OWASP parameters")
    func defaults() {
        #expect(
            PasswordHasher().algorithm == .argon2id(Argon2.Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)))
    }

    @Test("needsRehash: other algorithm, other parameters, garbage")
    func needsRehash() throws {
        let hasher = PasswordHasher(algorithm: .argon2id(Self.cheapArgon2))
        let current = try hasher.hash("x")
        #expect(!hasher.needsRehash(current))
        #expect(hasher.needsRehash(try Bcrypt.hash(password: utf8("x"), cost: 4)))
        let weaker = PasswordHasher(
            algorithm: .argon2id(Argon2.Parameters(memoryKiB: 32, iterations: 1, parallelism: 1)))
        #expect(hasher.needsRehash(try weaker.hash("x")))
        #expect(hasher.needsRehash("garbage"))
        let bcryptHasher = PasswordHasher(algorithm: .bcrypt(cost: 5))
        #expect(bcryptHasher.needsRehash(try Bcrypt.hash(password: utf8("x"), cost: 4)))
        #expect(!bcryptHasher.needsRehash(try Bcrypt.hash(password: utf8("x"), cost: 5)))
        #expect(bcryptHasher.needsRehash(current))
    }

    @Test(
        "malformed and unsupported hashes are typed errors",
        arguments: [
            "", "plaintext", "$1$abc$def",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "$2b$10$short", "$argon2id$v=19$garbage",
        ])
    func malformed(hash: String) {
        #expect(throws: PasswordHashError.self) { try PasswordHasher().verify("x", against: hash) }
    }

    @Test("bcrypt costs above the verification limit are refused quickly")
    func bcryptLimit() {
        let hash = "$2b$31$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"
        let started = ContinuousClock.now
        #expect(throws: PasswordHashError.parametersOutOfBounds("bcrypt cost 31 exceeds the limit 20")) {
            try PasswordHasher().verify("x", against: hash)
        }
        // Cost 31 would take days; refusing must not even start the work (a debug build still
        // answers well inside 100 ms).
        #expect(ContinuousClock.now - started < .milliseconds(100))
    }
}
