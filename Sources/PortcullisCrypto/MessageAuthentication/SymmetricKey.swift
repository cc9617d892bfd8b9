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

    /// A key for one purpose, derived from a server secret: HMAC-SHA256(secret, purpose label).
    /// Two purposes never share a key even when they start from the same secret.
    public init<Secret: Sequence>(derivedFrom secret: Secret, purpose: String) where Secret.Element == UInt8 {
        bytes = HMAC<SHA256>(key: SymmetricKey(data: secret)).authenticationCode(for: Array(purpose.utf8)).bytes
    }

    /// The key length in bytes.
    public var byteCount: Int { bytes.count }

    /// Gives scoped access to the key bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}
