import FoundationEssentials

/// A response: status, header fields and a complete body. `Content-Length`, `Date` and
/// `Connection` are written by the server; setting them here has no effect.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body (`application/json; charset=utf-8`).
    public static func json<Value: Encodable>(_ value: Value, status: HTTPStatus = .ok) -> HTTPResponse {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return json(bytes: Array(try encoder.encode(value)), status: status)
        } catch {
            return json(bytes: Array(#"{"message":"Internal Server Error"}"#.utf8), status: .internalServerError)
        }
    }

    /// A body that is already JSON.
    public static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: bytes)
    }

    /// Built once: copying it per response is a retain, not an allocation.
    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]

    /// `{"message": ...}`, LibreChat's error shape.
    public static func message(_ text: String, status: HTTPStatus) -> HTTPResponse {
        json(["message": text], status: status)
    }

    /// A plain-text body.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// A redirect to `location`.
    public static func redirect(to location: String, status: HTTPStatus = .found) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Location": location])
    }

    /// Adds a `Set-Cookie` field.
    public mutating func setCookie(_ cookie: SetCookie) {
        headers.add(name: "Set-Cookie", value: cookie.headerValue)
    }
}
