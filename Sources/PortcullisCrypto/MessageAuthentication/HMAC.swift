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
        var inner = H()
        var outer = H()
        // The padded key block lives on the stack and is wiped before returning.
        withUnsafeTemporaryAllocation(byteCount: H.blockByteCount, alignment: 8) { block in
            block.initializeMemory(as: UInt8.self, repeating: 0)
            key.withUnsafeBytes { keyBytes in
                if keyBytes.count > H.blockByteCount {
                    var hasher = H()
                    hasher.update(bufferPointer: keyBytes)
                    hasher.finalize(into: block)
                } else if keyBytes.count > 0 {
                    block.copyMemory(from: keyBytes)
                }
            }
            for i in 0..<H.blockByteCount { block[i] ^= 0x36 }
            inner.update(bufferPointer: UnsafeRawBufferPointer(block))
            for i in 0..<H.blockByteCount { block[i] ^= 0x36 ^ 0x5c }
            outer.update(bufferPointer: UnsafeRawBufferPointer(block))
            block.initializeMemory(as: UInt8.self, repeating: 0)
        }
        self.inner = inner
        self.outer = outer
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
        let mac = self
        return Digest(
            bytes: [UInt8](unsafeUninitializedCapacity: H.byteCount) { buffer, count in
                mac.finalize(into: UnsafeMutableRawBufferPointer(buffer))
                count = H.byteCount
            })
    }

    /// Writes the authentication code into `output` (at least `H.byteCount` bytes) without allocating.
    public consuming func finalize(into output: UnsafeMutableRawBufferPointer) {
        var outer = self.outer
        let inner = self.inner
        withUnsafeTemporaryAllocation(byteCount: H.byteCount, alignment: 8) { innerDigest in
            inner.finalize(into: innerDigest)
            outer.update(bufferPointer: UnsafeRawBufferPointer(innerDigest))
        }
        outer.finalize(into: output)
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
