/// An ordered list of header fields with case-insensitive lookup. Repeated fields are kept.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// Appends a field (values are trusted: callers building responses must not pass CR or LF;
    /// `add` drops such a field rather than let it split the response).
    public mutating func add(name: String, value: String) {
        guard !name.utf8.contains(where: { $0 == 13 || $0 == 10 }),
            !value.utf8.contains(where: { $0 == 13 || $0 == 10 })
        else {
            return
        }
        fields.append((name, value))
    }

    /// Replaces every field of that name with one.
    public mutating func replace(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The first value of the field, if present.
    public subscript(name: String) -> String? {
        fields.first { Self.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value of the field, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    public func contains(name: String) -> Bool { self[name] != nil }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q && ASCII.lowercased(p) != ASCII.lowercased(q) {
            return false
        }
        return true
    }
}

/// Byte-level ASCII helpers shared by the parser and the header code.
enum ASCII {
    @inline(__always)
    static func lowercased(_ c: UInt8) -> UInt8 {
        c >= 0x41 && c <= 0x5A ? c | 0x20 : c
    }

    /// RFC 9110 §5.6.2 tchar.
    static let tokenTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(c)] = true }
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(c)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always)
    static func isToken(_ c: UInt8) -> Bool { tokenTable[Int(c)] }

    /// Field-value bytes: VCHAR, obs-text, SP and HTAB (no other controls, no DEL).
    @inline(__always)
    static func isFieldValue(_ c: UInt8) -> Bool {
        c == 0x09 || (c >= 0x20 && c != 0x7F)
    }

    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { buffer in
            var index = bytes.startIndex
            for c in buffer {
                if lowercased(bytes[index]) != lowercased(c) { return false }
                index += 1
            }
            return true
        }
    }
}
