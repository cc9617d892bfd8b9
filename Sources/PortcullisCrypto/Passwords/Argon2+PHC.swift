extension Argon2 {
    /// Formats `$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>` (unpadded standard base64).
    public static func encode(_ encoded: Encoded) -> String {
        let p = encoded.parameters
        return "$\(encoded.variant.rawValue)$v=19$m=\(p.memoryKiB),t=\(p.iterations),p=\(p.parallelism)$"
            + Base64Alphabet.standard.encode(encoded.salt) + "$" + Base64Alphabet.standard.encode(encoded.hash)
    }

    /// Parses a PHC string strictly (the field order of the reference implementation, version 19,
    /// canonical decimal numbers and base64).
    public static func decode(_ text: String) throws(PasswordHashError) -> Encoded {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty else {
            throw .malformedHash("argon2 PHC string must have 5 '$'-separated fields")
        }
        guard let variant = Variant(rawValue: String(fields[1])) else {
            throw .unsupportedAlgorithm(String(fields[1].prefix(16)))
        }
        guard fields[2] == "v=19" else {
            throw .unsupportedAlgorithm("argon2 version \(fields[2].prefix(16)) (only v=19 is supported)")
        }
        let parameters = fields[3].split(separator: ",", omittingEmptySubsequences: false)
        guard parameters.count == 3 else { throw .malformedHash("argon2 parameters must be m=,t=,p=") }
        var values = [Int]()
        for (field, name) in zip(parameters, ["m=", "t=", "p="]) {
            guard field.hasPrefix(name), let value = canonicalDecimal(field.dropFirst(2)) else {
                throw .malformedHash("argon2 parameter \(name.dropLast()) is missing or not a canonical number")
            }
            values.append(value)
        }
        guard let salt = Base64Alphabet.standard.decode(fields[4]) else {
            throw .malformedHash("argon2 salt is not unpadded base64")
        }
        guard let hash = Base64Alphabet.standard.decode(fields[5]) else {
            throw .malformedHash("argon2 hash is not unpadded base64")
        }
        guard salt.count >= 8 else { throw .malformedHash("argon2 salt shorter than 8 bytes") }
        guard hash.count >= 4 else { throw .malformedHash("argon2 hash shorter than 4 bytes") }
        let result = Parameters(
            memoryKiB: values[0], iterations: values[1], parallelism: values[2],
            hashLength: hash.count, saltLength: salt.count)
        guard result.iterations >= 1, result.parallelism >= 1, result.memoryKiB >= 8 * result.parallelism else {
            throw .malformedHash("argon2 parameters violate t ≥ 1, p ≥ 1, m ≥ 8p")
        }
        return Encoded(variant: variant, parameters: result, salt: salt, hash: hash)
    }

    /// Digits only, no sign, no leading zero, at most 10 digits (fits UInt32 checks).
    private static func canonicalDecimal(_ text: Substring) -> Int? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        if digits.count > 1 && digits[0] == UInt8(ascii: "0") { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return value <= Int(UInt32.max) ? value : nil
    }
}
