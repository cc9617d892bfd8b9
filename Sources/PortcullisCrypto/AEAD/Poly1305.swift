/// The Poly1305 one-time authenticator (RFC 8439 §2.5) in 26-bit limbs (as poly1305-donna-32):
/// every operation on the key and the accumulator is a fixed sequence of multiplications, shifts and
/// masks, including the final reduction, so nothing branches on secret data.
struct Poly1305 {
    private var r: (UInt32, UInt32, UInt32, UInt32, UInt32)
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0)
    private let pad: (UInt32, UInt32, UInt32, UInt32)

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        let low = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
        let high = UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        return low | high
    }

    /// `key`: 32 bytes, used once.
    init(key: [UInt8]) {
        r = (
            Self.word(key, 0) & 0x3FF_FFFF, (Self.word(key, 3) >> 2) & 0x3FF_FF03,
            (Self.word(key, 6) >> 4) & 0x3FF_C0FF,
            (Self.word(key, 9) >> 6) & 0x3F0_3FFF, (Self.word(key, 12) >> 8) & 0x00F_FFFF
        )
        pad = (Self.word(key, 16), Self.word(key, 20), Self.word(key, 24), Self.word(key, 28))
    }

    /// Absorbs one block of up to 16 bytes; a short (final) block is padded with 0x01 then zeros.
    private mutating func block(_ message: [UInt8], _ start: Int, _ count: Int) {
        var m = [UInt8](repeating: 0, count: 17)
        for i in 0..<count { m[i] = message[start + i] }
        let high: UInt32 = count == 16 ? 1 << 24 : 0
        if count < 16 { m[count] = 1 }
        let mask: UInt32 = 0x3FF_FFFF
        var (h0, h1, h2, h3, h4) = h
        h0 &+= Self.word(m, 0) & mask
        h1 &+= (Self.word(m, 3) >> 2) & mask
        h2 &+= (Self.word(m, 6) >> 4) & mask
        h3 &+= (Self.word(m, 9) >> 6) & mask
        h4 &+= (Self.word(m, 12) >> 8) | high
        let (r0, r1, r2, r3, r4) = (UInt64(r.0), UInt64(r.1), UInt64(r.2), UInt64(r.3), UInt64(r.4))
        let (s1, s2, s3, s4) = (r1 * 5, r2 * 5, r3 * 5, r4 * 5)
        let (a0, a1, a2, a3, a4) = (UInt64(h0), UInt64(h1), UInt64(h2), UInt64(h3), UInt64(h4))
        let d0 = a0 * r0 + a1 * s4 + a2 * s3 + a3 * s2 + a4 * s1
        var d1 = a0 * r1 + a1 * r0 + a2 * s4 + a3 * s3 + a4 * s2
        var d2 = a0 * r2 + a1 * r1 + a2 * r0 + a3 * s4 + a4 * s3
        var d3 = a0 * r3 + a1 * r2 + a2 * r1 + a3 * r0 + a4 * s4
        var d4 = a0 * r4 + a1 * r3 + a2 * r2 + a3 * r1 + a4 * r0
        var carry = d0 >> 26
        h0 = UInt32(d0 & 0x3FF_FFFF)
        d1 += carry
        carry = d1 >> 26
        h1 = UInt32(d1 & 0x3FF_FFFF)
        d2 += carry
        carry = d2 >> 26
        h2 = UInt32(d2 & 0x3FF_FFFF)
        d3 += carry
        carry = d3 >> 26
        h3 = UInt32(d3 & 0x3FF_FFFF)
        d4 += carry
        carry = d4 >> 26
        h4 = UInt32(d4 & 0x3FF_FFFF)
        h0 &+= UInt32(carry) &* 5
        let c = h0 >> 26
        h0 &= mask
        h1 &+= c
        h = (h0, h1, h2, h3, h4)
    }

    mutating func update(_ message: [UInt8]) {
        for start in stride(from: 0, to: message.count, by: 16) {
            block(message, start, min(16, message.count - start))
        }
    }

    /// The 16-byte tag.
    consuming func finalize() -> [UInt8] {
        let mask: UInt32 = 0x3FF_FFFF
        var (h0, h1, h2, h3, h4) = h
        var c = h1 >> 26
        h1 &= mask
        h2 &+= c
        c = h2 >> 26
        h2 &= mask
        h3 &+= c
        c = h3 >> 26
        h3 &= mask
        h4 &+= c
        c = h4 >> 26
        h4 &= mask
        h0 &+= c &* 5
        c = h0 >> 26
        h0 &= mask
        h1 &+= c
        // g = h + 5 - 2^130: chosen instead of h exactly when h ≥ p, by a mask, not a branch.
        var g0 = h0 &+ 5
        c = g0 >> 26
        g0 &= mask
        var g1 = h1 &+ c
        c = g1 >> 26
        g1 &= mask
        var g2 = h2 &+ c
        c = g2 >> 26
        g2 &= mask
        var g3 = h3 &+ c
        c = g3 >> 26
        g3 &= mask
        var g4 = h4 &+ c &- (1 << 26)
        var select = (g4 >> 31) &- 1  // all ones when h ≥ p
        g0 &= select
        g1 &= select
        g2 &= select
        g3 &= select
        g4 &= select
        select = ~select
        h0 = (h0 & select) | g0
        h1 = (h1 & select) | g1
        h2 = (h2 & select) | g2
        h3 = (h3 & select) | g3
        h4 = (h4 & select) | g4
        let w0 = h0 | (h1 << 26)
        let w1 = (h1 >> 6) | (h2 << 20)
        let w2 = (h2 >> 12) | (h3 << 14)
        let w3 = (h3 >> 18) | (h4 << 8)
        var f = UInt64(w0) + UInt64(pad.0)
        let t0 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w1) + UInt64(pad.1) + (f >> 32)
        let t1 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w2) + UInt64(pad.2) + (f >> 32)
        let t2 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w3) + UInt64(pad.3) + (f >> 32)
        let t3 = UInt32(truncatingIfNeeded: f)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for word in [t0, t1, t2, t3] {
            out += [
                UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                UInt8(truncatingIfNeeded: word >> 16),
                UInt8(truncatingIfNeeded: word >> 24),
            ]
        }
        return out
    }

    /// The tag of `message` under a one-time `key`.
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var poly = Poly1305(key: key)
        poly.update(message)
        return poly.finalize()
    }
}
