/// An incremental, strict HTTP/1.x request parser (RFC 9112) with no I/O.
///
/// Feed it the connection's buffer, starting at the first byte of the current request, as often as
/// more bytes arrive; it remembers how far it got, so nothing is scanned twice. When it returns a
/// request, the caller drops `consumed` bytes from the front of its buffer and calls again for the
/// next pipelined request.
public struct HTTPRequestParser: Sendable {
    public enum Outcome: Sendable {
        /// Not enough bytes yet.
        case needMoreData
        /// A complete request, occupying the first `consumed` bytes.
        case request(HTTPRequest, consumed: Int)
        /// The request is malformed or over a limit: answer with the error's status and close.
        case failure(HTTPParseError)
    }

    struct Head: Sendable {
        var method: HTTPMethod
        var target: String
        var minorVersion: Int
        var headers: HTTPHeaders
    }

    enum State: Sendable {
        case head
        case fixedBody(Head, length: Int)
        case chunkSize(Head)
        case chunkData(Head, remaining: Int)
        case chunkDataEnd(Head)
        case trailers(Head, start: Int)
    }

    public let limits: HTTPLimits
    private var state: State = .head
    /// Where the next scan starts, relative to the start of the request.
    private var position = 0
    private var body: [UInt8] = []
    private var continuePending = false
    private var headProgress = HeadProgress()

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// True once per request whose head asked for `Expect: 100-continue` and whose body has not
    /// arrived yet; reading it clears it.
    public mutating func takeContinueRequest() -> Bool {
        defer { continuePending = false }
        return continuePending
    }

    /// Whether the head is complete and the body is being read.
    public var isReadingBody: Bool {
        if case .head = state { return false }
        return true
    }

    /// Parses as far as `buffer` allows.
    public mutating func parse(_ buffer: [UInt8], remoteAddress: String = "") -> Outcome {
        buffer.withUnsafeBufferPointer { parse(bytes: $0, remoteAddress: remoteAddress) }
    }

    /// Parses as far as `bytes` allows.
    public mutating func parse(bytes: UnsafeBufferPointer<UInt8>, remoteAddress: String) -> Outcome {
        while true {
            switch state {
            case .head:
                switch scanHead(bytes) {
                case .needMore: return .needMoreData
                case .failure(let error): return fail(error)
                case .complete(let head, let end):
                    position = end
                    headProgress = HeadProgress()
                    switch bodyFraming(of: head) {
                    case .failure(let error): return fail(error)
                    case .success(let framing):
                        state = framing
                        if head.headers["Expect"] != nil, case .fixedBody(_, let length) = framing, length > 0,
                            bytes.count - end < length
                        {
                            continuePending = true
                        } else if head.headers["Expect"] != nil, case .chunkSize = framing {
                            continuePending = true
                        }
                    }
                }
            case .fixedBody(let head, let length):
                guard bytes.count - position >= length else { return .needMoreData }
                body = Array(bytes[position..<position + length])
                return finish(head, consumed: position + length, remoteAddress: remoteAddress)
            case .chunkSize(let head):
                guard let lineEnd = findLineEnd(bytes, from: position) else {
                    if bytes.count - position > 4096 { return fail(.init(.badRequest, "chunk size line too long")) }
                    return .needMoreData
                }
                guard case .success(let lineBytes) = lineEnd else {
                    if case .failure(let error) = lineEnd { return fail(error) }
                    return .needMoreData
                }
                guard let size = parseChunkSize(bytes[position..<lineBytes]) else {
                    return fail(.init(.badRequest, "invalid chunk size"))
                }
                position = lineBytes + 2
                if size == 0 {
                    state = .trailers(head, start: position)
                } else {
                    guard body.count + size <= limits.maximumBodyLength else {
                        return fail(.init(.contentTooLarge, "body exceeds \(limits.maximumBodyLength) bytes"))
                    }
                    state = .chunkData(head, remaining: size)
                }
            case .chunkData(let head, let remaining):
                let available = min(remaining, bytes.count - position)
                if available > 0 {
                    body.append(contentsOf: bytes[position..<position + available])
                    position += available
                }
                if available < remaining {
                    state = .chunkData(head, remaining: remaining - available)
                    return .needMoreData
                }
                state = .chunkDataEnd(head)
            case .chunkDataEnd(let head):
                guard bytes.count - position >= 2 else { return .needMoreData }
                guard bytes[position] == 13, bytes[position + 1] == 10 else {
                    return fail(.init(.badRequest, "chunk data not followed by CRLF"))
                }
                position += 2
                state = .chunkSize(head)
            case .trailers(let head, let start):
                // Trailer fields are read (bounded, validated) and discarded.
                while true {
                    guard let lineEnd = findLineEnd(bytes, from: position) else {
                        if bytes.count - start > limits.maximumHeaderSectionLength {
                            return fail(.init(.requestHeaderFieldsTooLarge, "trailer section too large"))
                        }
                        return .needMoreData
                    }
                    guard case .success(let end) = lineEnd else {
                        if case .failure(let error) = lineEnd { return fail(error) }
                        return .needMoreData
                    }
                    if end == position {
                        return finish(head, consumed: end + 2, remoteAddress: remoteAddress)
                    }
                    if end - start > limits.maximumHeaderSectionLength {
                        return fail(.init(.requestHeaderFieldsTooLarge, "trailer section too large"))
                    }
                    if case .failure(let error) = parseField(bytes[position..<end]) { return fail(error) }
                    position = end + 2
                }
            }
        }
    }

    private mutating func finish(_ head: Head, consumed: Int, remoteAddress: String) -> Outcome {
        var request = HTTPRequest(
            method: head.method, target: head.target, minorVersion: head.minorVersion,
            headers: head.headers, body: body, remoteAddress: remoteAddress)
        request.body = body
        reset()
        return .request(request, consumed: consumed)
    }

    private mutating func fail(_ error: HTTPParseError) -> Outcome {
        reset()
        return .failure(error)
    }

    private mutating func reset() {
        state = .head
        position = 0
        body = []
        continuePending = false
        headProgress = HeadProgress()
    }

    // MARK: Head

    enum HeadScan {
        case needMore
        case complete(Head, end: Int)
        case failure(HTTPParseError)
    }

    enum LineEnd {
        case success(Int)
        case failure(HTTPParseError)
    }

    /// Finds the CR of the next CRLF at or after `from`; a bare CR or bare LF is an error.
    private func findLineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> LineEnd? {
        var index = from
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 10 {
                return .failure(.init(.badRequest, "bare LF"))
            }
            if byte == 13 {
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == 10 else { return .failure(.init(.badRequest, "bare CR")) }
                return .success(index)
            }
            index += 1
        }
        return nil
    }

    private mutating func scanHead(_ bytes: UnsafeBufferPointer<UInt8>) -> HeadScan {
        // Ignore empty lines before the request line (RFC 9112 §2.2), a few at most.
        if headProgress.lineStart == 0 {
            var start = 0
            while start + 1 < bytes.count, bytes[start] == 13, bytes[start + 1] == 10, start < 8 { start += 2 }
            headProgress.requestStart = start
            headProgress.lineStart = start
        }
        // Complete lines found on earlier calls are kept in `headProgress`; scanning resumes at the
        // first incomplete line, so a head trickling in byte by byte is still scanned once.
        while true {
            guard let next = findLineEnd(bytes, from: headProgress.lineStart) else {
                if headProgress.requestLineEnd == nil {
                    if bytes.count - headProgress.requestStart > limits.maximumTargetLength + 64 {
                        return .failure(.init(.uriTooLong, "request line exceeds the limit"))
                    }
                } else if bytes.count - headProgress.fieldsStart > limits.maximumHeaderSectionLength {
                    return .failure(.init(.requestHeaderFieldsTooLarge, "header section exceeds the limit"))
                }
                return .needMore
            }
            guard case .success(let end) = next else {
                if case .failure(let error) = next { return .failure(error) }
                return .needMore
            }
            if headProgress.requestLineEnd == nil {
                headProgress.requestLineEnd = end
                headProgress.fieldsStart = end + 2
            } else if end == headProgress.lineStart {
                break
            } else {
                headProgress.fieldLines.append(headProgress.lineStart..<end)
                if end - headProgress.fieldsStart > limits.maximumHeaderSectionLength {
                    return .failure(.init(.requestHeaderFieldsTooLarge, "header section exceeds the limit"))
                }
                if headProgress.fieldLines.count > limits.maximumHeaderCount {
                    return .failure(
                        .init(.requestHeaderFieldsTooLarge, "more than \(limits.maximumHeaderCount) header fields"))
                }
            }
            headProgress.lineStart = end + 2
        }
        let headEnd = headProgress.lineStart + 2
        let requestLine = bytes[headProgress.requestStart..<headProgress.requestLineEnd!]
        switch parseRequestLine(requestLine) {
        case .failure(let error):
            return .failure(error)
        case .success(let (method, target, minor)):
            var headers = HTTPHeaders()
            for line in headProgress.fieldLines {
                switch parseField(bytes[line]) {
                case .failure(let error): return .failure(error)
                case .success(let (name, value)): headers.add(name: name, value: value)
                }
            }
            return .complete(Head(method: method, target: target, minorVersion: minor, headers: headers), end: headEnd)
        }
    }

    /// What the head scan has established so far.
    struct HeadProgress: Sendable {
        var requestStart = 0
        var lineStart = 0
        var requestLineEnd: Int?
        var fieldsStart = 0
        var fieldLines: [Range<Int>] = []
    }

    enum RequestLine {
        case success((HTTPMethod, String, Int))
        case failure(HTTPParseError)
    }

    private func parseRequestLine(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> RequestLine {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(.init(.badRequest, "malformed request line"))
        }
        guard parts[0].allSatisfy(ASCII.isToken) else { return .failure(.init(.badRequest, "invalid method")) }
        let version = parts[2]
        let minor: Int
        if version.elementsEqual("HTTP/1.1".utf8) {
            minor = 1
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            minor = 0
        } else if version.count == 8, version.starts(with: "HTTP/".utf8),
            (0x30...0x39).contains(version[version.startIndex + 5]), version[version.startIndex + 6] == 0x2E,
            (0x30...0x39).contains(version[version.startIndex + 7])
        {
            return .failure(.init(.httpVersionNotSupported, "unsupported HTTP version"))
        } else {
            return .failure(.init(.badRequest, "malformed HTTP version"))
        }
        let rawTarget = parts[1]
        guard rawTarget.count <= limits.maximumTargetLength else {
            return .failure(.init(.uriTooLong, "request target exceeds \(limits.maximumTargetLength) bytes"))
        }
        guard rawTarget.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(.init(.badRequest, "invalid character in request target"))
        }
        guard let method = HTTPMethod.implemented(parts[0]) else {
            return .failure(.init(.notImplemented, "method not implemented"))
        }
        var target = String(decoding: rawTarget, as: UTF8.self)
        if target.hasPrefix("/") {
            // origin-form
        } else if target == "*" {
            guard method == .options else { return .failure(.init(.badRequest, "asterisk-form is only for OPTIONS")) }
        } else if let authority = Self.absoluteFormAuthority(target) {
            // absolute-form: keep the path and query; the authority is not ours to trust.
            let afterAuthority = authority.drop { $0 != "/" && $0 != "?" }
            target =
                afterAuthority.isEmpty
                ? "/" : (afterAuthority.hasPrefix("?") ? "/" + afterAuthority : String(afterAuthority))
        } else {
            return .failure(.init(.badRequest, "unsupported request-target form"))
        }
        return .success((method, target, minor))
    }

    /// For `http://host/path` or `https://...`, everything after `://`.
    static func absoluteFormAuthority(_ target: String) -> Substring? {
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            return target.dropFirst(scheme.count)
        }
        return nil
    }

    enum Field {
        case success((String, String))
        case failure(HTTPParseError)
    }

    private func parseField(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Field {
        guard let first = line.first, first != 0x20, first != 0x09 else {
            return .failure(.init(.badRequest, "obsolete line folding"))
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            return .failure(.init(.badRequest, "header field without colon"))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(ASCII.isToken) else {
            return .failure(.init(.badRequest, "invalid header field name"))
        }
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy(ASCII.isFieldValue) else {
            return .failure(.init(.badRequest, "invalid character in header field value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    // MARK: Body framing (RFC 9112 §6)

    enum Framing {
        case success(State)
        case failure(HTTPParseError)
    }

    private func bodyFraming(of head: Head) -> Framing {
        let hosts = head.headers.values(for: "Host")
        if head.minorVersion >= 1 && hosts.count != 1 {
            return .failure(.init(.badRequest, "HTTP/1.1 requests need exactly one Host header"))
        }
        if hosts.count > 1 { return .failure(.init(.badRequest, "more than one Host header")) }
        if let expectation = head.headers["Expect"], expectation.lowercased() != "100-continue" {
            return .failure(.init(.expectationFailed, "unsupported expectation"))
        }
        let transferEncodings = head.headers.values(for: "Transfer-Encoding")
        let contentLengths = head.headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else {
                return .failure(.init(.badRequest, "both Transfer-Encoding and Content-Length"))
            }
            guard head.minorVersion >= 1 else { return .failure(.init(.badRequest, "Transfer-Encoding in HTTP/1.0")) }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map {
                $0.trimmingWhitespace().lowercased()
            }
            for coding in codings where coding != "chunked" {
                return .failure(.init(.notImplemented, "unsupported transfer coding"))
            }
            guard codings == ["chunked"] else {
                return .failure(.init(.badRequest, "chunked must be applied exactly once"))
            }
            return .success(.chunkSize(head))
        }
        guard !contentLengths.isEmpty else { return .success(.fixedBody(head, length: 0)) }
        var length: Int?
        for value in contentLengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = value.trimmingWhitespace()
            guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let parsed = Int(digits)
            else {
                return .failure(.init(.badRequest, "malformed Content-Length"))
            }
            if let length, length != parsed { return .failure(.init(.badRequest, "conflicting Content-Length values")) }
            length = parsed
        }
        guard let length else { return .failure(.init(.badRequest, "malformed Content-Length")) }
        guard length <= limits.maximumBodyLength else {
            return .failure(.init(.contentTooLarge, "body exceeds \(limits.maximumBodyLength) bytes"))
        }
        return .success(.fixedBody(head, length: length))
    }

    /// `chunk-size [ chunk-ext ]`: 1–16 hex digits, then extensions we validate and ignore.
    private func parseChunkSize(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let value = hexValue(line[index]) {
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | Int(value)
            index += 1
        }
        guard digits > 0 else { return nil }
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
        let rest = line[index..<line.endIndex]
        guard rest.allSatisfy({ ASCII.isFieldValue($0) && $0 != 0x7F }) else { return nil }
        if let first = rest.first(where: { $0 != 0x20 && $0 != 0x09 }), first != UInt8(ascii: ";") { return nil }
        return size
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
