/// Secret key material for ``HMAC``.
public struct SymmetricKey: Sendable {
    let bytes: [UInt8]

    /// Wraps existing key bytes (for instance a `JWT_SECRET`'s UTF-8 bytes).
    public init<Bytes: Sequence>(data: Bytes) where Bytes.Element == UInt8 {
        bytes = Array(data)
    }

    /// Generates a fresh random key of `byteCount` bytes from the operating system's CSPRNG.
    public init(byteCount: Int) {
        bytes = SecureRandom.bytes(count: byteCount)
    }

    /// The key length in bytes.
    public var byteCount: Int { bytes.count }

    /// Gives scoped access to the key bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}
