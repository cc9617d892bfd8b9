import ArgumentParser
import PortcullisCrypto

/// `portcullis hash-password`: reads a password from stdin and prints its hash.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Hash a password read from standard input (one line).",
        discussion: "Prints an Argon2id PHC string (default m=19456 KiB, t=2, p=1) or a bcrypt $2b$ hash."
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case argon2id
        case bcrypt
    }

    @Option(help: "The algorithm: argon2id or bcrypt.")
    var algorithm: Algorithm = .argon2id

    @Option(help: "bcrypt cost (4-31).")
    var cost: Int = 10

    @Option(help: "Argon2id memory in KiB.")
    var memory: Int = Argon2.Parameters.owasp.memoryKiB

    @Option(help: "Argon2id iterations (passes).")
    var iterations: Int = Argon2.Parameters.owasp.iterations

    @Option(help: "Argon2id parallelism (lanes).")
    var parallelism: Int = Argon2.Parameters.owasp.parallelism

    func run() throws {
        guard let password = StandardInput.readLine() else {
            throw ValidationError("the password line is longer than \(StandardInput.maximumLineLength) bytes")
        }
        let hasher: PasswordHasher
        switch algorithm {
        case .bcrypt:
            hasher = PasswordHasher(algorithm: .bcrypt(cost: cost))
        case .argon2id:
            let limits = Argon2.Limits.default
            guard memory <= limits.maximumMemoryKiB, iterations <= limits.maximumIterations,
                parallelism <= limits.maximumParallelism
            else {
                throw ValidationError("argon2id parameters exceed what verification accepts (\(limits))")
            }
            hasher = PasswordHasher(
                algorithm: .argon2id(
                    Argon2.Parameters(memoryKiB: memory, iterations: iterations, parallelism: parallelism)))
        }
        do {
            print(try hasher.hash(password))
        } catch {
            throw ValidationError(error.description)
        }
    }
}
