extension P256 {
    /// An ECDSA P-256 public key, validated to lie on the curve.
    ///
    /// ```swift
    /// let key = try P256.PublicKey(x: xBytes, y: yBytes)          // a JWK's "x" and "y"
    /// let valid = key.isValidSHA256Signature(try .init(rawRepresentation: sig), for: input)
    /// ```
    public struct PublicKey: Sendable {
        let point: AffinePoint

        /// From the 32-byte big-endian coordinates (a JWK's `x` and `y`).
        public init<X: Collection, Y: Collection>(x: X, y: Y) throws where X.Element == UInt8, Y.Element == UInt8 {
            guard x.count == 32, y.count == 32,
                let xLimbs = MontgomeryModulus.limbs(bigEndian: x, count: 4),
                let yLimbs = MontgomeryModulus.limbs(bigEndian: y, count: 4)
            else { throw PublicKeyError.invalidEncoding }
            // P-256 has prime order: on the curve means in the group, no cofactor check needed.
            guard AffinePoint.isOnCurve(x: xLimbs, y: yLimbs) else { throw PublicKeyError.pointNotOnCurve }
            point = AffinePoint(x: xLimbs, y: yLimbs)
        }

        /// The 65-byte uncompressed SEC 1 encoding `04 ‖ x ‖ y` (a JWK's `x` and `y` are bytes 1–32, 33–64).
        public var x963Representation: [UInt8] {
            [0x04] + MontgomeryModulus.bigEndianBytes(point.x, length: 32)
                + MontgomeryModulus.bigEndianBytes(point.y, length: 32)
        }

        /// From the 65-byte uncompressed SEC 1 encoding `04 ‖ x ‖ y`.
        public init<Bytes: Collection>(x963Representation bytes: Bytes) throws where Bytes.Element == UInt8 {
            let bytes = Array(bytes)
            guard bytes.count == 65, bytes[0] == 0x04 else { throw PublicKeyError.invalidEncoding }
            try self.init(x: bytes[1..<33], y: bytes[33..<65])
        }

        /// Verifies an ECDSA signature with SHA-256 over `message` (FIPS 186-5 §6.4.2).
        public func isValidSHA256Signature<Message: Collection>(
            _ signature: ECDSASignature, for message: Message
        ) -> Bool where Message.Element == UInt8 {
            isValidSignature(signature, sha256Digest: SHA256.hash(data: message))
        }

        /// Verifies an ECDSA signature over a SHA-256 digest.
        public func isValidSignature(_ signature: ECDSASignature, sha256Digest digest: Digest) -> Bool {
            let n = P256.order
            guard digest.byteCount == 32,
                let r = MontgomeryModulus.limbs(bigEndian: signature.r, count: 4),
                let s = MontgomeryModulus.limbs(bigEndian: signature.s, count: 4),
                !MontgomeryModulus.isZero(r), MontgomeryModulus.less(r, n.modulus),
                !MontgomeryModulus.isZero(s), MontgomeryModulus.less(s, n.modulus),
                let digestValue = MontgomeryModulus.limbs(bigEndian: digest.bytes, count: 4)
            else { return false }
            // e < 2²⁵⁶ < 2n: subtracting n modulo n (kept when it borrows) reduces it.
            let e = n.subtract(digestValue, n.modulus)
            let w = n.inversePrime(s)
            let u1 = n.multiplyPlain(e, w)
            let u2 = n.multiplyPlain(r, w)
            let sum = P256.linearCombination(u1, JacobianPoint(P256.generator), u2, JacobianPoint(point))
            guard let x = sum.affineX else { return false }
            // x < p < 2n: reduced the same way.
            return n.subtract(x, n.modulus) == r
        }
    }

    /// An ECDSA signature (r, s), each kept as 32 big-endian bytes.
    public struct ECDSASignature: Sendable, Equatable {
        public let r: [UInt8]
        public let s: [UInt8]

        /// The JWS form (RFC 7518 §3.4): exactly 64 bytes, `r ‖ s`.
        public init<Bytes: Collection>(rawRepresentation bytes: Bytes) throws where Bytes.Element == UInt8 {
            let bytes = Array(bytes)
            guard bytes.count == 64 else { throw PublicKeyError.invalidEncoding }
            r = Array(bytes[0..<32])
            s = Array(bytes[32..<64])
        }

        /// The X9.62 DER form `SEQUENCE { INTEGER r, INTEGER s }`, strictly (minimal lengths and
        /// integers, no trailing bytes), as `openssl dgst -sign` writes it.
        public init<Bytes: Collection>(derRepresentation bytes: Bytes) throws where Bytes.Element == UInt8 {
            let bytes = Array(bytes)
            guard bytes.count >= 8, bytes[0] == 0x30, Int(bytes[1]) == bytes.count - 2, bytes[1] < 0x80 else {
                throw PublicKeyError.invalidEncoding
            }
            var index = 2
            func integer() throws -> [UInt8] {
                guard index + 2 <= bytes.count, bytes[index] == 0x02 else { throw PublicKeyError.invalidEncoding }
                let length = Int(bytes[index + 1])
                index += 2
                guard (1...33).contains(length), index + length <= bytes.count else {
                    throw PublicKeyError.invalidEncoding
                }
                let value = Array(bytes[index..<index + length])
                index += length
                // Positive and minimal: no sign bit set, no needless leading zero.
                guard value[0] & 0x80 == 0, !(value.count > 1 && value[0] == 0 && value[1] & 0x80 == 0) else {
                    throw PublicKeyError.invalidEncoding
                }
                let trimmed = Array(value.drop { $0 == 0 })
                guard trimmed.count <= 32 else { throw PublicKeyError.invalidEncoding }
                return [UInt8](repeating: 0, count: 32 - trimmed.count) + trimmed
            }
            r = try integer()
            s = try integer()
            guard index == bytes.count else { throw PublicKeyError.invalidEncoding }
        }

        /// `r ‖ s`, 64 bytes.
        public var rawRepresentation: [UInt8] { r + s }

        /// The X9.62 DER form, as `openssl dgst -verify` reads it.
        public var derRepresentation: [UInt8] {
            func integer(_ value: [UInt8]) -> [UInt8] {
                var trimmed = Array(value.drop { $0 == 0 })
                if trimmed.isEmpty || trimmed[0] & 0x80 != 0 { trimmed.insert(0, at: 0) }
                return [0x02, UInt8(trimmed.count)] + trimmed
            }
            let body = integer(r) + integer(s)
            return [0x30, UInt8(body.count)] + body
        }
    }
}
