/// Why a sealed box did not open. The message is the same for every cause: nothing is learned.
public enum ChaChaPolyError: Error, Equatable, Sendable {
    /// Too short, or the tag does not match (tampered, wrong key, wrong associated data).
    case authenticationFailure
    /// A key that is not 32 bytes or a nonce that is not 12.
    case invalidParameters
}

/// ChaCha20-Poly1305 authenticated encryption (RFC 8439 §2.8), in pure Swift and constant time,
/// for secrets kept at rest (TOTP secrets). The combined form is `nonce (12) || ciphertext || tag (16)`.
///
/// ```swift
/// let sealed = try ChaChaPoly.seal(Array(secret), key: key)
/// let secret = try ChaChaPoly.open(sealed, key: key)
/// ```
public enum ChaChaPoly {
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext` (and `authenticating`, sent in the clear) with a fresh
    /// random nonce, or the one given (only for tests with published vectors: never reuse a nonce).
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8]? = nil, authenticating aad: [UInt8] = []
    )
        throws(ChaChaPolyError) -> [UInt8]
    {
        let nonce = nonce ?? SecureRandom.bytes(count: nonceByteCount)
        guard key.count == 32, nonce.count == nonceByteCount else { throw .invalidParameters }
        let ciphertext = ChaCha20.xor(plaintext, key: key, nonce: nonce, counter: 1)
        return nonce + ciphertext + tag(ciphertext, aad: aad, key: key, nonce: nonce)
    }

    /// Checks the tag (in constant time) and decrypts.
    public static func open(
        _ combined: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []
    ) throws(ChaChaPolyError)
        -> [UInt8]
    {
        guard key.count == 32 else { throw .invalidParameters }
        guard combined.count >= nonceByteCount + tagByteCount else { throw .authenticationFailure }
        let nonce = Array(combined[0..<nonceByteCount])
        let ciphertext = Array(combined[nonceByteCount..<(combined.count - tagByteCount)])
        let presented = combined[(combined.count - tagByteCount)...]
        guard ConstantTime.equals(tag(ciphertext, aad: aad, key: key, nonce: nonce), presented) else {
            throw .authenticationFailure
        }
        return ChaCha20.xor(ciphertext, key: key, nonce: nonce, counter: 1)
    }

    private static func tag(_ ciphertext: [UInt8], aad: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let oneTimeKey = Array(
            ChaCha20.block(key: ChaCha20.littleEndianWords(key), counter: 0, nonce: ChaCha20.littleEndianWords(nonce))
                .prefix(32))
        func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (16 - bytes.count % 16) % 16) }
        var lengths: [UInt8] = []
        withUnsafeBytes(of: UInt64(aad.count).littleEndian) { lengths += $0 }
        withUnsafeBytes(of: UInt64(ciphertext.count).littleEndian) { lengths += $0 }
        return Poly1305.authenticate(padded(aad) + padded(ciphertext) + lengths, key: oneTimeKey)
    }
}
