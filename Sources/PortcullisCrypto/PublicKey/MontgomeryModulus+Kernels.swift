/// Allocation-free Montgomery kernels on raw limbs, for the private-key exponentiation's inner loop:
/// multiplication and reduction interleaved in one pass over the limbs (CIOS with the two carry
/// chains side by side, so the processor overlaps them), the scratch and the output supplied by the
/// caller. Branch-free in the values.
extension MontgomeryModulus {
    /// out = a·b·R⁻¹ mod m, for a, b < m of `count` limbs. `out` may be `a` or `b` (it is written last);
    /// `scratch` holds at least `count + 1` limbs.
    @inline(__always)
    func multiply(
        into out: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
        modulus m: UnsafePointer<UInt64>, scratch t: UnsafeMutablePointer<UInt64>
    ) {
        let k = count
        let inverse = self.inverse
        t.update(repeating: 0, count: k + 1)
        for i in 0..<k {
            let bi = b[i]
            var (c1, s) = Self.multiplyAdd(a[0], bi, t[0], 0)
            let q = s &* inverse
            var (c2, _) = Self.multiplyAdd(q, m[0], s, 0)
            for j in 1..<k {
                (c1, s) = Self.multiplyAdd(a[j], bi, t[j], c1)
                (c2, t[j - 1]) = Self.multiplyAdd(q, m[j], s, c2)
            }
            let top = UInt128(t[k]) &+ UInt128(c1) &+ UInt128(c2)
            t[k - 1] = UInt64(truncatingIfNeeded: top)
            t[k] = UInt64(truncatingIfNeeded: top >> 64)
        }
        Self.reduceOnce(into: out, t, modulus: m, top: t[k], count: k)
    }

    /// out = a²·R⁻¹ mod m: the cross products once and doubled, the squares added, then the
    /// reduction. `out` may be `a`; `scratch` holds at least `2 · count` limbs.
    @inline(__always)
    func square(
        into out: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, modulus m: UnsafePointer<UInt64>,
        scratch t: UnsafeMutablePointer<UInt64>
    ) {
        let k = count
        t.update(repeating: 0, count: 2 * k)
        for i in 0..<k {
            var carry: UInt64 = 0
            for j in (i + 1)..<k { (carry, t[i + j]) = Self.multiplyAdd(a[i], a[j], t[i + j], carry) }
            t[i + k] = carry
        }
        var top: UInt64 = 0
        for index in 0..<(2 * k) {
            let next = t[index] >> 63
            t[index] = t[index] << 1 | top
            top = next
        }
        var carry: UInt64 = 0
        for i in 0..<k {
            let (high, low) = a[i].multipliedFullWidth(by: a[i])
            let lower = UInt128(t[2 * i]) &+ UInt128(low) &+ UInt128(carry)
            t[2 * i] = UInt64(truncatingIfNeeded: lower)
            let upper = UInt128(t[2 * i + 1]) &+ UInt128(high) &+ (lower >> 64)
            t[2 * i + 1] = UInt64(truncatingIfNeeded: upper)
            carry = UInt64(truncatingIfNeeded: upper >> 64)
        }
        // Reduction: each row clears t[i]; what overflows t[i + k] belongs one limb up.
        var extra: UInt64 = 0
        for i in 0..<k {
            let factor = t[i] &* inverse
            var rowCarry: UInt64 = 0
            for j in 0..<k { (rowCarry, t[i + j]) = Self.multiplyAdd(factor, m[j], t[i + j], rowCarry) }
            let sum = UInt128(t[i + k]) &+ UInt128(rowCarry) &+ UInt128(extra)
            t[i + k] = UInt64(truncatingIfNeeded: sum)
            extra = UInt64(truncatingIfNeeded: sum >> 64)
        }
        Self.reduceOnce(into: out, t + k, modulus: m, top: extra, count: k)
    }

    /// out = t − m when that does not borrow past `top` (t's limb above `count`), else t, for t < 2m:
    /// both are computed and a mask picks, no branch. The last step of every kernel.
    @inline(__always)
    static func reduceOnce(
        into out: UnsafeMutablePointer<UInt64>, _ t: UnsafePointer<UInt64>, modulus m: UnsafePointer<UInt64>,
        top: UInt64, count k: Int
    ) {
        var borrow: UInt64 = 0
        for j in 0..<k {
            let (d1, o1) = t[j].subtractingReportingOverflow(m[j])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            out[j] = d2
            borrow = (o1 ? 1 : 0) | (o2 ? 1 : 0)
        }
        let keep = mask((1 ^ borrow) | (top & 1))
        for j in 0..<k { out[j] = (out[j] & keep) | (t[j] & ~keep) }
    }

    /// selected = the table's entry number `window` (16 entries of `count` limbs), reading every
    /// entry whole so that the memory touched does not depend on the secret window.
    @inline(__always)
    static func selectWindow(
        _ window: UInt64, from table: UnsafePointer<UInt64>, into selected: UnsafeMutablePointer<UInt64>, count k: Int
    ) {
        selected.update(repeating: 0, count: k)
        for candidate in 0..<16 {
            let difference = UInt64(candidate) ^ window
            let entryMask = mask(((difference | (0 &- difference)) >> 63) ^ 1)
            let entry = table + candidate * k
            for index in 0..<k { selected[index] |= entry[index] & entryMask }
        }
    }
}
