import FoundationEssentials

/// Any JSON value, for claims whose shape is configured at run time (role paths, claim names).
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses a JSON document (at most `maximumByteCount` bytes); nil when it is not JSON.
    public static func parse(_ bytes: [UInt8], maximumByteCount: Int = 64 * 1024) -> JSONValue? {
        guard bytes.count <= maximumByteCount else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A string, or a number written without a fraction (GitHub's and Facebook's numeric ids).
    var identifier: String? {
        switch self {
        case .string(let text): text.isEmpty ? nil : text
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : nil
        default: nil
        }
    }

    /// An object's member; nil for a missing key or a value that is not an object.
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// A boolean, or the strings "true"/"false" some providers send (`email_verified`).
    var bool: Bool? {
        switch self {
        case .bool(let flag): flag
        case .string(let text): text == "true" ? true : text == "false" ? false : nil
        default: nil
        }
    }

    /// The value at a lodash-style path (`realm_access.roles`, `groups[0]`); nil when absent.
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in Self.components(of: path) {
            switch (current, component) {
            case (.object(let fields)?, .key(let key)): current = fields[key]
            case (.array(let items)?, .index(let index)): current = items.indices.contains(index) ? items[index] : nil
            default: return nil
            }
        }
        return current
    }

    enum PathComponent: Equatable {
        case key(String)
        case index(Int)
    }

    static func components(of path: String) -> [PathComponent] {
        var result: [PathComponent] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: true) {
            var rest = part[...]
            if let open = rest.firstIndex(of: "[") {
                if open > rest.startIndex { result.append(.key(String(rest[..<open]))) }
                rest = rest[open...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let inside = rest[rest.index(after: rest.startIndex)..<close]
                    result.append(Int(inside).map(PathComponent.index) ?? .key(String(inside)))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        return result
    }

    /// Objects merged key by key, `other` winning (userinfo over id_token claims).
    public func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var mine) = self, case .object(let theirs) = other else { return other }
        for (key, value) in theirs { mine[key] = value }
        return .object(mine)
    }
}
