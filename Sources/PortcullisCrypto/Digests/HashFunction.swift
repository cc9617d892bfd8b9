/// A cryptographic hash function with an incremental interface, in the style of CryptoKit.
///
/// Conforming types are value types: copying a partially updated hasher forks its state, which is how
/// ``HMAC`` keeps its precomputed inner and outer states.
public protocol HashFunction: Sendable {
    /// The number of bytes in a digest.
    static var byteCount: Int { get }
    /// The number of bytes the compression function consumes at once.
    static var blockByteCount: Int { get }

    /// Creates a hasher with the function's initial state.
    init()

    /// Absorbs raw bytes.
    mutating func update(bufferPointer: UnsafeRawBufferPointer)

    /// Pads the message and writes the digest into `output` (at least `byteCount` bytes), without
    /// allocating. The hasher is consumed.
    consuming func finalize(into output: UnsafeMutableRawBufferPointer)
}

extension HashFunction {
    /// Absorbs a sequence of bytes (an array, a slice, a string's `utf8` view, ...).
    @inlinable
    public mutating func update<Bytes: Sequence>(data: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = data.withContiguousStorageIfAvailable { buffer in
            self.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            Array(data).withUnsafeBytes { self.update(bufferPointer: $0) }
        }
    }

    /// Pads the message and returns the digest. The hasher is consumed.
    @inlinable
    public consuming func finalize() -> Digest {
        let hasher = self
        return Digest(
            bytes: [UInt8](unsafeUninitializedCapacity: Self.byteCount) { buffer, count in
                hasher.finalize(into: UnsafeMutableRawBufferPointer(buffer))
                count = Self.byteCount
            })
    }

    /// Hashes `data` in one call.
    @inlinable
    public static func hash<Bytes: Sequence>(data: Bytes) -> Digest where Bytes.Element == UInt8 {
        var hasher = Self()
        hasher.update(data: data)
        return hasher.finalize()
    }
}
