/// BLAKE2b (RFC 7693), unkeyed or keyed, with any digest length from 1 to 64 bytes.
public struct BLAKE2b: Sendable {
    var h: InlineArray<8, UInt64>
    var buffer = InlineArray<128, UInt8>(repeating: 0)
    var bufferCount = 0
    var totalByteCount: UInt64 = 0
    let digestByteCount: Int

    /// Creates a hasher producing `digestByteCount` bytes (1...64), optionally keyed (key ≤ 64 bytes).
    public init(digestByteCount: Int = 64, key: [UInt8] = []) {
        precondition((1...64).contains(digestByteCount), "BLAKE2b digest length must be 1...64")
        precondition(key.count <= 64, "BLAKE2b key must be at most 64 bytes")
        self.digestByteCount = digestByteCount
        h = InlineArray<8, UInt64>(repeating: 0)
        for i in 0..<8 { h[i] = sha512InitialState[i] }
        h[0] ^= 0x0101_0000 ^ UInt64(key.count) << 8 ^ UInt64(digestByteCount)
        if !key.isEmpty {
            var block = key
            block.append(contentsOf: [UInt8](repeating: 0, count: 128 - key.count))
            update(data: block)
        }
    }

    /// Absorbs bytes. The last block is held back until `finalize`, as BLAKE2 flags it.
    public mutating func update<Bytes: Sequence>(data: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = data.withContiguousStorageIfAvailable { update(bufferPointer: UnsafeRawBufferPointer($0)) }
        if done == nil { Array(data).withUnsafeBytes { update(bufferPointer: $0) } }
    }

    /// Absorbs raw bytes.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard var input = bufferPointer.baseAddress, bufferPointer.count > 0 else { return }
        var remaining = bufferPointer.count
        var block = self.buffer
        defer { self.buffer = block }
        var span = block.mutableSpan
        span.withUnsafeMutableBytes { block in
            let base = block.baseAddress!
            while remaining > 0 {
                if bufferCount == 128 {
                    totalByteCount &+= 128
                    h = BLAKE2b.compress(h, UnsafeRawPointer(base), counter: totalByteCount, last: false)
                    bufferCount = 0
                }
                let take = min(128 - bufferCount, remaining)
                (base + bufferCount).copyMemory(from: input, byteCount: take)
                bufferCount += take
                input += take
                remaining -= take
            }
        }
    }

    /// Returns the digest.
    public consuming func finalize() -> [UInt8] {
        totalByteCount &+= UInt64(bufferCount)
        let bufferCount = self.bufferCount
        let counter = totalByteCount
        var h = self.h
        var block = self.buffer
        var span = block.mutableSpan
        span.withUnsafeMutableBytes { block in
            let base = block.baseAddress!
            (base + bufferCount).initializeMemory(as: UInt8.self, repeating: 0, count: 128 - bufferCount)
            h = BLAKE2b.compress(h, UnsafeRawPointer(base), counter: counter, last: true)
        }
        var out = [UInt8]()
        out.reserveCapacity(64)
        for i in 0..<8 {
            withUnsafeBytes(of: h[i].littleEndian) { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(digestByteCount))
    }

    /// Hashes `data` in one call.
    public static func hash<Bytes: Sequence>(data: Bytes, digestByteCount: Int = 64) -> [UInt8]
    where Bytes.Element == UInt8 {
        var hasher = BLAKE2b(digestByteCount: digestByteCount)
        hasher.update(data: data)
        return hasher.finalize()
    }

    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private static func compress(
        _ h: InlineArray<8, UInt64>, _ block: UnsafeRawPointer, counter: UInt64, last: Bool
    ) -> InlineArray<8, UInt64> {
        var h = h
        var m = InlineArray<16, UInt64>(repeating: 0)
        for i in 0..<16 {
            m[i] = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        }
        var v = InlineArray<16, UInt64>(repeating: 0)
        for i in 0..<8 {
            v[i] = h[i]
            v[i + 8] = sha512InitialState[i]
        }
        v[12] ^= counter
        if last { v[14] = ~v[14] }
        for round in 0..<12 {
            let s = BLAKE2b.sigma[round % 10]
            mix(&v, 0, 4, 8, 12, m[s[0]], m[s[1]])
            mix(&v, 1, 5, 9, 13, m[s[2]], m[s[3]])
            mix(&v, 2, 6, 10, 14, m[s[4]], m[s[5]])
            mix(&v, 3, 7, 11, 15, m[s[6]], m[s[7]])
            mix(&v, 0, 5, 10, 15, m[s[8]], m[s[9]])
            mix(&v, 1, 6, 11, 12, m[s[10]], m[s[11]])
            mix(&v, 2, 7, 8, 13, m[s[12]], m[s[13]])
            mix(&v, 3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for i in 0..<8 { h[i] ^= v[i] ^ v[i + 8] }
        return h
    }

    @inline(__always)
    private static func mix(
        _ v: inout InlineArray<16, UInt64>, _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64
    ) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = (v[d] ^ v[a]).rotatedRight(32)
        v[c] = v[c] &+ v[d]
        v[b] = (v[b] ^ v[c]).rotatedRight(24)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = (v[d] ^ v[a]).rotatedRight(16)
        v[c] = v[c] &+ v[d]
        v[b] = (v[b] ^ v[c]).rotatedRight(63)
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedRight(_ n: UInt64) -> UInt64 {
        (self &>> n) | (self &<< (64 &- n))
    }
}
