extension P256 {
    /// scalar·point for a secret scalar (1 ≤ scalar < n): a Montgomery ladder with branch-free
    /// swaps over a fixed 257-bit form of the scalar, so timing and memory access do not depend on it.
    ///
    /// The scalar is lifted to k + n or k + 2n, whichever has bit 256 set (both give the same point),
    /// so the ladder always starts from (P, 2P) and runs 256 identical steps. The add formula is not
    /// complete; the lifted scalar's prefixes reach n − 1 or n (a point at infinity in the ladder)
    /// exactly when k ∈ {1, n − 2, n − 1}, so callers pass only scalars with `isLadderSafe`.
    static func multiplySecret(_ scalar: [UInt64], _ point: AffinePoint) -> JacobianPoint {
        let f = field
        let n = order.modulus
        var plusN = scalar
        let carry1 = MontgomeryModulus.add(&plusN, n)
        // k + 2n always carries into bit 256 and stays below 2²⁵⁷ when k + n did not carry, so the
        // carry out is implied; carry1 = 1 means k + n itself has bit 256 set.
        var plusTwoN = plusN
        MontgomeryModulus.add(&plusTwoN, n)
        let lifted = MontgomeryModulus.select(carry1, plusTwoN, plusN)

        var r0 = JacobianPoint(x: f.toMontgomery(point.x), y: f.toMontgomery(point.y), z: field.montgomeryOne)
        var r1 = r0.doubled()
        for bit in stride(from: 255, through: 0, by: -1) {
            let b = (lifted[bit / 64] >> UInt64(bit % 64)) & 1
            MontgomeryModulus.conditionalSwap(b, &r0.x, &r1.x)
            MontgomeryModulus.conditionalSwap(b, &r0.y, &r1.y)
            MontgomeryModulus.conditionalSwap(b, &r0.z, &r1.z)
            r1 = r0.addingDistinct(r1)
            r0 = r0.doubled()
            MontgomeryModulus.conditionalSwap(b, &r0.x, &r1.x)
            MontgomeryModulus.conditionalSwap(b, &r0.y, &r1.y)
            MontgomeryModulus.conditionalSwap(b, &r0.z, &r1.z)
        }
        return r0
    }

    /// 1 when 2 ≤ k ≤ n − 3 (the scalars the ladder handles), else 0; branch-free.
    static func isLadderSafe(_ k: [UInt64]) -> UInt64 {
        var one: [UInt64] = [0, 0, 0, 0]
        one[0] = 1
        var nMinusTwo = order.modulus
        MontgomeryModulus.subtract(&nMinusTwo, [2, 0, 0, 0])
        return MontgomeryModulus.lessBit(one, k) & MontgomeryModulus.lessBit(k, nMinusTwo)
    }

    /// Plain affine (x, y) of a finite point (the inversion of Z is a fixed chain: constant time).
    static func affine(_ point: JacobianPoint) -> (x: [UInt64], y: [UInt64]) {
        let f = field
        let zInverse = f.inversePrime(f.fromMontgomery(point.z))
        let zInverseSquared = f.multiplyPlain(zInverse, zInverse)
        let x = f.multiplyPlain(f.fromMontgomery(point.x), zInverseSquared)
        let y = f.multiplyPlain(f.fromMontgomery(point.y), f.multiplyPlain(zInverseSquared, zInverse))
        return (x, y)
    }

    /// An ECDSA P-256 private key; signing runs in constant time with respect to the key and nonce.
    ///
    /// ```swift
    /// let key = try P256.PrivateKey(pemRepresentation: contentsOfAppleP8File)
    /// let signature = key.sha256Signature(for: Array(signingInput.utf8))   // JWS: signature.rawRepresentation
    /// ```
    public struct PrivateKey: Sendable {
        let scalar: [UInt64]
        /// The matching public key (d·G).
        public let publicKey: PublicKey

        /// A new random key.
        public init() {
            while true {
                if let key = try? PrivateKey(rawRepresentation: SecureRandom.bytes(count: 32)) {
                    self = key
                    return
                }
            }
        }

        /// From the 32-byte big-endian scalar d, 2 ≤ d ≤ n − 3. The three other nonzero scalars
        /// (1, n − 2, n − 1: public keys ±G and −2G, trivially broken) are refused.
        public init<Bytes: Collection>(rawRepresentation bytes: Bytes) throws where Bytes.Element == UInt8 {
            guard bytes.count == 32, let d = MontgomeryModulus.limbs(bigEndian: bytes, count: 4) else {
                throw PublicKeyError.invalidEncoding
            }
            // Reveals only whether the key is valid, never which bits it has.
            guard P256.isLadderSafe(d) == 1 else { throw PublicKeyError.invalidEncoding }
            let point = P256.affine(P256.multiplySecret(d, P256.generator))
            scalar = d
            publicKey = try PublicKey(
                x: MontgomeryModulus.bigEndianBytes(point.x, length: 32),
                y: MontgomeryModulus.bigEndianBytes(point.y, length: 32))
        }

        /// From PEM: PKCS#8 `PRIVATE KEY` (Apple's `.p8` files, `openssl genpkey`) or SEC 1 `EC PRIVATE KEY`.
        public init(pemRepresentation pem: String) throws {
            let der = try PEM.decode(pem)
            try self.init(
                rawRepresentation: try ECPrivateKeyDER.scalar(from: der.bytes, pkcs8: der.label == "PRIVATE KEY"))
        }

        /// The 32-byte big-endian scalar. Secret.
        public var rawRepresentation: [UInt8] { MontgomeryModulus.bigEndianBytes(scalar, length: 32) }

        /// Signs SHA-256(`message`) with a fresh random nonce (FIPS 186-5 §6.4.1).
        public func sha256Signature<Message: Collection>(for message: Message) -> ECDSASignature
        where Message.Element == UInt8 {
            signature(sha256Digest: SHA256.hash(data: message))
        }

        /// Signs a SHA-256 digest. Each signature is checked with the public key before it is
        /// returned, so an arithmetic fault can never leak a wrong signature (and with it the key).
        /// - Precondition: `digest` is 32 bytes (a SHA-256 digest); anything else is a programming error.
        public func signature(sha256Digest digest: Digest) -> ECDSASignature {
            precondition(digest.byteCount == SHA256.byteCount, "ES256 signs a SHA-256 digest")
            let n = P256.order
            // e < 2²⁵⁶ < 2n and x < p < 2n: subtracting n modulo n reduces each, branch-free.
            let e = n.subtract(MontgomeryModulus.limbs(bigEndian: digest.bytes, count: 4)!, n.modulus)
            for _ in 0..<64 {
                // Rejection sampling gives a uniform nonce; a rejected draw says nothing about the next.
                guard let k = MontgomeryModulus.limbs(bigEndian: SecureRandom.bytes(count: 32), count: 4),
                    P256.isLadderSafe(k) == 1
                else { continue }
                let x = P256.affine(P256.multiplySecret(k, P256.generator)).x
                let r = n.subtract(x, n.modulus)
                // r is public from here on.
                if MontgomeryModulus.isZero(r) { continue }
                let s = n.multiplyPlain(n.inversePrime(k), n.add(e, n.multiplyPlain(r, scalar)))
                if MontgomeryModulus.isZero(s) { continue }
                let signature = try! ECDSASignature(
                    rawRepresentation:
                        MontgomeryModulus.bigEndianBytes(r, length: 32)
                        + MontgomeryModulus.bigEndianBytes(s, length: 32))
                if publicKey.isValidSignature(signature, sha256Digest: digest) { return signature }
            }
            // 64 failures in a row cannot happen with working arithmetic and randomness.
            fatalError("P-256 signing failed its self-check 64 times")
        }
    }
}
