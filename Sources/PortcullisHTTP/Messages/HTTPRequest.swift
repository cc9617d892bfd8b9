/// An HTTP method. Known methods are constants; any other token is carried as is.
public struct HTTPMethod: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let patch = HTTPMethod("PATCH")
    public static let delete = HTTPMethod("DELETE")
    public static let options = HTTPMethod("OPTIONS")

    /// The methods this server implements, recognised from raw bytes without allocating; any other
    /// valid token is answered 501.
    static func implemented<Bytes: Collection>(_ bytes: Bytes) -> HTTPMethod? where Bytes.Element == UInt8 {
        switch bytes.count {
        case 3:
            if bytes.elementsEqual("GET".utf8) { return .get }
            if bytes.elementsEqual("PUT".utf8) { return .put }
        case 4:
            if bytes.elementsEqual("POST".utf8) { return .post }
            if bytes.elementsEqual("HEAD".utf8) { return .head }
        case 5:
            if bytes.elementsEqual("PATCH".utf8) { return .patch }
        case 6:
            if bytes.elementsEqual("DELETE".utf8) { return .delete }
        case 7:
            if bytes.elementsEqual("OPTIONS".utf8) { return .options }
        default:
            break
        }
        return nil
    }

    public var description: String { rawValue }
}

/// A parsed request: head, complete body, and where it came from.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as received (origin-form, e.g. `/api/user?x=1`).
    public var target: String
    /// The target's path, still percent-encoded.
    public var path: String
    /// The raw query after `?`, if any.
    public var query: String?
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's address: an IPv4/IPv6 literal, or `unix` for Unix-domain sockets.
    public var remoteAddress: String
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3), from the
    /// version and the `Connection` header.
    public var keepAlive: Bool

    /// Path parameters filled in by the ``Router`` (`/users/:id` → `["id": ...]`), percent-decoded.
    public var parameters: [String: String] = [:]

    public init(
        method: HTTPMethod, target: String, minorVersion: Int = 1, headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        self.method = method
        self.target = target
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        keepAlive = Self.keepAlive(minorVersion: minorVersion, headers: headers)
    }

    static func keepAlive(minorVersion: Int, headers: HTTPHeaders) -> Bool {
        var close = false
        var keepAlive = false
        for field in headers where HTTPHeaders.equalsIgnoringCase(field.name, "Connection") {
            for token in field.value.split(separator: ",") {
                let trimmed = token.trimmingWhitespace()
                if trimmed.utf8.count == 5, trimmed.lowercased() == "close" { close = true }
                if trimmed.utf8.count == 10, trimmed.lowercased() == "keep-alive" { keepAlive = true }
            }
        }
        if close { return false }
        return minorVersion >= 1 || keepAlive
    }

    /// Query parameters, percent-decoded (`+` as space), in order; malformed escapes are kept literally.
    public var queryItems: [(name: String, value: String)] {
        guard let query else { return [] }
        return FormURLEncoded.parse(query)
    }

    /// The first query parameter with that name.
    public func queryItem(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Cookies from every `Cookie` header (RFC 6265 §5.4); the first of a repeated name wins.
    public var cookies: [String: String] {
        var result: [String: String] = [:]
        for header in headers.values(for: "Cookie") {
            for (name, value) in Cookie.parse(header) where result[name] == nil {
                result[name] = value
            }
        }
        return result
    }

    /// The body as `application/x-www-form-urlencoded` fields.
    public var formFields: [(name: String, value: String)] {
        FormURLEncoded.parse(String(decoding: body, as: UTF8.self))
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
