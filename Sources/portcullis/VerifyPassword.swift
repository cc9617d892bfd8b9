import ArgumentParser
import PortcullisCrypto

/// `portcullis verify-password HASH`: exit 0 on match, 1 on mismatch, 2 on a malformed hash.
struct VerifyPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-password",
        abstract: "Check a password read from standard input against a hash.",
        discussion: "Exits 0 when the password matches, 1 when it does not, 2 when the hash cannot be used."
    )

    @Argument(help: "An Argon2 PHC string or a bcrypt $2a$/$2b$/$2y$ hash.")
    var hash: String

    func run() throws {
        guard let password = StandardInput.readLine() else {
            throw ValidationError("the password line is longer than \(StandardInput.maximumLineLength) bytes")
        }
        do {
            if try PasswordHasher().verify(password, against: hash) {
                print("match")
            } else {
                print("mismatch")
                throw ExitCode(1)
            }
        } catch let error as PasswordHashError {
            StandardError.write("portcullis: \(error)\n")
            throw ExitCode(2)
        }
    }
}
