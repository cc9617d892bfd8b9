/// Base64 codecs used by JWTs (RFC 4648 §5, URL-safe, unpadded), PHC strings (standard alphabet,
/// unpadded) and bcrypt (its own alphabet, unpadded).
///
/// Decoding is strict: a wrong character, padding where none belongs, an impossible length, or
/// non-zero bits in the last character's unused low bits are all rejected, so every byte string has
/// exactly one accepted encoding (tokens cannot be altered without changing the decoded bytes).
public struct Base64Alphabet: Sendable {
    let encodeTable: [UInt8]
    let decodeTable: [UInt8]

    init(_ characters: String) {
        encodeTable = Array(characters.utf8)
        precondition(encodeTable.count == 64)
        var decode = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in encodeTable.enumerated() {
            decode[Int(character)] = UInt8(index)
        }
        decodeTable = decode
    }

    /// RFC 4648 §5: `A–Z a–z 0–9 - _`.
    public static let url = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    /// RFC 4648 §4: `A–Z a–z 0–9 + /`.
    public static let standard = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    /// bcrypt's: `. / A–Z a–z 0–9`.
    public static let bcrypt = Base64Alphabet("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// Encodes without padding.
    public func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    /// Encodes without padding, returning ASCII bytes.
    public func encodeBytes<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let v = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(encodeTable[Int(v >> 18)])
            out.append(encodeTable[Int(v >> 12 & 63)])
            out.append(encodeTable[Int(v >> 6 & 63)])
            out.append(encodeTable[Int(v & 63)])
            index += 3
        }
        switch input.count - index {
        case 1:
            let v = UInt32(input[index]) << 16
            out.append(encodeTable[Int(v >> 18)])
            out.append(encodeTable[Int(v >> 12 & 63)])
        case 2:
            let v = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(encodeTable[Int(v >> 18)])
            out.append(encodeTable[Int(v >> 12 & 63)])
            out.append(encodeTable[Int(v >> 6 & 63)])
        default:
            break
        }
        return out
    }

    /// Strictly decodes unpadded text; `nil` if it is not the canonical encoding of some bytes.
    public func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { decode(bytes: UnsafeRawBufferPointer($0)) }
            ?? Array(utf8).withUnsafeBytes { decode(bytes: $0) }
    }

    /// Strictly decodes unpadded ASCII bytes.
    public func decode(bytes text: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = text.count
        guard count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(count * 3 / 4)
        var index = 0
        var accumulator: UInt32 = 0
        var bits = 0
        while index < count {
            let value = decodeTable[Int(text[index])]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
            index += 1
        }
        // Leftover bits must be zero: otherwise two encodings would decode to the same bytes.
        guard accumulator == 0 else { return nil }
        return out
    }
}

/// Unpadded, strict base64url (RFC 4648 §5), as used by JWS compact serialisation.
public enum Base64URL {
    /// Encodes without padding.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Base64Alphabet.url.encode(bytes)
    }

    /// Decodes strictly: no padding, no whitespace, canonical trailing bits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        Base64Alphabet.url.decode(text)
    }
}
