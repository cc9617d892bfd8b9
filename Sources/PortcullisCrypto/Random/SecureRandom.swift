/// The operating system's cryptographically secure random number generator.
///
/// On Linux the standard library's `SystemRandomNumberGenerator` reads `getrandom(2)` (falling back to
/// `/dev/urandom`) and traps if neither works, which is what we want: continuing with weak randomness
/// would be worse than stopping. This wrapper gives byte-oriented access to it.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < buffer.count {
            let word = generator.next()
            let take = min(8, buffer.count - offset)
            withUnsafeBytes(of: word) { wordBytes in
                for i in 0..<take { buffer[offset + i] = wordBytes[i] }
            }
            offset += take
        }
    }

    /// A random value of a fixed-width integer type.
    public static func value<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}
