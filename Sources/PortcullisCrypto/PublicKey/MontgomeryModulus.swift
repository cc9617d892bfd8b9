/// Arithmetic modulo an odd number in Montgomery form, on little-endian 64-bit limbs.
///
/// Branch-free throughout: running time and memory access depend only on the limb count, never on
/// the values, so the same code serves verification (public data) and signing (secret scalars).
/// Every operand must already be reduced (`< modulus`) and have exactly `count` limbs; exponents
/// given to `power` are public (the loop follows their bits).
struct MontgomeryModulus: Sendable {
    typealias Limbs = [UInt64]

    let modulus: Limbs
    /// -modulus⁻¹ mod 2⁶⁴.
    let inverse: UInt64
    /// R² mod modulus, where R = 2^(64·count).
    let rSquared: Limbs

    var count: Int { modulus.count }

    /// Returns nil for an even or zero modulus (Montgomery reduction needs an odd one).
    init?(_ modulus: Limbs) {
        var modulus = modulus
        while modulus.count > 1, modulus.last == 0 { modulus.removeLast() }
        guard let low = modulus.first, low & 1 == 1, modulus != [1] else { return nil }
        self.modulus = modulus
        // Newton's iteration doubles the correct low bits each round: 3 → 6 → … → 96.
        var inverse = low
        for _ in 0..<5 { inverse = inverse &* (2 &- low &* inverse) }
        self.inverse = 0 &- inverse
        // R² mod m by doubling 1 (2·64·count) times; cheap next to a single verification.
        var value = Limbs(repeating: 0, count: modulus.count)
        value[0] = 1
        for _ in 0..<(128 * modulus.count) {
            let carry = Self.shiftLeftOne(&value)
            Self.subtract(&value, modulus, mask: Self.mask(1 ^ (Self.lessBit(value, modulus) & (1 ^ carry))))
        }
        self.rSquared = value
    }

    // MARK: Limb helpers (branch-free; bits are UInt64 0 or 1)

    /// All ones when `bit` is 1, zero when it is 0.
    @inline(__always)
    static func mask(_ bit: UInt64) -> UInt64 { 0 &- bit }

    /// `a` when `bit` is 0, `b` when it is 1.
    static func select(_ bit: UInt64, _ a: Limbs, _ b: Limbs) -> Limbs {
        let m = mask(bit)
        var result = a
        for index in 0..<a.count { result[index] = (a[index] & ~m) | (b[index] & m) }
        return result
    }

    /// Swaps `a` and `b` when `bit` is 1.
    static func conditionalSwap(_ bit: UInt64, _ a: inout Limbs, _ b: inout Limbs) {
        let m = mask(bit)
        for index in 0..<a.count {
            let t = (a[index] ^ b[index]) & m
            a[index] ^= t
            b[index] ^= t
        }
    }

    /// a -= b (each limb of b and-ed with `mask`: all ones subtracts, zero leaves a as is) over
    /// equal-length limbs; returns the borrow out.
    @discardableResult
    static func subtract(_ a: inout Limbs, _ b: Limbs, mask: UInt64 = ~0) -> UInt64 {
        var borrow: UInt64 = 0
        for index in 0..<a.count {
            let (d1, o1) = a[index].subtractingReportingOverflow(b[index] & mask)
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            a[index] = d2
            borrow = UInt64(o1 ? 1 : 0) | UInt64(o2 ? 1 : 0)
        }
        return borrow
    }

    /// a += b (each limb of b and-ed with `mask`) over equal-length limbs; returns the carry out.
    @discardableResult
    static func add(_ a: inout Limbs, _ b: Limbs, mask: UInt64 = ~0) -> UInt64 {
        var carry: UInt64 = 0
        for index in 0..<a.count {
            let (s1, o1) = a[index].addingReportingOverflow(b[index] & mask)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            a[index] = s2
            carry = UInt64(o1 ? 1 : 0) | UInt64(o2 ? 1 : 0)
        }
        return carry
    }

    /// 1 when a < b, else 0 (the borrow of a − b, computed without storing the difference).
    static func lessBit(_ a: Limbs, _ b: Limbs) -> UInt64 {
        var borrow: UInt64 = 0
        for index in 0..<a.count {
            let (d1, o1) = a[index].subtractingReportingOverflow(b[index])
            let (_, o2) = d1.subtractingReportingOverflow(borrow)
            borrow = UInt64(o1 ? 1 : 0) | UInt64(o2 ? 1 : 0)
        }
        return borrow
    }

    static func less(_ a: Limbs, _ b: Limbs) -> Bool { lessBit(a, b) == 1 }

    /// 1 when every limb is zero, else 0.
    static func zeroBit(_ a: Limbs) -> UInt64 {
        var accumulator: UInt64 = 0
        for limb in a { accumulator |= limb }
        return ((accumulator | (0 &- accumulator)) >> 63) ^ 1
    }

    static func isZero(_ a: Limbs) -> Bool { zeroBit(a) == 1 }

    static func shiftLeftOne(_ a: inout Limbs) -> UInt64 {
        var carry: UInt64 = 0
        for index in 0..<a.count {
            let next = a[index] >> 63
            a[index] = a[index] << 1 | carry
            carry = next
        }
        return carry
    }

    /// (hi, lo) = a·b + c + d; cannot overflow 128 bits.
    @inline(__always)
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64) {
        // One 128-bit expression: the compiler emits MUL and an ADD/ADC chain, no branches.
        let sum = UInt128(a) &* UInt128(b) &+ UInt128(c) &+ UInt128(d)
        return (UInt64(truncatingIfNeeded: sum >> 64), UInt64(truncatingIfNeeded: sum))
    }

    /// Big-endian bytes → limbs of this modulus's width; nil when the value has more bits than fit.
    func limbs<Bytes: Collection>(bigEndian bytes: Bytes) -> Limbs? where Bytes.Element == UInt8 {
        Self.limbs(bigEndian: bytes, count: count)
    }

    static func limbs<Bytes: Collection>(bigEndian bytes: Bytes, count: Int) -> Limbs? where Bytes.Element == UInt8 {
        var result = Limbs(repeating: 0, count: count)
        for (position, byte) in bytes.reversed().enumerated() {
            let limb = position / 8
            guard limb < count else {
                if byte != 0 { return nil }
                continue
            }
            result[limb] |= UInt64(byte) << (UInt64(position % 8) * 8)
        }
        return result
    }

    /// Limbs → exactly `length` big-endian bytes (the value must fit).
    static func bigEndianBytes(_ limbs: Limbs, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        for position in 0..<length {
            let limb = position / 8
            guard limb < limbs.count else { break }
            bytes[length - 1 - position] = UInt8(truncatingIfNeeded: limbs[limb] >> (UInt64(position % 8) * 8))
        }
        return bytes
    }

    // MARK: Modular arithmetic

    /// a·b·R⁻¹ mod m (CIOS Montgomery multiplication, masked final subtraction), through the raw
    /// kernel of `MontgomeryModulus+Kernels.swift`: one allocation (the result).
    func multiply(_ a: Limbs, _ b: Limbs) -> Limbs {
        let k = count
        precondition(a.count == k && b.count == k, "operands must have the modulus's limb count")
        return Limbs(unsafeUninitializedCapacity: k) { output, initialized in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: k + 1) { t in
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        modulus.withUnsafeBufferPointer { m in
                            multiply(
                                into: output.baseAddress!, a.baseAddress!, b.baseAddress!, modulus: m.baseAddress!,
                                scratch: t.baseAddress!)
                        }
                    }
                }
            }
            initialized = k
        }
    }

    func toMontgomery(_ a: Limbs) -> Limbs { multiply(a, rSquared) }

    func fromMontgomery(_ a: Limbs) -> Limbs {
        var one = Limbs(repeating: 0, count: count)
        one[0] = 1
        return multiply(a, one)
    }

    /// R mod m: the number one in Montgomery form.
    var montgomeryOne: Limbs { fromMontgomery(rSquared) }

    /// (a + b) mod m; works in either representation.
    func add(_ a: Limbs, _ b: Limbs) -> Limbs {
        var sum = a
        let carry = Self.add(&sum, b)
        Self.subtract(&sum, modulus, mask: Self.mask(1 ^ (Self.lessBit(sum, modulus) & (1 ^ carry))))
        return sum
    }

    /// (a − b) mod m; works in either representation.
    func subtract(_ a: Limbs, _ b: Limbs) -> Limbs {
        var difference = a
        let borrow = Self.subtract(&difference, b)
        Self.add(&difference, modulus, mask: Self.mask(borrow))
        return difference
    }

    /// a·b mod m for plain (non-Montgomery) operands.
    func multiplyPlain(_ a: Limbs, _ b: Limbs) -> Limbs {
        multiply(multiply(a, b), rSquared)
    }

    /// base^exponent mod m for plain operands; `exponent` is big-endian bytes (public).
    func power<Exponent: Collection>(_ base: Limbs, _ exponent: Exponent) -> Limbs where Exponent.Element == UInt8 {
        let montgomeryBase = toMontgomery(base)
        var accumulator = montgomeryOne
        for byte in exponent {
            for bit in stride(from: 7, through: 0, by: -1) {
                accumulator = square(accumulator)
                if (byte >> UInt8(bit)) & 1 == 1 {
                    accumulator = multiply(accumulator, montgomeryBase)
                }
            }
        }
        return fromMontgomery(accumulator)
    }

    /// a⁻¹ mod m for a prime modulus (Fermat, a^(m−2): a fixed chain, the exponent is public); a ≠ 0.
    func inversePrime(_ a: Limbs) -> Limbs {
        var exponent = modulus
        var two = Limbs(repeating: 0, count: count)
        two[0] = 2
        Self.subtract(&exponent, two)
        return power(a, Self.bigEndianBytes(exponent, length: count * 8))
    }
}
