/// Arithmetic modulo an odd number in Montgomery form, on little-endian 64-bit limbs.
///
/// Used only with public data (signature verification): the running time depends on the values.
/// Every operand must already be reduced (`< modulus`) and have exactly `count` limbs.
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
            if carry || !Self.less(value, modulus) { _ = Self.subtract(&value, modulus) }
        }
        self.rSquared = value
    }

    // MARK: Limb helpers

    /// a < b for equal-length limb arrays.
    static func less(_ a: Limbs, _ b: Limbs) -> Bool {
        for index in stride(from: a.count - 1, through: 0, by: -1) where a[index] != b[index] {
            return a[index] < b[index]
        }
        return false
    }

    static func isZero(_ a: Limbs) -> Bool { a.allSatisfy { $0 == 0 } }

    /// a -= b; returns the borrow out.
    @discardableResult
    static func subtract(_ a: inout Limbs, _ b: Limbs) -> Bool {
        var borrow: UInt64 = 0
        for index in 0..<a.count {
            let (d1, o1) = a[index].subtractingReportingOverflow(b[index])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            a[index] = d2
            borrow = (o1 || o2) ? 1 : 0
        }
        return borrow == 1
    }

    /// a += b; returns the carry out.
    @discardableResult
    static func add(_ a: inout Limbs, _ b: Limbs) -> Bool {
        var carry: UInt64 = 0
        for index in 0..<a.count {
            let (s1, o1) = a[index].addingReportingOverflow(b[index])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            a[index] = s2
            carry = (o1 || o2) ? 1 : 0
        }
        return carry == 1
    }

    static func shiftLeftOne(_ a: inout Limbs) -> Bool {
        var carry: UInt64 = 0
        for index in 0..<a.count {
            let next = a[index] >> 63
            a[index] = a[index] << 1 | carry
            carry = next
        }
        return carry == 1
    }

    /// (hi, lo) = a·b + c + d; cannot overflow 128 bits.
    @inline(__always)
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64) {
        var (high, low) = a.multipliedFullWidth(by: b)
        var overflow: Bool
        (low, overflow) = low.addingReportingOverflow(c)
        if overflow { high &+= 1 }
        (low, overflow) = low.addingReportingOverflow(d)
        if overflow { high &+= 1 }
        return (high, low)
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

    /// a·b·R⁻¹ mod m (CIOS Montgomery multiplication).
    func multiply(_ a: Limbs, _ b: Limbs) -> Limbs {
        let k = count
        var t = Limbs(repeating: 0, count: k + 2)
        for i in 0..<k {
            var carry: UInt64 = 0
            for j in 0..<k {
                (carry, t[j]) = Self.multiplyAdd(a[j], b[i], t[j], carry)
            }
            var overflow: Bool
            (t[k], overflow) = t[k].addingReportingOverflow(carry)
            t[k + 1] = overflow ? 1 : 0

            let m = t[0] &* inverse
            (carry, _) = Self.multiplyAdd(m, modulus[0], t[0], 0)
            for j in 1..<k {
                (carry, t[j - 1]) = Self.multiplyAdd(m, modulus[j], t[j], carry)
            }
            (t[k - 1], overflow) = t[k].addingReportingOverflow(carry)
            t[k] = t[k + 1] &+ (overflow ? 1 : 0)
        }
        var result = Array(t[0..<k])
        if t[k] != 0 || !Self.less(result, modulus) { Self.subtract(&result, modulus) }
        return result
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
        if carry || !Self.less(sum, modulus) { Self.subtract(&sum, modulus) }
        return sum
    }

    /// (a − b) mod m; works in either representation.
    func subtract(_ a: Limbs, _ b: Limbs) -> Limbs {
        var difference = a
        if Self.subtract(&difference, b) { Self.add(&difference, modulus) }
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
                accumulator = multiply(accumulator, accumulator)
                if (byte >> UInt8(bit)) & 1 == 1 {
                    accumulator = multiply(accumulator, montgomeryBase)
                }
            }
        }
        return fromMontgomery(accumulator)
    }

    /// a⁻¹ mod m for a prime modulus (Fermat); plain operands, a ≠ 0.
    func inversePrime(_ a: Limbs) -> Limbs {
        var exponent = modulus
        var two = Limbs(repeating: 0, count: count)
        two[0] = 2
        Self.subtract(&exponent, two)
        return power(a, Self.bigEndianBytes(exponent, length: count * 8))
    }
}

/// The three operations the curve formulas need, in Montgomery form; implemented by the
/// variable-time `MontgomeryModulus` (public data) and the `ConstantTimeModulus` (secrets).
protocol ModularArithmetic {
    func multiply(_ a: [UInt64], _ b: [UInt64]) -> [UInt64]
    func add(_ a: [UInt64], _ b: [UInt64]) -> [UInt64]
    func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64]
}

extension MontgomeryModulus: ModularArithmetic {}
