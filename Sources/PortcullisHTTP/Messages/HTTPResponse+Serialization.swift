extension HTTPResponse {
    /// Appends the wire form of this response to `out`. The server owns `Date`, `Content-Length`,
    /// `Connection` and `Transfer-Encoding`; any such field set by a handler is ignored.
    /// - Parameters:
    ///   - headRequest: answer to HEAD: the same head, no body.
    ///   - keepAlive: whether the connection stays open after this response.
    ///   - minorVersion: the request's HTTP minor version (1.0 clients need `Connection: keep-alive`).
    func serialize(into out: inout [UInt8], headRequest: Bool, keepAlive: Bool, minorVersion: Int, date: [UInt8]) {
        if status.code == 200 {
            out.append(contentsOf: HTTPResponse.okStatusLine)
        } else {
            out.append(contentsOf: "HTTP/1.1 \(status.code) \(status.reason)\r\n".utf8)
        }
        out.append(contentsOf: HTTPResponse.dateName)
        out.append(contentsOf: date)
        out.append(contentsOf: HTTPResponse.crlf)
        if status.allowsBody {
            out.append(contentsOf: HTTPResponse.contentLengthName)
            HTTPResponse.appendDecimal(body.count, to: &out)
            out.append(contentsOf: HTTPResponse.crlf)
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if minorVersion == 0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        for field in headers.fields where !HTTPResponse.serverOwned(field.name) {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: HTTPResponse.colonSpace)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: HTTPResponse.crlf)
        }
        out.append(contentsOf: HTTPResponse.crlf)
        if status.allowsBody && !headRequest {
            out.append(contentsOf: body)
        }
    }

    static let crlf: [UInt8] = [13, 10]
    static let okStatusLine = Array("HTTP/1.1 200 OK\r\n".utf8)
    static let dateName = Array("Date: ".utf8)
    static let contentLengthName = Array("Content-Length: ".utf8)

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) + 0x30)
            return
        }
        appendDecimal(value / 10, to: &out)
        out.append(UInt8(truncatingIfNeeded: value % 10) + 0x30)
    }
    static let colonSpace: [UInt8] = [0x3A, 0x20]

    static func serverOwned(_ name: String) -> Bool {
        HTTPHeaders.equalsIgnoringCase(name, "Content-Length") || HTTPHeaders.equalsIgnoringCase(name, "Date")
            || HTTPHeaders.equalsIgnoringCase(name, "Connection")
            || HTTPHeaders.equalsIgnoringCase(name, "Transfer-Encoding")
    }
}
