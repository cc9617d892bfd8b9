/// The output of a hash function or a message authentication code.
///
/// Equality is constant-time, so comparing a computed MAC with a received one leaks nothing
/// through timing but the (public) length.
public struct Digest: Sendable, Hashable, CustomStringConvertible {
    /// The digest's bytes.
    public let bytes: [UInt8]

    /// Wraps bytes computed elsewhere, e.g. a MAC received over the wire.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The number of bytes in the digest.
    public var byteCount: Int { bytes.count }

    /// Lower-case hexadecimal.
    public var hexString: String { Hex.encode(bytes) }

    public var description: String { hexString }

    public static func == (lhs: Digest, rhs: Digest) -> Bool {
        ConstantTime.equals(lhs.bytes, rhs.bytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}

extension Digest: Sequence {
    public func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
}
