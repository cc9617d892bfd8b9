/// Comparisons whose running time does not depend on the contents being compared.
public enum ConstantTime {
    /// Compares two byte sequences in time that depends only on their lengths.
    ///
    /// A length mismatch returns early: lengths of MACs, digests and hashes are public.
    @inline(never)
    public static func equals<A: Collection, B: Collection>(_ lhs: A, _ rhs: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) {
            difference |= a ^ b
        }
        return isZero(difference)
    }

    /// Kept out of line so the optimiser cannot turn the accumulation above into an early exit.
    @inline(never)
    static func isZero(_ value: UInt8) -> Bool {
        // (value - 1) has its top bit set only when value == 0 (computed in a wider type).
        let wide = UInt32(value) &- 1
        return (wide >> 31) & 1 == 1
    }
}
