/// A CBOR data item (RFC 8949), as WebAuthn authenticators encode attestation objects and COSE keys.
///
/// Only what CTAP2's canonical form allows is read: integers, byte and text strings, arrays, maps,
/// `true`, `false` and `null`, every length in its shortest form and definite. Tags, floats, other
/// simple values, indefinite lengths, duplicate map keys and invalid UTF-8 are refused, and so is
/// anything deeper or larger than ``Limits`` — an authenticator never needs them and a parser that
/// accepts them is one more way in.
///
/// ```swift
/// let object = try CBOR.decode(attestationObjectBytes)
/// let authData = object[text: "authData"]?.byteString
/// ```
public indirect enum CBOR: Sendable, Equatable {
    case unsigned(UInt64)
    /// The negative integer `-1 - n`.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    /// Entries in encoded order; keys are unique.
    case map([Entry])
    case bool(Bool)
    case null

    /// One key and value of a map.
    public struct Entry: Sendable, Equatable {
        public var key: CBOR
        public var value: CBOR
    }

    /// Bounds on what one decode may build.
    public struct Limits: Sendable {
        /// Nesting of arrays and maps.
        public var maximumDepth: Int
        /// Data items in all (each key, value and element counts one).
        public var maximumItems: Int

        public init(maximumDepth: Int = 8, maximumItems: Int = 512) {
            self.maximumDepth = maximumDepth
            self.maximumItems = maximumItems
        }
    }

    /// Decodes exactly one item that fills `bytes`.
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(WebAuthnError) -> CBOR {
        let (item, end) = try decodePrefix(bytes, from: 0, limits: limits)
        guard end == bytes.count else { throw .malformed("CBOR: \(bytes.count - end) bytes after the item") }
        return item
    }

    /// Decodes the one item starting at `offset` and returns it with the offset just past it (a COSE
    /// key inside authenticator data is followed by other fields).
    public static func decodePrefix(
        _ bytes: [UInt8], from offset: Int, limits: Limits = Limits()
    ) throws(WebAuthnError) -> (CBOR, Int) {
        var reader = Reader(bytes: bytes, index: offset, limits: limits)
        let item = try reader.item(depth: 0)
        return (item, reader.index)
    }

    // MARK: Reading values

    /// The value of the map entry whose key is the integer `key`.
    public subscript(int key: Int64) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key.integer == key }?.value
    }

    /// The value of the map entry whose key is the text `key`.
    public subscript(text key: String) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .text(key) }?.value
    }

    /// An integer that fits `Int64`.
    public var integer: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    public var byteString: [UInt8]? {
        if case .bytes(let value) = self { value } else { nil }
    }

    public var textString: String? {
        if case .text(let value) = self { value } else { nil }
    }

    public var mapEntries: [Entry]? {
        if case .map(let entries) = self { entries } else { nil }
    }

    struct Reader {
        let bytes: [UInt8]
        var index: Int
        let limits: Limits
        var items = 0

        mutating func byte() throws(WebAuthnError) -> UInt8 {
            guard index < bytes.count else { throw .malformed("CBOR: ends inside an item") }
            defer { index += 1 }
            return bytes[index]
        }

        /// The argument of a head whose additional information is `info`, in its shortest form only.
        mutating func argument(_ info: UInt8) throws(WebAuthnError) -> UInt64 {
            let width: Int
            switch info {
            case 0..<24: return UInt64(info)
            case 24: width = 1
            case 25: width = 2
            case 26: width = 4
            case 27: width = 8
            case 31: throw .malformed("CBOR: indefinite length")
            default: throw .malformed("CBOR: reserved additional information \(info)")
            }
            var value: UInt64 = 0
            for _ in 0..<width { value = value << 8 | UInt64(try byte()) }
            let shortest: UInt64 = width == 1 ? 24 : 1 << (UInt64(width) * 4)
            guard value >= shortest else { throw .malformed("CBOR: integer not in its shortest form") }
            return value
        }

        mutating func length(_ info: UInt8) throws(WebAuthnError) -> Int {
            let value = try argument(info)
            guard value <= UInt64(bytes.count - index) else { throw .malformed("CBOR: length beyond the input") }
            return Int(value)
        }

        mutating func item(depth: Int) throws(WebAuthnError) -> CBOR {
            items += 1
            guard items <= limits.maximumItems else { throw .malformed("CBOR: too many items") }
            let head = try byte()
            let major = head >> 5
            let info = head & 0x1F
            switch major {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2:
                let count = try length(info)
                defer { index += count }
                return .bytes(Array(bytes[index..<index + count]))
            case 3:
                let count = try length(info)
                guard let text = String(validating: bytes[index..<index + count], as: UTF8.self) else {
                    throw .malformed("CBOR: text is not UTF-8")
                }
                index += count
                return .text(text)
            case 4, 5:
                guard depth < limits.maximumDepth else { throw .malformed("CBOR: nested too deeply") }
                // Each element takes at least one byte: a count beyond the input is refused before allocating.
                let count = try length(info)
                if major == 4 {
                    var elements: [CBOR] = []
                    elements.reserveCapacity(min(count, 64))
                    for _ in 0..<count { elements.append(try item(depth: depth + 1)) }
                    return .array(elements)
                }
                var entries: [Entry] = []
                entries.reserveCapacity(min(count, 64))
                for _ in 0..<count {
                    let key = try item(depth: depth + 1)
                    switch key {
                    case .unsigned, .negative, .text: break
                    default: throw .malformed("CBOR: map key that is not an integer or text")
                    }
                    guard !entries.contains(where: { $0.key == key }) else {
                        throw .malformed("CBOR: duplicate map key")
                    }
                    entries.append(Entry(key: key, value: try item(depth: depth + 1)))
                }
                return .map(entries)
            case 6: throw .malformed("CBOR: tags are not accepted")
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                default: throw .malformed("CBOR: simple value or float \(info) is not accepted")
                }
            }
        }
    }
}
