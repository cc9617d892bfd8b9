/// Little-endian, length-prefixed encoding, shared by snapshots and the journal: every kind of
/// durable state encodes its own records with it (see ``DurableState``). Decoding is
/// bounds-checked everywhere: these bytes come from files.
public struct BinaryWriter {
    public var bytes: [UInt8] = []

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    public mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }
    public mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
    public mutating func string(_ value: String) { data(Array(value.utf8)) }
    public mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    public init() {}

    public mutating func optionalInt64(_ value: Int64?) {
        bool(value != nil)
        if let value { i64(value) }
    }
}

/// The layout of a user or session record. Records are always written in the newest layout; older
/// ones are still read (journal records by their tag, snapshot records by the file's version).
public enum RecordLayout: Int, Sendable, Comparable {
    public static func < (lhs: RecordLayout, rhs: RecordLayout) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Snapshot versions 1–2 and journal tags 1 (user) and 3 (session).
    case v1
    /// Users gain `termsAcceptedAt` and `devicesRevokedAt`, sessions their OpenID `idToken`.
    case v2
    /// Sessions gain the device they belong to: user agent, IP, last use (users as in v2).
    case v3
    /// Sessions gain how they were signed in to (the OpenID provider's `amr`).
    case v4
}

/// Why a record could not be decoded (truncated, out of bounds, invalid UTF-8, unknown tag).
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

public struct BinaryReader {
    public let bytes: [UInt8]
    public var offset: Int
    public let end: Int

    public init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    public var atEnd: Bool { offset >= end }

    public mutating func take(_ count: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, end - offset >= count else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func u8() throws(DecodeError) -> UInt8 { try take(1).first! }
    public mutating func u32() throws(DecodeError) -> UInt32 {
        guard end - offset >= 4 else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }
    public mutating func u64() throws(DecodeError) -> UInt64 {
        guard end - offset >= 8 else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
    public mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }
    public mutating func bool() throws(DecodeError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw DecodeError(description: "bad boolean at byte \(offset - 1)")
        }
    }
    public mutating func data(limit: Int = 1 << 20) throws(DecodeError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else {
            throw DecodeError(description: "field of \(count) bytes at byte \(offset) exceeds \(limit)")
        }
        return Array(try take(count))
    }
    public mutating func string() throws(DecodeError) -> String {
        let count = Int(try u32())
        guard count <= 64 * 1024 else {
            throw DecodeError(description: "string of \(count) bytes at byte \(offset) is too long")
        }
        let raw = try take(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw DecodeError(description: "invalid UTF-8 before byte \(offset)")
        }
        return text
    }
    public mutating func optionalString() throws(DecodeError) -> String? { try bool() ? try string() : nil }
    public mutating func optionalInt64() throws(DecodeError) -> Int64? { try bool() ? try i64() : nil }
}
