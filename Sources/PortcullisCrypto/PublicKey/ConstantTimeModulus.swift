/// Montgomery arithmetic whose running time and memory access pattern do not depend on the
/// operands, for secret values (a private scalar, a nonce). Shares the public constants of a
/// `MontgomeryModulus`; exponents passed to `power` must be public.
struct ConstantTimeModulus: Sendable, ModularArithmetic {
    typealias Limbs = [UInt64]
    let base: MontgomeryModulus

    var count: Int { base.count }

    /// All ones when `bit` is 1, zero when it is 0; `bit` must be 0 or 1.
    @inline(__always)
    static func mask(_ bit: UInt64) -> UInt64 { 0 &- bit }

    /// `a` when `bit` is 0, `b` when it is 1, without a branch.
    static func select(_ bit: UInt64, _ a: Limbs, _ b: Limbs) -> Limbs {
        let m = mask(bit)
        var result = a
        for index in 0..<a.count { result[index] = (a[index] & ~m) | (b[index] & m) }
        return result
    }

    /// Swaps `a` and `b` when `bit` is 1, without a branch.
    static func conditionalSwap(_ bit: UInt64, _ a: inout Limbs, _ b: inout Limbs) {
        let m = mask(bit)
        for index in 0..<a.count {
            let t = (a[index] ^ b[index]) & m
            a[index] ^= t
            b[index] ^= t
        }
    }

    /// a − b over the limbs and the borrow out (0 or 1), branch-free.
    static func subtractWithBorrow(_ a: Limbs, _ b: Limbs) -> (Limbs, UInt64) {
        var result = a
        var borrow: UInt64 = 0
        for index in 0..<a.count {
            let (d1, o1) = a[index].subtractingReportingOverflow(b[index])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            result[index] = d2
            borrow = UInt64(o1 ? 1 : 0) | UInt64(o2 ? 1 : 0)
        }
        return (result, borrow)
    }

    static func addWithCarry(_ a: Limbs, _ b: Limbs) -> (Limbs, UInt64) {
        var result = a
        var carry: UInt64 = 0
        for index in 0..<a.count {
            let (s1, o1) = a[index].addingReportingOverflow(b[index])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            result[index] = s2
            carry = UInt64(o1 ? 1 : 0) | UInt64(o2 ? 1 : 0)
        }
        return (result, carry)
    }

    /// 1 when every limb is zero, else 0, branch-free.
    static func isZero(_ a: Limbs) -> UInt64 {
        var accumulator: UInt64 = 0
        for limb in a { accumulator |= limb }
        return ((accumulator | (0 &- accumulator)) >> 63) ^ 1
    }

    /// 1 when a < b, else 0, branch-free.
    static func less(_ a: Limbs, _ b: Limbs) -> UInt64 { subtractWithBorrow(a, b).1 }

    // The Bool-returning overflow reports compile to flag reads (setc/adc), not branches.

    /// a·b·R⁻¹ mod m; CIOS with a masked final subtraction.
    func multiply(_ a: Limbs, _ b: Limbs) -> Limbs {
        let k = count
        let modulus = base.modulus
        var t = Limbs(repeating: 0, count: k + 2)
        for i in 0..<k {
            var carry: UInt64 = 0
            for j in 0..<k {
                (carry, t[j]) = MontgomeryModulus.multiplyAdd(a[j], b[i], t[j], carry)
            }
            let (sum, overflow) = t[k].addingReportingOverflow(carry)
            t[k] = sum
            t[k + 1] = overflow ? 1 : 0
            let m = t[0] &* base.inverse
            (carry, _) = MontgomeryModulus.multiplyAdd(m, modulus[0], t[0], 0)
            for j in 1..<k {
                (carry, t[j - 1]) = MontgomeryModulus.multiplyAdd(m, modulus[j], t[j], carry)
            }
            let (top, overflowTop) = t[k].addingReportingOverflow(carry)
            t[k - 1] = top
            t[k] = t[k + 1] &+ (overflowTop ? 1 : 0)
        }
        let value = Array(t[0..<k])
        let (reduced, borrow) = Self.subtractWithBorrow(value, modulus)
        // Keep the reduced value unless the subtraction borrowed without a carry out of t.
        let keepOriginal = borrow & (1 ^ (t[k] & 1))
        return Self.select(keepOriginal, reduced, value)
    }

    func add(_ a: Limbs, _ b: Limbs) -> Limbs {
        let (sum, carry) = Self.addWithCarry(a, b)
        let (reduced, borrow) = Self.subtractWithBorrow(sum, base.modulus)
        return Self.select(borrow & (1 ^ carry), reduced, sum)
    }

    func subtract(_ a: Limbs, _ b: Limbs) -> Limbs {
        let (difference, borrow) = Self.subtractWithBorrow(a, b)
        let (corrected, _) = Self.addWithCarry(difference, base.modulus)
        return Self.select(borrow, difference, corrected)
    }

    func toMontgomery(_ a: Limbs) -> Limbs { multiply(a, base.rSquared) }

    func fromMontgomery(_ a: Limbs) -> Limbs {
        var one = Limbs(repeating: 0, count: count)
        one[0] = 1
        return multiply(a, one)
    }

    /// a·b mod m for plain operands.
    func multiplyPlain(_ a: Limbs, _ b: Limbs) -> Limbs { multiply(multiply(a, b), base.rSquared) }

    /// a⁻¹ mod m for a prime modulus: a^(m−2), a fixed square-and-multiply chain (the exponent is public).
    func inversePrime(_ a: Limbs) -> Limbs {
        var exponent = base.modulus
        var two = Limbs(repeating: 0, count: count)
        two[0] = 2
        MontgomeryModulus.subtract(&exponent, two)
        let montgomeryBase = toMontgomery(a)
        var accumulator = base.montgomeryOne
        for bit in stride(from: 64 * count - 1, through: 0, by: -1) {
            accumulator = multiply(accumulator, accumulator)
            if (exponent[bit / 64] >> UInt64(bit % 64)) & 1 == 1 {
                accumulator = multiply(accumulator, montgomeryBase)
            }
        }
        return fromMontgomery(accumulator)
    }
}
