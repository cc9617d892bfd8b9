import Foundation

/// An incremental parser of HTTP/1.1 responses to our own requests: status, the headers the load
/// tool needs, and a body framed by `Content-Length` or chunked encoding.
struct ResponseParser {
    struct Response {
        var status: Int
        var setCookies: [String]
        var body: [UInt8]
        var close: Bool
    }

    enum Outcome {
        case needMore
        case response(Response, consumed: Int)
        case malformed(String)
    }

    static func parse(_ bytes: [UInt8]) -> Outcome {
        guard let headEnd = find(bytes, [13, 10, 13, 10], from: 0) else {
            return bytes.count > 64 * 1024 ? .malformed("response head too long") : .needMore
        }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            return .malformed("bad status line")
        }
        var length: Int?
        var chunked = false
        var close = statusLine[0] == "HTTP/1.0"
        var cookies: [String] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .malformed("bad header") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": close = value.lowercased() == "close"
            case "set-cookie": cookies.append(value)
            default: break
            }
        }
        let bodyStart = headEnd + 4
        if status == 204 || status == 304 || (100..<200).contains(status) {
            return .response(Response(status: status, setCookies: cookies, body: [], close: close), consumed: bodyStart)
        }
        if chunked {
            var cursor = bodyStart
            var body: [UInt8] = []
            while true {
                guard let lineEnd = find(bytes, [13, 10], from: cursor) else { return .needMore }
                let sizeText =
                    String(decoding: bytes[cursor..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    return .malformed("bad chunk")
                }
                cursor = lineEnd + 2
                if size == 0 {
                    guard let end = find(bytes, [13, 10, 13, 10], from: cursor - 2) else { return .needMore }
                    return .response(
                        Response(status: status, setCookies: cookies, body: body, close: close), consumed: end + 4)
                }
                guard bytes.count >= cursor + size + 2 else { return .needMore }
                body += bytes[cursor..<cursor + size]
                cursor += size + 2
            }
        }
        guard let length else {
            return .malformed("no Content-Length on a keep-alive response")
        }
        guard bytes.count >= bodyStart + length else { return .needMore }
        return .response(
            Response(
                status: status, setCookies: cookies, body: Array(bytes[bodyStart..<bodyStart + length]), close: close),
            consumed: bodyStart + length)
    }

    static func find(_ bytes: [UInt8], _ pattern: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = max(0, start)
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] {
                var matched = true
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}
