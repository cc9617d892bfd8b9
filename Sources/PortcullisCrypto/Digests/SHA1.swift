/// SHA-1 (FIPS 180-4), only for HMAC-SHA1 in TOTP (RFC 6238), where authenticator apps require it.
/// HMAC does not rely on SHA-1's collision resistance; nothing else here uses SHA-1.
public struct SHA1: HashFunction {
    public static let byteCount = 20
    public static let blockByteCount = 64

    var state: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0
    )
    var buffer: [UInt8] = []
    var totalByteCount: UInt64 = 0

    public init() {
        buffer.reserveCapacity(64)
    }

    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        totalByteCount &+= UInt64(bufferPointer.count)
        var index = 0
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, bufferPointer.count)
            buffer.append(contentsOf: bufferPointer[0..<take])
            index = take
            guard buffer.count == 64 else { return }
            buffer.withUnsafeBytes { Self.compress(&state, $0.baseAddress!) }
            buffer.removeAll(keepingCapacity: true)
        }
        while bufferPointer.count - index >= 64 {
            Self.compress(&state, bufferPointer.baseAddress! + index)
            index += 64
        }
        if index < bufferPointer.count { buffer.append(contentsOf: bufferPointer[index...]) }
    }

    public consuming func finalize(into output: UnsafeMutableRawBufferPointer) {
        var block = buffer
        block.append(0x80)
        while block.count % 64 != 56 { block.append(0) }
        withUnsafeBytes(of: (totalByteCount &* 8).bigEndian) { block.append(contentsOf: $0) }
        var state = self.state
        block.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: 64) { Self.compress(&state, raw.baseAddress! + offset) }
        }
        for (index, word) in [state.0, state.1, state.2, state.3, state.4].enumerated() {
            output.storeBytes(of: word.bigEndian, toByteOffset: index * 4, as: UInt32.self)
        }
    }

    static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ block: UnsafeRawPointer) {
        var w = [UInt32](repeating: 0, count: 80)
        for t in 0..<16 { w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self)) }
        for t in 16..<80 {
            let x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
            w[t] = (x << 1) | (x >> 31)
        }
        var (a, b, c, d, e) = state
        for t in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch t {
            case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
            case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
            case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
            default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
            }
            let temp = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[t]
            e = d
            d = c
            c = (b << 30) | (b >> 2)
            b = a
            a = temp
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
    }
}
