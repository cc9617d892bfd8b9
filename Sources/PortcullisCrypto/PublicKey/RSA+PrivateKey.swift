import Synchronization

extension RSA {
    /// An RSA private key for RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2).
    ///
    /// Signing uses the CRT with constant-time exponentiation (fixed windows, tables read whole),
    /// and **blinding**: the message representative is multiplied by rᵉ before the private
    /// operation and by r⁻¹ after, so its timing is independent of what is signed. Every signature
    /// is verified with the public key before it is returned (a fault never leaks a factor).
    ///
    /// ```swift
    /// let key = RSA.PrivateKey.generate(bits: 2048)
    /// let signature = try key.pkcs1v15SHA256Signature(for: Array(signingInput.utf8))
    /// let pem = key.pkcs8PEM
    /// ```
    public struct PrivateKey: Sendable {
        public let publicKey: RSA.PublicKey
        let modulus: [UInt8]
        let publicExponent: [UInt8]
        let privateExponent: [UInt8]
        let p: MontgomeryModulus
        let q: MontgomeryModulus
        let dp: [UInt64]
        let dq: [UInt64]
        let qInverse: [UInt64]
        let blinding: Blinding

        /// Builds a key from its PKCS #1 parts (big-endian); the parts are checked by signing and
        /// verifying once.
        init(
            modulus n: [UInt8], publicExponent e: [UInt8], privateExponent d: [UInt8], prime1: [UInt8],
            prime2: [UInt8], exponent1: [UInt8], exponent2: [UInt8], coefficient: [UInt8]
        ) throws(PublicKeyError) {
            let trimmed = { (bytes: [UInt8]) in Array(bytes.drop { $0 == 0 }) }
            do { publicKey = try RSA.PublicKey(modulus: n, exponent: e) } catch {
                throw error as? PublicKeyError ?? .invalidEncoding
            }
            let limbs = { (bytes: [UInt8]) -> [UInt64]? in
                MontgomeryModulus.limbs(bigEndian: trimmed(bytes), count: max(1, (trimmed(bytes).count + 7) / 8))
            }
            guard let pLimbs = limbs(prime1), let qLimbs = limbs(prime2), let p = MontgomeryModulus(pLimbs),
                let q = MontgomeryModulus(qLimbs), let dp = limbs(exponent1), let dq = limbs(exponent2),
                let qInverse = MontgomeryModulus.limbs(bigEndian: trimmed(coefficient), count: p.count),
                MontgomeryModulus.less(qInverse, p.modulus)
            else { throw .invalidEncoding }
            modulus = trimmed(n)
            publicExponent = trimmed(e)
            privateExponent = trimmed(d)
            self.p = p
            self.q = q
            self.dp = dp
            self.dq = dq
            self.qInverse = qInverse
            blinding = Blinding()
            // A key whose parts do not belong together cannot sign: refused here, not at first use.
            _ = try pkcs1v15Signature(sha256Digest: SHA256.hash(data: Array("portcullis key check".utf8)))
        }

        /// The modulus size in bits.
        public var bitCount: Int { modulus.count * 8 - (modulus.first?.leadingZeroBitCount ?? 0) }

        /// The public key as a JWK's `n` and `e` (big-endian, no leading zeros).
        public var jwkModulus: [UInt8] { modulus }
        public var jwkExponent: [UInt8] { publicExponent }

        /// Signs `message` with RSASSA-PKCS1-v1_5 and SHA-256 (RS256).
        public func pkcs1v15SHA256Signature<Message: Collection>(
            for message: Message
        ) throws(PublicKeyError) -> [UInt8] where Message.Element == UInt8 {
            try pkcs1v15Signature(sha256Digest: SHA256.hash(data: message))
        }

        /// Signs a SHA-256 digest; the signature is verified before it is returned.
        public func pkcs1v15Signature(sha256Digest digest: Digest) throws(PublicKeyError) -> [UInt8] {
            let length = publicKey.byteCount
            let encoded = RSA.PublicKey.expectedEncoding(digest: digest.bytes, length: length)
            let n = publicKey.arithmetic
            guard let message = n.limbs(bigEndian: encoded) else { throw .invalidEncoding }
            let (factor, inverse) = blinding.next(for: self)
            let blinded = n.multiplyPlain(message, factor)
            let signature = n.multiplyPlain(privateOperation(blinded), inverse)
            let bytes = MontgomeryModulus.bigEndianBytes(signature, length: length)
            guard publicKey.isValidPKCS1v15Signature(bytes, sha256Digest: digest) else { throw .invalidEncoding }
            return bytes
        }

        /// c^d mod n by the CRT: c^dp mod p, c^dq mod q, recombined (Garner).
        func privateOperation(_ c: [UInt64]) -> [UInt64] {
            guard p.count == q.count else {
                return recombine(p.powerSecret(p.reduce(c), dp), q.powerSecret(q.reduce(c), dq))
            }
            // The usual case (primes of equal size): both halves in one interleaved pass.
            let (mp, mq) = MontgomeryModulus.powerSecretPair(p, p.reduce(c), dp, q, q.reduce(c), dq)
            return recombine(mp, mq)
        }

        /// The x < n with x ≡ mp (mod p) and x ≡ mq (mod q): mq + q·((mp − mq)·q⁻¹ mod p).
        func recombine(_ mp: [UInt64], _ mq: [UInt64]) -> [UInt64] {
            let h = p.multiplyPlain(p.subtract(mp, p.reduce(mq)), qInverse)
            var result = MontgomeryModulus.product(h, q.modulus)
            var addend = [UInt64](repeating: 0, count: result.count)
            for index in mq.indices { addend[index] = mq[index] }
            MontgomeryModulus.add(&result, addend)
            let count = publicKey.arithmetic.count
            var fitted = [UInt64](repeating: 0, count: count)
            for index in 0..<min(count, result.count) { fitted[index] = result[index] }
            return fitted
        }

        /// r⁻¹ mod n, from r^(p−2) mod p and r^(q−2) mod q (n is not prime; its factors are).
        func inverse(_ r: [UInt64]) -> [UInt64] {
            func fermat(_ field: MontgomeryModulus) -> [UInt64] {
                var exponent = field.modulus
                var two = [UInt64](repeating: 0, count: field.count)
                two[0] = 2
                MontgomeryModulus.subtract(&exponent, two)
                return field.powerSecret(field.reduce(r), exponent)
            }
            return recombine(fermat(p), fermat(q))
        }
    }

    /// A blinding pair (rᵉ, r⁻¹) per key, squared after each use (both stay a matching pair) and
    /// drawn afresh every 32 uses, as OpenSSL does: a fresh pair costs two exponentiations.
    final class Blinding: Sendable {
        struct Pair {
            var factor: [UInt64]
            var inverse: [UInt64]
            var uses: Int
        }

        private let pair = Mutex<Pair?>(nil)
        static let refresh = 32

        func next(for key: PrivateKey) -> (factor: [UInt64], inverse: [UInt64]) {
            let n = key.publicKey.arithmetic
            if let current = pair.withLock({ state -> Pair? in
                guard var current = state, current.uses < Self.refresh else { return nil }
                let used = current
                current.factor = n.multiplyPlain(current.factor, current.factor)
                current.inverse = n.multiplyPlain(current.inverse, current.inverse)
                current.uses += 1
                state = current
                return used
            }) {
                return (current.factor, current.inverse)
            }
            let fresh = Self.draw(for: key)
            pair.withLock {
                $0 = Pair(
                    factor: n.multiplyPlain(fresh.factor, fresh.factor),
                    inverse: n.multiplyPlain(fresh.inverse, fresh.inverse), uses: 1)
            }
            return fresh
        }

        static func draw(for key: PrivateKey) -> (factor: [UInt64], inverse: [UInt64]) {
            let n = key.publicKey.arithmetic
            while true {
                // One byte shorter than n: below it, and nonzero with overwhelming probability.
                let bytes = SecureRandom.bytes(count: key.publicKey.byteCount - 1)
                guard let r = MontgomeryModulus.limbs(bigEndian: bytes, count: n.count), !MontgomeryModulus.isZero(r)
                else { continue }
                return (n.power(r, key.publicExponent), key.inverse(r))
            }
        }
    }
}
