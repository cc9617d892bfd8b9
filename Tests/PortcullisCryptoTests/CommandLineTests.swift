import Foundation
import PortcullisCrypto
import Testing

/// `portcullis hash-password` and `verify-password`, run as the real binary with the password on stdin.
@Suite("CLI: hash-password and verify-password")
struct CommandLineTests {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static var binary: String {
        if let configured = ProcessInfo.processInfo.environment["PORTCULLIS_BIN"], !configured.isEmpty {
            return configured
        }
        return Oracle.repositoryRoot.appendingPathComponent(".build/debug/portcullis").path
    }

    static func run(_ arguments: [String], stdin: [UInt8]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Oracle.Unavailable(
                description: "no portcullis binary at \(binary); run `swift build` first (scripts/test does)")
        }
        let result = try Subprocess.run(binary, arguments, input: Data(stdin))
        return Result(status: result.status, output: result.outputText, errors: result.errorText)
    }

    @Test("argon2id by default; the trailing newline is not part of the password")
    func argon2Default() throws {
        let hashed = try Self.run(
            ["hash-password", "--memory", "64", "--iterations", "1"], stdin: utf8("s3cret pass\n"))
        #expect(hashed.status == 0)
        let hash = hashed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        #expect(try Argon2.verify(password: utf8("s3cret pass"), hash: hash))
        #expect(try Self.run(["verify-password", hash], stdin: utf8("s3cret pass\n")).status == 0)
        #expect(try Self.run(["verify-password", hash], stdin: utf8("s3cret pass")).status == 0)
        #expect(try Self.run(["verify-password", hash], stdin: utf8("s3cret pass \n")).status == 1)
    }

    @Test("the default parameters are OWASP's")
    func owaspDefault() throws {
        let hashed = try Self.run(["hash-password"], stdin: utf8("pw\n"))
        #expect(hashed.output.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
    }

    @Test("bcrypt with a cost")
    func bcrypt() throws {
        let hashed = try Self.run(["hash-password", "--algorithm", "bcrypt", "--cost", "5"], stdin: utf8("pässwörd\n"))
        #expect(hashed.status == 0)
        let hash = hashed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("$2b$05$"))
        #expect(try Self.run(["verify-password", hash], stdin: utf8("pässwörd\n")).status == 0)
        #expect(try Self.run(["verify-password", hash], stdin: utf8("passwörd\n")).status == 1)
    }

    @Test("a malformed hash exits 2 with a message")
    func malformed() throws {
        let result = try Self.run(["verify-password", "$2b$10$nope"], stdin: utf8("pw\n"))
        #expect(result.status == 2)
        #expect(result.errors.contains("malformed password hash"))
        let unknown = try Self.run(["verify-password", "$scrypt$x"], stdin: utf8("pw\n"))
        #expect(unknown.status == 2)
    }

    @Test("bad options are usage errors, not crashes")
    func badOptions() throws {
        #expect(try Self.run(["hash-password", "--algorithm", "md5"], stdin: utf8("pw\n")).status != 0)
        #expect(
            try Self.run(["hash-password", "--algorithm", "bcrypt", "--cost", "3"], stdin: utf8("pw\n")).status != 0)
        #expect(try Self.run(["hash-password", "--memory", "99999999"], stdin: utf8("pw\n")).status != 0)
        let tooLong = [UInt8](repeating: 0x61, count: 5000) + [0x0a]
        #expect(try Self.run(["hash-password"], stdin: tooLong).status != 0)
    }
}
