/// HMAC (RFC 2104) over any ``HashFunction``.
///
/// The key's inner and outer pads are absorbed once, in `init(key:)`; a keyed `HMAC` value can then
/// be copied and reused for many messages at the cost of the message's own compressions only.
///
/// ```swift
/// let key = SymmetricKey(data: Array("secret".utf8))
/// let mac = HMAC<SHA256>.authenticationCode(for: Array("message".utf8), using: key)
/// ```
public struct HMAC<H: HashFunction>: Sendable {
    @usableFromInline var inner: H
    @usableFromInline var outer: H

    /// Creates an authenticator keyed with `key`; keys longer than the block size are hashed first.
    public init(key: SymmetricKey) {
        var keyBlock = [UInt8](repeating: 0, count: H.blockByteCount)
        if key.byteCount > H.blockByteCount {
            let hashed = H.hash(data: key.bytes).bytes
            keyBlock.replaceSubrange(0..<hashed.count, with: hashed)
        } else {
            keyBlock.replaceSubrange(0..<key.byteCount, with: key.bytes)
        }
        inner = H()
        outer = H()
        inner.update(data: keyBlock.map { $0 ^ 0x36 })
        outer.update(data: keyBlock.map { $0 ^ 0x5c })
        for i in keyBlock.indices { keyBlock[i] = 0 }
    }

    /// Absorbs message bytes.
    @inlinable
    public mutating func update<Bytes: Sequence>(data: Bytes) where Bytes.Element == UInt8 {
        inner.update(data: data)
    }

    /// Absorbs raw message bytes.
    @inlinable
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bufferPointer)
    }

    /// Returns the authentication code of everything absorbed so far.
    public consuming func finalize() -> Digest {
        let innerDigest = inner.finalize()
        var outer = self.outer
        outer.update(data: innerDigest.bytes)
        return outer.finalize()
    }

    /// Computes the authentication code of `data` with a fresh copy of this keyed state.
    @inlinable
    public func authenticationCode<Bytes: Sequence>(for data: Bytes) -> Digest where Bytes.Element == UInt8 {
        var copy = self
        copy.update(data: data)
        return copy.finalize()
    }

    /// Computes the authentication code of `data` under `key`.
    public static func authenticationCode<Bytes: Sequence>(
        for data: Bytes, using key: SymmetricKey
    ) -> Digest where Bytes.Element == UInt8 {
        HMAC(key: key).authenticationCode(for: data)
    }

    /// Checks `code` against the authentication code of `data` in constant time.
    public static func isValidAuthenticationCode<Code: Collection, Bytes: Sequence>(
        _ code: Code, authenticating data: Bytes, using key: SymmetricKey
    ) -> Bool where Code.Element == UInt8, Bytes.Element == UInt8 {
        ConstantTime.equals(authenticationCode(for: data, using: key).bytes, code)
    }
}
