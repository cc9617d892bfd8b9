/// What private-key operations add to the Montgomery arithmetic: an exponentiation whose exponent is
/// secret (fixed 4-bit windows, every window multiplied, the table read whole), reduction of a
/// longer number, and plain multiplication. All branch-free in the values, as the rest of the type.
extension MontgomeryModulus {
    /// base^exponent mod m with a secret `exponent` (little-endian limbs, any count): the time and
    /// the memory touched depend only on the limb counts.
    func powerSecret(_ base: Limbs, _ exponent: Limbs) -> Limbs {
        let montgomeryBase = toMontgomery(base)
        var table = [montgomeryOne, montgomeryBase]
        table.reserveCapacity(16)
        for index in 2..<16 { table.append(multiply(table[index - 1], montgomeryBase)) }
        var accumulator = montgomeryOne
        var selected = Limbs(repeating: 0, count: count)
        for limb in exponent.reversed() {
            for shift in stride(from: 60, through: 0, by: -4) {
                for _ in 0..<4 { accumulator = multiply(accumulator, accumulator) }
                let window = (limb >> UInt64(shift)) & 0xF
                for index in selected.indices { selected[index] = 0 }
                for (entry, value) in table.enumerated() {
                    let difference = UInt64(entry) ^ window
                    let equal = ((difference | (0 &- difference)) >> 63) ^ 1
                    let mask = Self.mask(equal)
                    for index in selected.indices { selected[index] |= value[index] & mask }
                }
                accumulator = multiply(accumulator, selected)
            }
        }
        return fromMontgomery(accumulator)
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
