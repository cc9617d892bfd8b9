/// Argon2 (RFC 9106), version 0x13, in its three variants; Argon2id is the one to use for passwords.
///
/// ```swift
/// let phc = try Argon2.hash(password: Array("hunter2".utf8))          // OWASP defaults
/// let ok = try Argon2.verify(password: Array("hunter2".utf8), hash: phc)
/// ```
public enum Argon2 {
    /// The three variants; the raw value is the name used in PHC strings.
    public enum Variant: String, Sendable, CaseIterable {
        case argon2d
        case argon2i
        case argon2id

        var typeCode: UInt64 {
            switch self {
            case .argon2d: 0
            case .argon2i: 1
            case .argon2id: 2
            }
        }
    }

    /// Cost parameters and output sizes.
    public struct Parameters: Sendable, Equatable, CustomStringConvertible {
        /// Memory in KiB (1 KiB blocks); at least 8 × `parallelism`.
        public var memoryKiB: Int
        /// Passes over memory.
        public var iterations: Int
        /// Lanes.
        public var parallelism: Int
        /// Tag length in bytes.
        public var hashLength: Int
        /// Salt length in bytes for new hashes.
        public var saltLength: Int

        public init(memoryKiB: Int, iterations: Int, parallelism: Int, hashLength: Int = 32, saltLength: Int = 16) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.hashLength = hashLength
            self.saltLength = saltLength
        }

        /// OWASP's recommendation for Argon2id: m = 19 MiB, t = 2, p = 1.
        public static let owasp = Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)

        public var description: String { "m=\(memoryKiB),t=\(iterations),p=\(parallelism)" }
    }

    /// Bounds on what `verify` will compute, so a hostile or absurd hash string cannot make us
    /// allocate gigabytes or spin for minutes.
    public struct Limits: Sendable, Equatable {
        public var maximumMemoryKiB: Int
        public var maximumIterations: Int
        public var maximumParallelism: Int
        public var maximumHashLength: Int
        public var maximumSaltLength: Int

        public init(
            maximumMemoryKiB: Int = 256 * 1024, maximumIterations: Int = 64, maximumParallelism: Int = 64,
            maximumHashLength: Int = 128, maximumSaltLength: Int = 128
        ) {
            self.maximumMemoryKiB = maximumMemoryKiB
            self.maximumIterations = maximumIterations
            self.maximumParallelism = maximumParallelism
            self.maximumHashLength = maximumHashLength
            self.maximumSaltLength = maximumSaltLength
        }

        public static let `default` = Limits()
    }

    /// A decoded PHC string.
    public struct Encoded: Sendable, Equatable {
        public var variant: Variant
        public var parameters: Parameters
        public var salt: [UInt8]
        public var hash: [UInt8]
    }

    /// Hashes `password` with a random salt and returns the PHC string
    /// `$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>`.
    public static func hash<Password: Collection>(
        password: Password, parameters: Parameters = .owasp, variant: Variant = .argon2id
    ) throws(PasswordHashError) -> String where Password.Element == UInt8 {
        let salt = SecureRandom.bytes(count: parameters.saltLength)
        let tag = try derive(password: password, salt: salt, parameters: parameters, variant: variant)
        return encode(Encoded(variant: variant, parameters: parameters, salt: salt, hash: tag))
    }

    /// Verifies `password` against a PHC string in constant time.
    public static func verify<Password: Collection>(
        password: Password, hash: String, limits: Limits = .default
    ) throws(PasswordHashError) -> Bool where Password.Element == UInt8 {
        let encoded = try decode(hash)
        try check(encoded, against: limits)
        let tag = try derive(
            password: password, salt: encoded.salt, parameters: encoded.parameters,
            variant: encoded.variant)
        return ConstantTime.equals(tag, encoded.hash)
    }

    /// Refuses parameters beyond `limits`.
    static func check(_ encoded: Encoded, against limits: Limits) throws(PasswordHashError) {
        let p = encoded.parameters
        if p.memoryKiB > limits.maximumMemoryKiB {
            throw .parametersOutOfBounds("argon2 memory \(p.memoryKiB) KiB exceeds \(limits.maximumMemoryKiB) KiB")
        }
        if p.iterations > limits.maximumIterations {
            throw .parametersOutOfBounds("argon2 iterations \(p.iterations) exceed \(limits.maximumIterations)")
        }
        if p.parallelism > limits.maximumParallelism {
            throw .parametersOutOfBounds("argon2 parallelism \(p.parallelism) exceeds \(limits.maximumParallelism)")
        }
        if encoded.hash.count > limits.maximumHashLength || encoded.salt.count > limits.maximumSaltLength {
            throw .parametersOutOfBounds("argon2 salt or hash too long")
        }
    }

    /// The raw Argon2 function (RFC 9106 §3.2).
    public static func derive<Password: Collection>(
        password: Password, salt: [UInt8], parameters: Parameters, variant: Variant = .argon2id,
        secret: [UInt8] = [], associatedData: [UInt8] = []
    ) throws(PasswordHashError) -> [UInt8] where Password.Element == UInt8 {
        let p = parameters.parallelism
        let t = parameters.iterations
        let m = parameters.memoryKiB
        let tagLength = parameters.hashLength
        guard (1...0xFF_FFFF).contains(p) else { throw .parametersOutOfBounds("argon2 parallelism must be 1...2^24-1") }
        guard t >= 1, t <= UInt32.max else { throw .parametersOutOfBounds("argon2 iterations must be at least 1") }
        guard m >= 8 * p, m <= UInt32.max else {
            throw .parametersOutOfBounds("argon2 memory must be at least 8 × parallelism KiB")
        }
        guard tagLength >= 4, tagLength <= UInt32.max else {
            throw .parametersOutOfBounds("argon2 hash length must be at least 4")
        }
        guard salt.count >= 8 else { throw .parametersOutOfBounds("argon2 salt must be at least 8 bytes") }
        let passwordBytes = Array(password)

        // H0 (RFC 9106 §3.2 step 1).
        var h0Hasher = BLAKE2b(digestByteCount: 64)
        for value in [p, tagLength, m, t, 0x13, Int(variant.typeCode)] {
            h0Hasher.update(data: le32(value))
        }
        for field in [passwordBytes, salt, secret, associatedData] {
            h0Hasher.update(data: le32(field.count))
            h0Hasher.update(data: field)
        }
        let h0 = h0Hasher.finalize()

        let segmentLength = m / (4 * p)
        let laneLength = segmentLength * 4
        let blockCount = laneLength * p
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: blockCount * 128)
        defer {
            memory.update(repeating: 0, count: blockCount * 128)
            memory.deallocate()
        }

        for lane in 0..<p {
            for column in 0..<2 {
                let block = variableLengthHash(h0 + le32(column) + le32(lane), length: 1024)
                let target = memory + (lane * laneLength + column) * 128
                block.withUnsafeBytes { raw in
                    for i in 0..<128 {
                        target[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                    }
                }
            }
        }

        let instance = Instance(
            memory: memory, lanes: p, laneLength: laneLength, segmentLength: segmentLength,
            passes: t, blockCount: blockCount, variant: variant)
        for pass in 0..<t {
            for slice in 0..<4 {
                for lane in 0..<p {
                    instance.fillSegment(pass: pass, lane: lane, slice: slice)
                }
            }
        }

        var final = [UInt8](repeating: 0, count: 1024)
        final.withUnsafeMutableBytes { raw in
            for i in 0..<128 {
                var word: UInt64 = 0
                for lane in 0..<p {
                    word ^= memory[(lane * laneLength + laneLength - 1) * 128 + i]
                }
                raw.storeBytes(of: word.littleEndian, toByteOffset: i * 8, as: UInt64.self)
            }
        }
        return variableLengthHash(final, length: tagLength)
    }

    /// H' (RFC 9106 §3.3): BLAKE2b stretched to any length.
    static func variableLengthHash(_ input: [UInt8], length: Int) -> [UInt8] {
        if length <= 64 {
            var hasher = BLAKE2b(digestByteCount: length)
            hasher.update(data: le32(length))
            hasher.update(data: input)
            return hasher.finalize()
        }
        var out = [UInt8]()
        out.reserveCapacity(length)
        var hasher = BLAKE2b(digestByteCount: 64)
        hasher.update(data: le32(length))
        hasher.update(data: input)
        var v = hasher.finalize()
        let r = (length + 31) / 32 - 2
        out.append(contentsOf: v.prefix(32))
        for _ in 1..<r {
            v = BLAKE2b.hash(data: v, digestByteCount: 64)
            out.append(contentsOf: v.prefix(32))
        }
        out.append(contentsOf: BLAKE2b.hash(data: v, digestByteCount: length - 32 * r))
        return out
    }

    static func le32(_ value: Int) -> [UInt8] {
        let v = UInt32(truncatingIfNeeded: value)
        return [
            UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8),
            UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24),
        ]
    }
}
