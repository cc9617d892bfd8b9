/// bcrypt (Provos and Mazières, 1999), compatible with OpenBSD, bcryptjs and Python `bcrypt`.
///
/// Versions `$2a$`, `$2b$` and `$2y$` are treated alike, as bcryptjs treats them: the password's
/// UTF-8 bytes followed by a NUL, with only the first 72 bytes of that key stream used. Longer
/// passwords are therefore truncated to 72 bytes exactly as LibreChat's bcryptjs truncates them.
public enum Bcrypt {
    /// The lowest and highest cost (log2 of the key-expansion rounds) the format allows.
    public static let costRange = 4...31

    /// The version prefixes we read; new hashes use `2b`.
    public enum Version: String, Sendable, CaseIterable {
        case a = "2a"
        case b = "2b"
        case y = "2y"
    }

    /// The parts of a `$2b$10$<22-char salt><31-char digest>` string.
    public struct Components: Sendable, Equatable {
        public var version: Version
        public var cost: Int
        public var salt: [UInt8]
        /// The 31 characters of the encoded digest, as stored.
        public var encodedDigest: Substring
    }

    /// Hashes `password` with a fresh random salt.
    public static func hash<Password: Collection>(
        password: Password, cost: Int, version: Version = .b
    ) throws(PasswordHashError) -> String where Password.Element == UInt8 {
        try hash(password: password, cost: cost, salt: SecureRandom.bytes(count: 16), version: version)
    }

    /// Hashes `password` with a given 16-byte salt (for tests and vectors).
    public static func hash<Password: Collection>(
        password: Password, cost: Int, salt: [UInt8], version: Version = .b
    ) throws(PasswordHashError) -> String where Password.Element == UInt8 {
        guard costRange.contains(cost) else {
            throw .parametersOutOfBounds("bcrypt cost must be 4...31, got \(cost)")
        }
        guard salt.count == 16 else { throw .parametersOutOfBounds("bcrypt salt must be 16 bytes") }
        let digest = rawDigest(password: password, salt: salt, cost: cost)
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$\(version.rawValue)$\(costText)$"
            + Base64Alphabet.bcrypt.encode(salt) + Base64Alphabet.bcrypt.encode(digest.prefix(23))
    }

    /// Checks `password` against an encoded hash in constant time.
    /// - Parameter maximumCost: refuse (rather than spend hours on) hashes above this cost.
    public static func verify<Password: Collection>(
        password: Password, hash: String, maximumCost: Int = 31
    ) throws(PasswordHashError) -> Bool where Password.Element == UInt8 {
        let parts = try parse(hash)
        guard parts.cost <= maximumCost else {
            throw .parametersOutOfBounds("bcrypt cost \(parts.cost) exceeds the limit \(maximumCost)")
        }
        let digest = rawDigest(password: password, salt: parts.salt, cost: parts.cost)
        let encoded = Base64Alphabet.bcrypt.encodeBytes(digest.prefix(23))
        return ConstantTime.equals(encoded, parts.encodedDigest.utf8)
    }

    /// Splits and validates an encoded hash.
    public static func parse(_ hash: String) throws(PasswordHashError) -> Components {
        let utf8 = Array(hash.utf8)
        guard utf8.count == 60 else { throw .malformedHash("bcrypt hashes are 60 characters, got \(utf8.count)") }
        guard utf8[0] == UInt8(ascii: "$"), utf8[3] == UInt8(ascii: "$"), utf8[6] == UInt8(ascii: "$") else {
            throw .malformedHash("bcrypt hash must look like $2b$NN$...")
        }
        let versionText = String(decoding: utf8[1...2], as: UTF8.self)
        guard let version = Version(rawValue: versionText) else {
            throw .unsupportedAlgorithm("bcrypt version $\(versionText)$")
        }
        guard let tens = digit(utf8[4]), let ones = digit(utf8[5]) else {
            throw .malformedHash("bcrypt cost is not two digits")
        }
        let cost = tens * 10 + ones
        guard costRange.contains(cost) else {
            throw .parametersOutOfBounds("bcrypt cost must be 4...31, got \(cost)")
        }
        // OpenBSD ignores the unused low bits of the salt's last character, so we do too; the
        // digest is compared as text, so a non-canonical digest simply does not match.
        guard let salt = decodeLenient(utf8[7..<29]), salt.count == 16 else {
            throw .malformedHash("bcrypt salt is not 22 characters of bcrypt base64")
        }
        guard utf8[29...].allSatisfy({ Base64Alphabet.bcrypt.decodeTable[Int($0)] != 0xFF }) else {
            throw .malformedHash("bcrypt digest is not bcrypt base64")
        }
        let digestStart = hash.utf8.index(hash.utf8.startIndex, offsetBy: 29)
        return Components(version: version, cost: cost, salt: salt, encodedDigest: hash[digestStart...])
    }

    private static func digit(_ c: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) ? Int(c - UInt8(ascii: "0")) : nil
    }

    private static func decodeLenient(_ chars: ArraySlice<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        var accumulator: UInt32 = 0
        var bits = 0
        for c in chars {
            let value = Base64Alphabet.bcrypt.decodeTable[Int(c)]
            guard value != 0xFF else { return nil }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    /// The 24-byte output of EksBlowfish encrypting "OrpheanBeholderScryDoubt" 64 times.
    static func rawDigest<Password: Collection>(password: Password, salt: [UInt8], cost: Int) -> [UInt8]
    where Password.Element == UInt8 {
        // The key stream: the password, a NUL, repeated; only its first 72 bytes (18 words) are used.
        var key = Array(password.prefix(72))
        key.append(0)
        var keyWords = [UInt32](repeating: 0, count: 18)
        var saltWords = [UInt32](repeating: 0, count: 4)
        var position = 0
        for i in 0..<18 {
            var word: UInt32 = 0
            for _ in 0..<4 {
                word = word << 8 | UInt32(key[position])
                position = (position + 1) % key.count
            }
            keyWords[i] = word
        }
        for i in 0..<4 {
            saltWords[i] =
                UInt32(salt[4 * i]) << 24 | UInt32(salt[4 * i + 1]) << 16
                | UInt32(salt[4 * i + 2]) << 8 | UInt32(salt[4 * i + 3])
        }
        for i in key.indices { key[i] = 0 }

        var cipher: [UInt32] = [
            0x4f72_7068, 0x6561_6e42, 0x6568_6f6c, 0x6465_7253, 0x6372_7944, 0x6f75_6274,
        ]  // "OrpheanBeholderScryDoubt"
        blowfishInitialState.withUnsafeBufferPointer { initial in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 1042) { stateBuffer in
                let state = stateBuffer.baseAddress!
                state.initialize(from: initial.baseAddress!, count: 1042)
                keyWords.withUnsafeBufferPointer { keyPointer in
                    saltWords.withUnsafeBufferPointer { saltPointer in
                        let keyWords = keyPointer.baseAddress!
                        let saltWords = saltPointer.baseAddress!
                        EksBlowfish.expandState(state, key: keyWords, salt: saltWords)
                        for _ in 0..<(1 << cost) {
                            EksBlowfish.expandKeyOnly(state, key: keyWords, keyWordCount: 18)
                            EksBlowfish.expandKeyOnly(state, key: saltWords, keyWordCount: 4)
                        }
                    }
                }
                for _ in 0..<64 {
                    for block in 0..<3 {
                        (cipher[2 * block], cipher[2 * block + 1]) =
                            EksBlowfish.encipher(state, cipher[2 * block], cipher[2 * block + 1])
                    }
                }
                state.update(repeating: 0, count: 1042)
            }
        }
        for i in keyWords.indices { keyWords[i] = 0 }
        var out = [UInt8]()
        out.reserveCapacity(24)
        for word in cipher {
            out.append(UInt8(word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }
}

/// Blowfish with bcrypt's expensive key schedule. The state is one block of 1042 words: the P-array
/// (18) followed by the four S-boxes (4 x 256).
enum EksBlowfish {
    @inline(__always)
    static func f(_ s: UnsafeMutablePointer<UInt32>, _ x: UInt32) -> UInt32 {
        let a = s[18 + Int(x &>> 24)]
        let b = s[18 + 256 + Int((x &>> 16) & 0xFF)]
        let c = s[18 + 512 + Int((x &>> 8) & 0xFF)]
        let d = s[18 + 768 + Int(x & 0xFF)]
        return ((a &+ b) ^ c) &+ d
    }

    @inline(__always)
    static func encipher(_ s: UnsafeMutablePointer<UInt32>, _ left: UInt32, _ right: UInt32) -> (UInt32, UInt32) {
        var l = left ^ s[0]
        var r = right
        r ^= f(s, l) ^ s[1]
        l ^= f(s, r) ^ s[2]
        r ^= f(s, l) ^ s[3]
        l ^= f(s, r) ^ s[4]
        r ^= f(s, l) ^ s[5]
        l ^= f(s, r) ^ s[6]
        r ^= f(s, l) ^ s[7]
        l ^= f(s, r) ^ s[8]
        r ^= f(s, l) ^ s[9]
        l ^= f(s, r) ^ s[10]
        r ^= f(s, l) ^ s[11]
        l ^= f(s, r) ^ s[12]
        r ^= f(s, l) ^ s[13]
        l ^= f(s, r) ^ s[14]
        r ^= f(s, l) ^ s[15]
        l ^= f(s, r) ^ s[16]
        return (r ^ s[17], l)
    }

    /// ExpandKey(state, salt, key): the one salted expansion at the start.
    static func expandState(
        _ s: UnsafeMutablePointer<UInt32>, key: UnsafePointer<UInt32>, salt: UnsafePointer<UInt32>
    ) {
        for i in 0..<18 { s[i] ^= key[i] }
        var l: UInt32 = 0
        var r: UInt32 = 0
        var saltIndex = 0
        var i = 0
        while i < 1042 {
            l ^= salt[saltIndex]
            r ^= salt[saltIndex + 1]
            saltIndex ^= 2
            (l, r) = encipher(s, l, r)
            s[i] = l
            s[i + 1] = r
            i += 2
        }
    }

    /// ExpandKey(state, 0, key): XOR the key stream into P, then re-encrypt the whole state.
    @inline(__always)
    static func expandKeyOnly(_ s: UnsafeMutablePointer<UInt32>, key: UnsafePointer<UInt32>, keyWordCount: Int) {
        if keyWordCount == 18 {
            for i in 0..<18 { s[i] ^= key[i] }
        } else {
            for i in 0..<18 { s[i] ^= key[i & 3] }
        }
        var l: UInt32 = 0
        var r: UInt32 = 0
        var i = 0
        while i < 1042 {
            (l, r) = encipher(s, l, r)
            s[i] = l
            s[i + 1] = r
            i += 2
        }
    }
}
