extension KDF {
    /// PBKDF2 (RFC 8018) with HMAC-SHA256 or HMAC-SHA512.
    ///
    /// Each iteration is exactly two compression-function calls: the HMAC pads are absorbed once and
    /// the fixed-size inner and outer blocks are preformatted, so only the chaining value changes.
    public enum PBKDF2 {
        /// The pseudo-random function's hash.
        public enum HashFunction: Sendable {
            case sha256
            case sha512
        }

        /// Derives `outputByteCount` bytes from `password` and `salt` with `rounds` iterations.
        /// - Throws: ``KDFError/invalidParameter(_:)`` when `rounds` or `outputByteCount` is below 1.
        public static func deriveKey<Password: Sequence, Salt: Sequence>(
            from password: Password, salt: Salt, using hash: HashFunction,
            outputByteCount: Int, rounds: Int
        ) throws(KDFError) -> [UInt8] where Password.Element == UInt8, Salt.Element == UInt8 {
            guard rounds >= 1 else { throw .invalidParameter("rounds must be at least 1") }
            guard outputByteCount >= 1, outputByteCount <= 1 << 30 else {
                throw .invalidParameter("outputByteCount must be between 1 and 2^30")
            }
            let key = SymmetricKey(data: password)
            let salt = Array(salt)
            switch hash {
            case .sha256:
                return derive(HMAC<SHA256>(key: key), salt, outputByteCount, rounds, iterate: iterateSHA256)
            case .sha512:
                return derive(HMAC<SHA512>(key: key), salt, outputByteCount, rounds, iterate: iterateSHA512)
            }
        }

        /// The block loop of RFC 8018 §5.2: T_i = U_1 ^ U_2 ^ ... ^ U_c.
        private static func derive<H>(
            _ prf: HMAC<H>, _ salt: [UInt8], _ outputByteCount: Int, _ rounds: Int,
            iterate: (HMAC<H>, [UInt8], Int) -> [UInt8]
        ) -> [UInt8] {
            var output = [UInt8]()
            output.reserveCapacity(outputByteCount)
            var blockIndex: UInt32 = 1
            while output.count < outputByteCount {
                var first = prf
                first.update(data: salt)
                first.update(data: [
                    UInt8(blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                    UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex),
                ])
                let block = iterate(prf, first.finalize().bytes, rounds)
                output.append(contentsOf: block.prefix(outputByteCount - output.count))
                blockIndex &+= 1
            }
            return output
        }

        /// U_2 ... U_c for HMAC-SHA256 on preformatted 64-byte blocks, XORed into U_1.
        private static func iterateSHA256(_ prf: HMAC<SHA256>, _ u1: [UInt8], _ rounds: Int) -> [UInt8] {
            let innerStart = prf.inner.state
            let outerStart = prf.outer.state
            return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64 + 8) { scratch in
                let w = scratch.baseAddress!
                let t = w + 64
                for i in 0..<8 {
                    let word = u1.withUnsafeBytes {
                        UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    }
                    w[i] = word
                    t[i] = word
                }
                // Both HMAC blocks carry a 32-byte message after one 64-byte key block: 768 bits.
                // The schedule expansion only writes w[16...], so this padding survives every call.
                w[8] = 0x8000_0000
                for i in 9..<15 { w[i] = 0 }
                w[15] = (64 + 32) * 8
                for _ in 1..<rounds {
                    var inner = innerStart
                    SHA256.compressScheduled(&inner, w)
                    inner.store(into: w)
                    var outer = outerStart
                    SHA256.compressScheduled(&outer, w)
                    outer.store(into: w)
                    for i in 0..<8 { t[i] ^= w[i] }
                }
                var out = [UInt8](repeating: 0, count: 32)
                for i in 0..<8 {
                    out.withUnsafeMutableBytes {
                        $0.storeBytes(of: t[i].bigEndian, toByteOffset: i * 4, as: UInt32.self)
                    }
                }
                return out
            }
        }

        /// U_2 ... U_c for HMAC-SHA512 on preformatted 128-byte blocks, XORed into U_1.
        private static func iterateSHA512(_ prf: HMAC<SHA512>, _ u1: [UInt8], _ rounds: Int) -> [UInt8] {
            let innerStart = prf.inner.state
            let outerStart = prf.outer.state
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 80 + 8) { scratch in
                let w = scratch.baseAddress!
                let t = w + 80
                for i in 0..<8 {
                    let word = u1.withUnsafeBytes {
                        UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                    }
                    w[i] = word
                    t[i] = word
                }
                // A 64-byte message after one 128-byte key block: 1536 bits.
                w[8] = 0x8000_0000_0000_0000
                for i in 9..<15 { w[i] = 0 }
                w[15] = (128 + 64) * 8
                for _ in 1..<rounds {
                    var inner = innerStart
                    SHA512.compressScheduled(&inner, w)
                    inner.store(into: w)
                    var outer = outerStart
                    SHA512.compressScheduled(&outer, w)
                    outer.store(into: w)
                    for i in 0..<8 { t[i] ^= w[i] }
                }
                var out = [UInt8](repeating: 0, count: 64)
                for i in 0..<8 {
                    out.withUnsafeMutableBytes {
                        $0.storeBytes(of: t[i].bigEndian, toByteOffset: i * 8, as: UInt64.self)
                    }
                }
                return out
            }
        }
    }
}
