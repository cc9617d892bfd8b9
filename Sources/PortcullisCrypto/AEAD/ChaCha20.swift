/// The ChaCha20 stream cipher (RFC 8439 §2.4): 256-bit key, 96-bit nonce, 32-bit block counter.
/// Only additions, rotations and XORs on 32-bit words: no table or branch depends on secret data.
enum ChaCha20 {
    @inline(__always)
    private static func quarterRound(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] = x[a] &+ x[b]
        x[d] ^= x[a]
        x[d] = (x[d] << 16) | (x[d] >> 16)
        x[c] = x[c] &+ x[d]
        x[b] ^= x[c]
        x[b] = (x[b] << 12) | (x[b] >> 20)
        x[a] = x[a] &+ x[b]
        x[d] ^= x[a]
        x[d] = (x[d] << 8) | (x[d] >> 24)
        x[c] = x[c] &+ x[d]
        x[b] ^= x[c]
        x[b] = (x[b] << 7) | (x[b] >> 25)
    }

    static func littleEndianWords(_ bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count, by: 4).map { (offset: Int) -> UInt32 in
            let low = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            let high = UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            return low | high
        }
    }

    /// One 64-byte keystream block.
    static func block(key: [UInt32], counter: UInt32, nonce: [UInt32]) -> [UInt8] {
        let initial: [UInt32] = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574] + key + [counter] + nonce
        var x = initial
        for _ in 0..<10 {
            quarterRound(&x, 0, 4, 8, 12)
            quarterRound(&x, 1, 5, 9, 13)
            quarterRound(&x, 2, 6, 10, 14)
            quarterRound(&x, 3, 7, 11, 15)
            quarterRound(&x, 0, 5, 10, 15)
            quarterRound(&x, 1, 6, 11, 12)
            quarterRound(&x, 2, 7, 8, 13)
            quarterRound(&x, 3, 4, 9, 14)
        }
        var out = [UInt8](repeating: 0, count: 64)
        for i in 0..<16 {
            let word = x[i] &+ initial[i]
            out[4 * i] = UInt8(truncatingIfNeeded: word)
            out[4 * i + 1] = UInt8(truncatingIfNeeded: word >> 8)
            out[4 * i + 2] = UInt8(truncatingIfNeeded: word >> 16)
            out[4 * i + 3] = UInt8(truncatingIfNeeded: word >> 24)
        }
        return out
    }

    /// Encrypts or decrypts (the same operation) starting at block `counter`.
    static func xor(_ input: [UInt8], key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        let keyWords = littleEndianWords(key)
        let nonceWords = littleEndianWords(nonce)
        var out = input
        var blockCounter = counter
        for start in stride(from: 0, to: input.count, by: 64) {
            let stream = block(key: keyWords, counter: blockCounter, nonce: nonceWords)
            for i in start..<min(start + 64, input.count) { out[i] ^= stream[i - start] }
            blockCounter &+= 1
        }
        return out
    }
}
