/// PEM armour (RFC 7468): one `-----BEGIN <label>-----` block of standard base64.
enum PEM {
    /// The first block's label and its decoded bytes.
    static func decode(_ text: String) throws -> (label: String, bytes: [UInt8]) {
        let lines = text.split(whereSeparator: \.isNewline).map { line in
            Substring(line.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw PublicKeyError.invalidEncoding
        }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[(begin + 1)...].firstIndex(of: "-----END \(label)-----") else {
            throw PublicKeyError.invalidEncoding
        }
        let body = lines[(begin + 1)..<end].joined()
        guard body.utf8.count <= 16384 else { throw PublicKeyError.invalidEncoding }
        let unpadded =
            body.hasSuffix("==") ? body.dropLast(2) : (body.hasSuffix("=") ? body.dropLast() : Substring(body))
        guard let bytes = Base64Alphabet.standard.decode(unpadded) else {
            throw PublicKeyError.invalidEncoding
        }
        return (label, bytes)
    }
}

/// Reads the private scalar out of the two DER forms of a P-256 key.
enum ECPrivateKeyDER {
    /// 1.2.840.10045.2.1 (id-ecPublicKey) and 1.2.840.10045.3.1.7 (prime256v1), as DER OIDs.
    static let ecPublicKeyOID: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
    static let prime256v1OID: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]

    /// The 32-byte scalar from PKCS#8 `PrivateKeyInfo` (RFC 5208) or SEC 1 `ECPrivateKey` (RFC 5915).
    static func scalar(from der: [UInt8], pkcs8: Bool) throws -> [UInt8] {
        var outer = DERReader(der)
        var sequence = DERReader(try outer.read(tag: 0x30))
        try outer.finish()
        if pkcs8 {
            guard try sequence.read(tag: 0x02) == [0x00] else { throw PublicKeyError.invalidEncoding }
            var algorithm = DERReader(try sequence.read(tag: 0x30))
            guard try algorithm.read(tag: 0x06) == ecPublicKeyOID[...],
                try algorithm.read(tag: 0x06) == prime256v1OID[...]
            else {
                throw PublicKeyError.invalidEncoding
            }
            return try scalar(from: Array(try sequence.read(tag: 0x04)), pkcs8: false)
        }
        guard try sequence.read(tag: 0x02) == [0x01] else { throw PublicKeyError.invalidEncoding }
        let scalar = try sequence.read(tag: 0x04)
        guard scalar.count == 32 else { throw PublicKeyError.invalidEncoding }
        // Optional [0] parameters: when present they must name P-256.
        if sequence.peek == 0xa0 {
            var parameters = DERReader(try sequence.read(tag: 0xa0))
            guard try parameters.read(tag: 0x06) == prime256v1OID[...] else { throw PublicKeyError.invalidEncoding }
        }
        return Array(scalar)
    }
}

/// A strict reader of definite-length DER elements.
struct DERReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    /// The contents of the next element, which must carry `tag`.
    mutating func read(tag: UInt8) throws -> ArraySlice<UInt8> {
        guard index + 2 <= bytes.endIndex, bytes[index] == tag else { throw PublicKeyError.invalidEncoding }
        var length = Int(bytes[index + 1])
        index += 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard (1...2).contains(count), index + count <= bytes.endIndex else { throw PublicKeyError.invalidEncoding }
            length = bytes[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
            // Minimal: long form only from 128 on, no leading zero byte.
            guard length >= 128, bytes[index] != 0 else { throw PublicKeyError.invalidEncoding }
            index += count
        }
        guard index + length <= bytes.endIndex else { throw PublicKeyError.invalidEncoding }
        defer { index += length }
        return bytes[index..<index + length]
    }

    /// Fails unless every byte was read.
    func finish() throws {
        guard index == bytes.endIndex else { throw PublicKeyError.invalidEncoding }
    }
}
