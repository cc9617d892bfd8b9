extension RSA.PrivateKey {
    /// rsaEncryption, 1.2.840.113549.1.1.1.
    static let rsaEncryptionOID: [UInt8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]

    /// Reads a key from PEM: PKCS #8 `PRIVATE KEY` (`openssl genpkey`) or PKCS #1 `RSA PRIVATE KEY`.
    public init(pem: String) throws(PublicKeyError) {
        let decoded: (label: String, bytes: [UInt8])
        do { decoded = try PEM.decode(pem) } catch { throw .invalidEncoding }
        switch decoded.label {
        case "PRIVATE KEY": try self.init(pkcs8: decoded.bytes)
        case "RSA PRIVATE KEY": try self.init(pkcs1: decoded.bytes)
        default: throw .invalidEncoding
        }
    }

    /// PKCS #8 `PrivateKeyInfo` (RFC 5208) holding an rsaEncryption key.
    public init(pkcs8 der: [UInt8]) throws(PublicKeyError) {
        do {
            var outer = DERReader(der)
            var info = DERReader(try outer.read(tag: 0x30))
            try outer.finish()
            guard try info.read(tag: 0x02) == [0x00] else { throw PublicKeyError.invalidEncoding }
            var algorithm = DERReader(try info.read(tag: 0x30))
            guard try algorithm.read(tag: 0x06) == Self.rsaEncryptionOID[...] else {
                throw PublicKeyError.invalidEncoding
            }
            if algorithm.peek == 0x05 {
                guard try algorithm.read(tag: 0x05).isEmpty else { throw PublicKeyError.invalidEncoding }
            }
            try algorithm.finish()
            let inner = Array(try info.read(tag: 0x04))
            try self.init(pkcs1: inner)
        } catch let error as PublicKeyError {
            throw error
        } catch {
            throw .invalidEncoding
        }
    }

    /// PKCS #1 `RSAPrivateKey` (RFC 8017 §A.1.2), two primes.
    public init(pkcs1 der: [UInt8]) throws(PublicKeyError) {
        var parts: [[UInt8]] = []
        do {
            var outer = DERReader(der)
            var sequence = DERReader(try outer.read(tag: 0x30))
            try outer.finish()
            guard try sequence.read(tag: 0x02) == [0x00] else { throw PublicKeyError.invalidEncoding }
            for _ in 0..<8 {
                let integer = try sequence.read(tag: 0x02)
                // Positive and minimal: no sign bit, no needless leading zero.
                guard let first = integer.first, first & 0x80 == 0,
                    first != 0 || integer.count == 1 || integer[integer.startIndex + 1] & 0x80 != 0
                else { throw PublicKeyError.invalidEncoding }
                parts.append(Array(integer))
            }
            try sequence.finish()
        } catch {
            throw .invalidEncoding
        }
        try self.init(
            modulus: parts[0], publicExponent: parts[1], privateExponent: parts[2], prime1: parts[3], prime2: parts[4],
            exponent1: parts[5], exponent2: parts[6], coefficient: parts[7])
    }

    /// The PKCS #1 `RSAPrivateKey` DER.
    public var pkcs1DER: [UInt8] {
        let secrets = [p.modulus, q.modulus, dp, dq, qInverse].map { MontgomeryModulus.bigEndianBytes($0) }
        let integers = ([[0], modulus, publicExponent, privateExponent] + secrets).map(DERWriter.integer)
        return DERWriter.element(0x30, integers.flatMap { $0 })
    }

    /// The PKCS #8 `PrivateKeyInfo` DER.
    public var pkcs8DER: [UInt8] {
        let algorithm = DERWriter.element(0x30, DERWriter.element(0x06, Self.rsaEncryptionOID) + [0x05, 0x00])
        return DERWriter.element(
            0x30, DERWriter.integer([0]) + algorithm + DERWriter.element(0x04, pkcs1DER))
    }

    /// PKCS #8 as PEM (`-----BEGIN PRIVATE KEY-----`), what `openssl` and PyJWT read.
    public var pkcs8PEM: String { PEM.encode(pkcs8DER, label: "PRIVATE KEY") }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    public var publicKeyPEM: String {
        let algorithm = DERWriter.element(0x30, DERWriter.element(0x06, Self.rsaEncryptionOID) + [0x05, 0x00])
        let rsaPublicKey = DERWriter.element(0x30, DERWriter.integer(modulus) + DERWriter.integer(publicExponent))
        return PEM.encode(
            DERWriter.element(0x30, algorithm + DERWriter.element(0x03, [0x00] + rsaPublicKey)), label: "PUBLIC KEY")
    }
}

/// Definite-length DER elements, as ``DERReader`` reads them back.
enum DERWriter {
    static func element(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        let count = contents.count
        let length: [UInt8] =
            count < 128
            ? [UInt8(count)] : count < 256 ? [0x81, UInt8(count)] : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        return [tag] + length + contents
    }

    /// A non-negative INTEGER from big-endian bytes: leading zeros dropped, one added before a high bit.
    static func integer(_ bytes: [UInt8]) -> [UInt8] {
        var value = Array(bytes.drop { $0 == 0 })
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return element(0x02, value)
    }
}

extension PEM {
    /// `-----BEGIN <label>-----`, base64 in lines of 64, `-----END <label>-----`.
    static func encode(_ bytes: [UInt8], label: String) -> String {
        // PEM's base64 is padded (the encoder leaves padding out).
        let unpadded = Base64Alphabet.standard.encode(bytes)
        let text = unpadded + String(repeating: "=", count: (4 - unpadded.utf8.count % 4) % 4)
        var lines: [Substring] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}
