/// What private-key operations add to the Montgomery arithmetic: an exponentiation whose exponent is
/// secret (fixed 4-bit windows, every window multiplied, the table read whole), reduction of a
/// longer number, and plain multiplication. All branch-free in the values, as the rest of the type.
extension MontgomeryModulus {
    /// base^exponent mod m with a secret `exponent` (little-endian limbs, any count): the time and
    /// the memory touched depend only on the limb counts. One buffer holds the 16 window values,
    /// the accumulator, the selected value and the scratch: the loop allocates nothing.
    func powerSecret(_ base: Limbs, _ exponent: Limbs) -> Limbs {
        let k = count
        let montgomeryBase = toMontgomery(base)
        let one = montgomeryOne
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 20 * k) { buffer in
            let memory = buffer.baseAddress!
            memory.initialize(repeating: 0, count: 20 * k)
            // The 16 window values side by side, read whole for every window.
            let table = memory, accumulator = memory + 16 * k, selected = memory + 17 * k
            let scratch = memory + 18 * k
            modulus.withUnsafeBufferPointer { m in
                let m = m.baseAddress!
                for limb in 0..<k { table[limb] = one[limb] }
                montgomeryBase.withUnsafeBufferPointer { b in
                    for index in 1..<16 {
                        multiply(
                            into: table + index * k, table + (index - 1) * k, b.baseAddress!, modulus: m,
                            scratch: scratch)
                    }
                }
                for limb in 0..<k { accumulator[limb] = one[limb] }
                for limb in exponent.reversed() {
                    for shift in stride(from: 60, through: 0, by: -4) {
                        for _ in 0..<4 { square(into: accumulator, accumulator, modulus: m, scratch: scratch) }
                        Self.selectWindow((limb >> UInt64(shift)) & 0xF, from: table, into: selected, count: k)
                        multiply(into: accumulator, accumulator, selected, modulus: m, scratch: scratch)
                    }
                }
            }
            let result = Limbs(UnsafeBufferPointer(start: accumulator, count: k))
            memory.update(repeating: 0, count: 20 * k)  // secrets do not outlive the call on the stack
            return fromMontgomery(result)
        }
    }

    /// a²·R⁻¹ mod m: the cross products once and doubled, the squares added, then Montgomery
    /// reduction (about a quarter fewer multiplications than `multiply(a, a)`). Branch-free.
    func square(_ a: Limbs) -> Limbs {
        let k = count
        precondition(a.count == k, "the operand must have the modulus's limb count")
        return Limbs(unsafeUninitializedCapacity: k) { output, initialized in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * k) { t in
                a.withUnsafeBufferPointer { a in
                    modulus.withUnsafeBufferPointer { m in
                        square(
                            into: output.baseAddress!, a.baseAddress!, modulus: m.baseAddress!, scratch: t.baseAddress!)
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
