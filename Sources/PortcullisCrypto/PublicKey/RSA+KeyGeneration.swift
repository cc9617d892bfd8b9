extension RSA.PrivateKey {
    /// The public exponent of generated keys (F4).
    public static let generatedExponent: UInt64 = 65_537

    /// A new key of `bits` (2048, 3072 or 4096): two random primes of `bits/2` bits each with their
    /// top two bits set (so n has exactly `bits` bits), each passing trial division and the
    /// Miller–Rabin rounds FIPS 186-5 Table B.1 asks for, with p − 1 and q − 1 prime to e and
    /// |p − q| > 2^(bits/2 − 100) (§A.1.3). The exponentiations on secret values run in constant time.
    public static func generate(bits: Int = 2048) -> RSA.PrivateKey {
        precondition([2048, 3072, 4096].contains(bits), "RSA keys are 2048, 3072 or 4096 bits")
        while true {
            let p = randomPrime(bits: bits / 2)
            let q = randomPrime(bits: bits / 2)
            // |p − q| must not be small: their top 100 bits may not all agree.
            let topLimb = p.count - 1
            guard p[topLimb] >> 14 != q[topLimb] >> 14 || p[topLimb - 1] != q[topLimb - 1] else { continue }
            let (larger, smaller) = MontgomeryModulus.less(p, q) ? (q, p) : (p, q)
            if let key = try? assemble(p: larger, q: smaller) { return key }
        }
    }

    /// The key with primes `p` > `q` and e = 65537: d, dp, dq and q⁻¹ mod p computed here.
    static func assemble(p: [UInt64], q: [UInt64]) throws(PublicKeyError) -> RSA.PrivateKey {
        let e = generatedExponent
        var pMinusOne = p
        var qMinusOne = q
        pMinusOne[0] -= 1  // p and q are odd: no borrow
        qMinusOne[0] -= 1
        let phi = MontgomeryModulus.product(pMinusOne, qMinusOne)
        guard let d = inverseOfSmall(e, modulo: phi), let dp = inverseOfSmall(e, modulo: pMinusOne),
            let dq = inverseOfSmall(e, modulo: qMinusOne), let pField = MontgomeryModulus(p)
        else { throw .invalidExponent }
        var pMinusTwo = p
        pMinusTwo[0] -= 2
        let qInverse = pField.powerSecret(pField.reduce(q), pMinusTwo)
        let n = MontgomeryModulus.product(p, q)
        let bytes = { (limbs: [UInt64]) in MontgomeryModulus.bigEndianBytes(limbs) }
        return try RSA.PrivateKey(
            modulus: bytes(n), publicExponent: bytes([e]), privateExponent: bytes(d), prime1: bytes(p),
            prime2: bytes(q), exponent1: bytes(dp), exponent2: bytes(dq), coefficient: bytes(qInverse))
    }

    /// e⁻¹ mod m for a small prime e: with t = (−m)⁻¹ mod e, (1 + t·m) is divisible by e and the
    /// quotient is the inverse (below m). `nil` when e divides m. Loops are fixed in the limb count.
    static func inverseOfSmall(_ e: UInt64, modulo m: [UInt64]) -> [UInt64]? {
        let remainder = MontgomeryModulus.remainder(m, modulo: e)
        guard remainder != 0 else { return nil }
        // (−m)⁻¹ mod e by Fermat (e is prime).
        var t: UInt64 = 1
        var base = e - remainder
        var exponent = e - 2
        while exponent > 0 {
            if exponent & 1 == 1 { t = t * base % e }
            base = base * base % e
            exponent >>= 1
        }
        // 1 + t·m, then the exact division by e.
        var value = [UInt64](repeating: 0, count: m.count + 1)
        var carry: UInt64 = 1
        for index in m.indices { (carry, value[index]) = MontgomeryModulus.multiplyAdd(m[index], t, carry, 0) }
        value[m.count] = carry
        var rest: UInt64 = 0
        for index in value.indices.reversed() { (value[index], rest) = e.dividingFullWidth((rest, value[index])) }
        return Array(value.prefix(m.count))
    }

    /// Odd numbers below 2000 that are prime, for trial division.
    static let smallPrimes: [UInt64] = {
        var primes: [UInt64] = []
        for candidate in stride(from: UInt64(3), to: 2000, by: 2) where primes.allSatisfy({ candidate % $0 != 0 }) {
            primes.append(candidate)
        }
        return primes
    }()

    /// A random prime of exactly `bits` bits (a multiple of 64), top two bits set.
    static func randomPrime(bits: Int) -> [UInt64] {
        let count = bits / 64
        let rounds = bits >= 1536 ? 4 : 5  // FIPS 186-5 Table B.1, for primes of 1536 and 1024 bits
        while true {
            guard var candidate = MontgomeryModulus.limbs(bigEndian: SecureRandom.bytes(count: count * 8), count: count)
            else { continue }
            candidate[count - 1] |= 0xC000_0000_0000_0000
            candidate[0] |= 1
            guard smallPrimes.allSatisfy({ MontgomeryModulus.remainder(candidate, modulo: $0) != 0 }) else { continue }
            // e must not divide p − 1 (then d exists).
            var minusOne = candidate
            minusOne[0] -= 1
            guard inverseOfSmall(generatedExponent, modulo: minusOne) != nil else { continue }
            if isProbablePrime(candidate, rounds: rounds) { return candidate }
        }
    }

    /// Miller–Rabin with `rounds` random bases (FIPS 186-5 §B.3.1); the exponentiations are constant-time.
    static func isProbablePrime(_ candidate: [UInt64], rounds: Int) -> Bool {
        guard let field = MontgomeryModulus(candidate) else { return false }
        var d = candidate
        d[0] -= 1
        let minusOne = d
        var s = 0
        while d[0] & 1 == 0 {
            // Shift right by one across the limbs.
            for index in d.indices {
                d[index] = d[index] >> 1 | (index + 1 < d.count ? d[index + 1] << 63 : 0)
            }
            s += 1
        }
        var one = [UInt64](repeating: 0, count: candidate.count)
        one[0] = 1
        for _ in 0..<rounds {
            // A random base in [2, candidate − 2].
            var base = one
            while base == one || base == minusOne || MontgomeryModulus.isZero(base) {
                let bytes = SecureRandom.bytes(count: candidate.count * 8)
                base = field.reduce(MontgomeryModulus.limbs(bigEndian: bytes, count: candidate.count) ?? one)
            }
            var x = field.powerSecret(base, d)
            if x == one || x == minusOne { continue }
            var witness = true
            for _ in 1..<max(s, 1) {
                x = field.multiplyPlain(x, x)
                if x == minusOne {
                    witness = false
                    break
                }
            }
            if witness { return false }
        }
        return true
    }
}
