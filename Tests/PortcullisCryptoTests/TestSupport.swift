import PortcullisCrypto

/// Bytes from hexadecimal text; spaces and newlines are ignored so vectors can be pasted as printed.
func hex(_ text: String) -> [UInt8] {
    let compact = text.filter { !$0.isWhitespace }
    guard let bytes = Hex.decode(compact) else { fatalError("bad hex in test: \(text)") }
    return bytes
}

/// A string's UTF-8 bytes.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The deterministic message used for the block-boundary vectors: byte i = (7i + 3) mod 256.
func patternMessage(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
}

/// Every single-byte variation of `bytes` at each position (one bit flipped per position).
func singleByteMutations(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.indices.map { index in
        var copy = bytes
        copy[index] ^= 0x01
        return copy
    }
}
