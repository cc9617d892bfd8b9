import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A configuration value that cannot be used; start-up stops and names the variable.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var variable: String
    public var problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}

/// LibreChat-style configuration: a `.env` file overridden by the process environment.
public struct Environment: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// Reads `dotEnvPath` (if it exists) and overlays `processEnvironment` on it.
    public static func load(
        dotEnvPath: String = ".env", processEnvironment: [String: String]
    ) throws(ConfigurationError) -> Environment {
        var values: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: dotEnvPath) {
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(dotEnvPath, "is not UTF-8")
            }
            values = try parseDotEnv(text, file: dotEnvPath)
        }
        for (key, value) in processEnvironment { values[key] = value }
        return Environment(values)
    }

    /// The current process environment.
    public static var process: [String: String] { ProcessInfo.processInfo.environment }

    /// Parses `.env` syntax: `KEY=value`, optional `export `, `#` comments (whole-line, or after
    /// whitespace in an unquoted value), single quotes (literal) and double quotes (`\n` escapes).
    public static func parseDotEnv(_ text: String, file: String = ".env") throws(ConfigurationError) -> [String: String]
    {
        var result: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(file):\(number + 1)", "expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" })
            else {
                throw ConfigurationError("\(file):\(number + 1)", "invalid variable name")
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") {
                guard let close = value.dropFirst().firstIndex(of: "\"") else {
                    throw ConfigurationError(key, "unterminated double quote in \(file):\(number + 1)")
                }
                value = String(value[value.index(after: value.startIndex)..<close])
                    .replacingOccurrences(of: "\\n", with: "\n")
            } else if value.hasPrefix("'") {
                guard let close = value.dropFirst().firstIndex(of: "'") else {
                    throw ConfigurationError(key, "unterminated single quote in \(file):\(number + 1)")
                }
                value = String(value[value.index(after: value.startIndex)..<close])
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            result[key] = value
        }
        return result
    }

    public subscript(key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// `true`/`false` (any case); unset gives `default`; anything else is an error.
    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let value = self[key] else { return defaultValue }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConfigurationError(key, "expected true or false, got \"\(value.prefix(32))\"")
        }
    }

    /// An integer, or an arithmetic expression of integers (`1000 * 60 * 15`), as LibreChat's `math()`.
    public func integer(
        _ key: String, default defaultValue: Int64, range: ClosedRange<Int64>
    ) throws(ConfigurationError) -> Int64 {
        guard let value = self[key] else { return defaultValue }
        guard let parsed = ArithmeticExpression.evaluate(value) else {
            throw ConfigurationError(key, "expected a number or an arithmetic expression, got \"\(value.prefix(32))\"")
        }
        guard range.contains(parsed) else { throw ConfigurationError(key, "must be within \(range), got \(parsed)") }
        return parsed
    }

    /// A comma-separated list, trimmed, empty items dropped.
    public func list(_ key: String) -> [String] {
        (self[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// Integer arithmetic with + - * / and parentheses; `nil` on anything else, overflow or division by zero.
enum ArithmeticExpression {
    static func evaluate(_ text: String) -> Int64? {
        var parser = Parser(characters: Array(text.utf8))
        guard let value = parser.expression(), parser.atEnd else { return nil }
        return value
    }

    struct Parser {
        let characters: [UInt8]
        var index = 0
        var depth = 0

        var atEnd: Bool {
            mutating get {
                skipSpaces()
                return index == characters.count
            }
        }

        mutating func skipSpaces() {
            while index < characters.count, characters[index] == 0x20 || characters[index] == 0x09 { index += 1 }
        }

        mutating func expression() -> Int64? {
            guard var value = term() else { return nil }
            while true {
                skipSpaces()
                guard index < characters.count,
                    characters[index] == UInt8(ascii: "+") || characters[index] == UInt8(ascii: "-")
                else { return value }
                let op = characters[index]
                index += 1
                guard let rhs = term() else { return nil }
                let (result, overflow) =
                    op == UInt8(ascii: "+")
                    ? value.addingReportingOverflow(rhs) : value.subtractingReportingOverflow(rhs)
                guard !overflow else { return nil }
                value = result
            }
        }

        mutating func term() -> Int64? {
            guard var value = factor() else { return nil }
            while true {
                skipSpaces()
                guard index < characters.count,
                    characters[index] == UInt8(ascii: "*") || characters[index] == UInt8(ascii: "/")
                else { return value }
                let op = characters[index]
                index += 1
                guard let rhs = factor() else { return nil }
                if op == UInt8(ascii: "*") {
                    let (result, overflow) = value.multipliedReportingOverflow(by: rhs)
                    guard !overflow else { return nil }
                    value = result
                } else {
                    guard rhs != 0 else { return nil }
                    value /= rhs
                }
            }
        }

        mutating func factor() -> Int64? {
            skipSpaces()
            guard index < characters.count else { return nil }
            if characters[index] == UInt8(ascii: "(") {
                depth += 1
                guard depth < 32 else { return nil }
                index += 1
                guard let value = expression() else { return nil }
                skipSpaces()
                guard index < characters.count, characters[index] == UInt8(ascii: ")") else { return nil }
                index += 1
                depth -= 1
                return value
            }
            if characters[index] == UInt8(ascii: "-") {
                index += 1
                return factor().map { -$0 }
            }
            var value: Int64 = 0
            var digits = 0
            while index < characters.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(characters[index]) {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(characters[index] - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                value = plus
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }
    }
}
