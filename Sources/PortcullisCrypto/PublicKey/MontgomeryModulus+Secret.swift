/// What private-key operations add to the Montgomery arithmetic: an exponentiation whose exponent is
/// secret (fixed 4-bit windows, every window multiplied, the table read whole), reduction of a
/// longer number, and plain multiplication. All branch-free in the values, as the rest of the type.
extension MontgomeryModulus {
    /// base^exponent mod m with a secret `exponent` (little-endian limbs, any count): the time and
    /// the memory touched depend only on the limb counts.
    func powerSecret(_ base: Limbs, _ exponent: Limbs) -> Limbs {
        let k = count
        let montgomeryBase = toMontgomery(base)
        // The 16 window values side by side in one buffer, read whole for every window.
        var table = Limbs(repeating: 0, count: 16 * k)
        var entry = montgomeryOne
        for index in 0..<16 {
            for limb in 0..<k { table[index * k + limb] = entry[limb] }
            entry = multiply(entry, montgomeryBase)
        }
        var accumulator = montgomeryOne
        var selected = Limbs(repeating: 0, count: k)
        for limb in exponent.reversed() {
            for shift in stride(from: 60, through: 0, by: -4) {
                for _ in 0..<4 { accumulator = square(accumulator) }
                let window = (limb >> UInt64(shift)) & 0xF
                table.withUnsafeBufferPointer { table in
                    selected.withUnsafeMutableBufferPointer { selected in
                        for index in 0..<k { selected[index] = 0 }
                        for candidate in 0..<16 {
                            let difference = UInt64(candidate) ^ window
                            let mask = Self.mask(((difference | (0 &- difference)) >> 63) ^ 1)
                            let offset = candidate * k
                            for index in 0..<k { selected[index] |= table[offset + index] & mask }
                        }
                    }
                }
                accumulator = multiply(accumulator, selected)
            }
        }
        return fromMontgomery(accumulator)
    }

    /// a²·R⁻¹ mod m: the cross products once and doubled, the squares added, then Montgomery
    /// reduction (about a quarter fewer multiplications than `multiply(a, a)`). Branch-free.
    func square(_ a: Limbs) -> Limbs {
        let k = count
        precondition(a.count == k, "the operand must have the modulus's limb count")
        return Limbs(unsafeUninitializedCapacity: k) { output, initialized in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * k) { t in
                t.initialize(repeating: 0)
                a.withUnsafeBufferPointer { a in
                    modulus.withUnsafeBufferPointer { m in
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
                        var borrow: UInt64 = 0
                        for j in 0..<k {
                            let (d1, o1) = t[k + j].subtractingReportingOverflow(m[j])
                            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
                            output[j] = d2
                            borrow = (o1 ? 1 : 0) | (o2 ? 1 : 0)
                        }
                        let keep = Self.mask((1 ^ borrow) | (extra & 1))
                        for j in 0..<k { output[j] = (output[j] & keep) | (t[k + j] & ~keep) }
                    }
                }
            }
            initialized = k
        }
    }

    /// `value` mod m for a number of any limb count: folded `count` limbs at a time from the top,
    /// each step acc·R + chunk (every operand stays below R, so the masked reduction suffices).
    func reduce(_ value: Limbs) -> Limbs {
        var one = Limbs(repeating: 0, count: count)
        one[0] = 1
        var accumulator = Limbs(repeating: 0, count: count)
        let chunks = (value.count + count - 1) / count
        for chunk in (0..<chunks).reversed() {
            var part = Limbs(repeating: 0, count: count)
            for index in 0..<count where chunk * count + index < value.count {
                part[index] = value[chunk * count + index]
            }
            let shifted = multiply(accumulator, rSquared)  // acc·R mod m
            accumulator = add(shifted, multiply(multiply(part, rSquared), one))  // + (part mod m)
        }
        return accumulator
    }

    /// `value` mod a one-limb `divisor` (Horner over the limbs, from the top).
    static func remainder(_ value: Limbs, modulo divisor: UInt64) -> UInt64 {
        var remainder: UInt64 = 0
        for limb in value.reversed() { remainder = divisor.dividingFullWidth((remainder, limb)).remainder }
        return remainder
    }

    /// Every limb as big-endian bytes (8 per limb, leading zeros kept).
    static func bigEndianBytes(_ limbs: Limbs) -> [UInt8] { bigEndianBytes(limbs, length: limbs.count * 8) }

    /// a·b as a plain product of `a.count + b.count` limbs (schoolbook, fixed loops).
    static func product(_ a: Limbs, _ b: Limbs) -> Limbs {
        var result = Limbs(repeating: 0, count: a.count + b.count)
        for i in 0..<b.count {
            var carry: UInt64 = 0
            for j in 0..<a.count {
                (carry, result[i + j]) = multiplyAdd(a[j], b[i], result[i + j], carry)
            }
            result[i + a.count] = carry
        }
        return result
    }
}
