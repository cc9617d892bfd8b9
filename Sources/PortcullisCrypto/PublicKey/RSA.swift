/// RSA signature verification (RFC 8017), as needed for RS256 id_tokens (RFC 7518 §3.3).
///
/// ```swift
/// let key = try RSA.PublicKey(modulus: n, exponent: e)
/// let valid = key.isValidPKCS1v15SHA256Signature(signature, for: Array(signingInput.utf8))
/// ```
public enum RSA {
    /// An RSA public key of 2048 to 8192 bits.
    public struct PublicKey: Sendable {
        /// Keys below 2048 bits are refused (RFC 7518 §3.3); above 8192 would only cost time.
        public static let bitSizes = 2048...8192

        let arithmetic: MontgomeryModulus
        /// Modulus length in bytes (the signature length).
        public let byteCount: Int
        let exponent: [UInt8]

        /// Creates a key from the big-endian modulus and public exponent (as in a JWK's `n` and `e`).
        public init<Modulus: Collection, Exponent: Collection>(modulus: Modulus, exponent: Exponent) throws
        where Modulus.Element == UInt8, Exponent.Element == UInt8 {
            let modulusBytes = Array(modulus.drop { $0 == 0 })
            guard let top = modulusBytes.first else { throw PublicKeyError.unsupportedModulusSize }
            let bits = modulusBytes.count * 8 - top.leadingZeroBitCount
            guard Self.bitSizes.contains(bits),
                let limbs = MontgomeryModulus.limbs(bigEndian: modulusBytes, count: (modulusBytes.count + 7) / 8),
                let arithmetic = MontgomeryModulus(limbs)
            else { throw PublicKeyError.unsupportedModulusSize }

            let exponentBytes = Array(exponent.drop { $0 == 0 })
            guard (1...8).contains(exponentBytes.count), let low = exponentBytes.last, low & 1 == 1,
                exponentBytes.count > 1 || low >= 3
            else { throw PublicKeyError.invalidExponent }

            self.arithmetic = arithmetic
            self.byteCount = modulusBytes.count
            self.exponent = exponentBytes
        }

        /// Verifies an RSASSA-PKCS1-v1_5 signature with SHA-256 over `message`.
        public func isValidPKCS1v15SHA256Signature<Signature: Collection, Message: Collection>(
            _ signature: Signature, for message: Message
        ) -> Bool where Signature.Element == UInt8, Message.Element == UInt8 {
            isValidPKCS1v15Signature(signature, sha256Digest: SHA256.hash(data: message))
        }

        /// Verifies an RSASSA-PKCS1-v1_5 signature over a SHA-256 digest.
        ///
        /// The expected encoding is built and compared whole (RFC 8017 §8.2.2), never parsed, so
        /// no padding or DigestInfo parsing can be tricked (Bleichenbacher's 2006 forgery).
        public func isValidPKCS1v15Signature<Signature: Collection>(
            _ signature: Signature, sha256Digest digest: Digest
        ) -> Bool where Signature.Element == UInt8 {
            guard digest.byteCount == SHA256.byteCount, signature.count == byteCount,
                let value = arithmetic.limbs(bigEndian: signature),
                MontgomeryModulus.less(value, arithmetic.modulus)
            else { return false }
            let message = arithmetic.power(value, exponent)
            let encoded = MontgomeryModulus.bigEndianBytes(message, length: byteCount)
            return ConstantTime.equals(encoded, Self.expectedEncoding(digest: digest.bytes, length: byteCount))
        }

        /// DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1).
        static let sha256DigestInfo: [UInt8] = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ]

        static func expectedEncoding(digest: [UInt8], length: Int) -> [UInt8] {
            let info = sha256DigestInfo + digest
            return [0x00, 0x01] + [UInt8](repeating: 0xff, count: length - info.count - 3) + [0x00] + info
        }
    }
}
