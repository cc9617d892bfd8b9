/// The one entry point the server uses for passwords: hash new ones with the configured algorithm,
/// verify any supported format (Argon2 PHC strings, bcrypt `$2a$`/`$2b$`/`$2y$`), and say when a
/// stored hash should be replaced at the next successful login.
public struct PasswordHasher: Sendable {
    /// The algorithm and parameters for new hashes.
    public enum Algorithm: Sendable, Equatable, CustomStringConvertible {
        case argon2id(Argon2.Parameters)
        case bcrypt(cost: Int)

        public var description: String {
            switch self {
            case .argon2id(let p): "argon2id(\(p))"
            case .bcrypt(let cost): "bcrypt(cost=\(cost))"
            }
        }
    }

    /// The formats `verify` understands.
    public enum Format: Sendable, Equatable {
        case argon2(Argon2.Variant)
        case bcrypt
    }

    public var algorithm: Algorithm
    /// Bounds on Argon2 parameters accepted by `verify`.
    public var argon2Limits: Argon2.Limits
    /// The highest bcrypt cost `verify` will compute (cost 20 is about a minute of CPU).
    public var maximumBcryptCost: Int

    /// - Parameter algorithm: for new hashes; Argon2id with OWASP's parameters unless told otherwise.
    public init(
        algorithm: Algorithm = .argon2id(.owasp), argon2Limits: Argon2.Limits = .default, maximumBcryptCost: Int = 20
    ) {
        self.algorithm = algorithm
        self.argon2Limits = argon2Limits
        self.maximumBcryptCost = maximumBcryptCost
    }

    /// Hashes a password with the configured algorithm and a fresh salt.
    public func hash<Password: Collection>(_ password: Password) throws(PasswordHashError) -> String
    where Password.Element == UInt8 {
        switch algorithm {
        case .argon2id(let parameters):
            try Argon2.hash(password: password, parameters: parameters, variant: .argon2id)
        case .bcrypt(let cost):
            try Bcrypt.hash(password: password, cost: cost)
        }
    }

    /// Hashes a password given as a string (its UTF-8 bytes).
    public func hash(_ password: String) throws(PasswordHashError) -> String {
        try hash(Array(password.utf8))
    }

    /// Checks a password against a stored hash of any supported format, in constant time.
    /// - Throws: ``PasswordHashError`` when the stored hash is malformed, unsupported or out of bounds.
    public func verify<Password: Collection>(
        _ password: Password, against encoded: String
    ) throws(PasswordHashError) -> Bool
    where Password.Element == UInt8 {
        switch try Self.format(of: encoded) {
        case .argon2:
            try Argon2.verify(password: password, hash: encoded, limits: argon2Limits)
        case .bcrypt:
            try Bcrypt.verify(password: password, hash: encoded, maximumCost: maximumBcryptCost)
        }
    }

    /// Checks a password given as a string.
    public func verify(_ password: String, against encoded: String) throws(PasswordHashError) -> Bool {
        try verify(Array(password.utf8), against: encoded)
    }

    /// True when `encoded` is not what `hash` would produce today (another algorithm, other
    /// parameters, or unreadable), so it should be replaced after the next successful verification.
    public func needsRehash(_ encoded: String) -> Bool {
        switch algorithm {
        case .argon2id(let wanted):
            guard let current = try? Argon2.decode(encoded), current.variant == .argon2id else { return true }
            let have = current.parameters
            return have.memoryKiB != wanted.memoryKiB || have.iterations != wanted.iterations
                || have.parallelism != wanted.parallelism || have.hashLength != wanted.hashLength
                || have.saltLength < wanted.saltLength
        case .bcrypt(let cost):
            guard let current = try? Bcrypt.parse(encoded) else { return true }
            return current.cost != cost
        }
    }

    /// Recognises the format of a stored hash by its prefix.
    public static func format(of encoded: String) throws(PasswordHashError) -> Format {
        if encoded.hasPrefix("$2") {
            return .bcrypt
        }
        for variant in Argon2.Variant.allCases where encoded.hasPrefix("$\(variant.rawValue)$") {
            return .argon2(variant)
        }
        if encoded.hasPrefix("$") {
            let name = encoded.dropFirst().prefix { $0 != "$" }.prefix(16)
            throw .unsupportedAlgorithm(String(name))
        }
        throw .malformedHash("not a PHC or bcrypt string")
    }
}
