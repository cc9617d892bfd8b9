import Glibc

/// A small blocking HTTP/1.1 client over plain TCP or a Unix socket, for tests, the load tool and
/// calls to plain-HTTP peers on loopback. One instance is one connection, reused (keep-alive) until
/// the server closes it. Every wait is bounded by `timeout`.
public final class HTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }

        public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    public enum ClientError: Error, Equatable, Sendable {
        case connectFailed(Int32)
        case timedOut
        case closed
        case malformedResponse(String)
    }

    private let address: ListenAddress
    private let timeout: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    /// - Parameter timeout: milliseconds for connecting and for each wait for bytes.
    public init(_ address: ListenAddress, timeout: Int = 5_000) {
        self.address = address
        self.timeout = timeout
    }

    deinit { disconnect() }

    public func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer.removeAll()
    }

    /// Sends a request and reads its response.
    public func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws(ClientError) -> Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try sendRaw(Array(text.utf8) + body)
        return try readResponse(headRequest: method == "HEAD")
    }

    /// Sends bytes as they are (for malformed-input tests), connecting first if needed.
    public func sendRaw(_ bytes: [UInt8]) throws(ClientError) {
        if fd < 0 { try connect() }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 {
                disconnect()
                throw .closed
            }
            offset += sent
        }
    }

    /// Reads one response (Content-Length, chunked, or until close).
    public func readResponse(headRequest: Bool = false) throws(ClientError) -> Response {
        let headEnd = try readUntilHeadEnd()
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw .malformedResponse("empty head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw .malformedResponse("bad status line")
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse("bad header line") }
            headers.add(
                name: String(line[..<colon]), value: String(line[line.index(after: colon)...].trimmingWhitespace()))
        }
        if status == 100 { return try readResponse(headRequest: headRequest) }
        var body: [UInt8] = []
        let noBody = headRequest || status == 204 || status == 304 || (100..<200).contains(status)
        if noBody {
        } else if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            body = try readChunked()
        } else if let lengthText = headers["Content-Length"], let length = Int(lengthText) {
            try fill(atLeast: length)
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while (try? fill(atLeast: buffer.count + 1)) != nil {}
            body = buffer
            buffer.removeAll()
        }
        if headers["Connection"]?.lowercased() == "close" { disconnect() }
        return Response(status: status, headers: headers, body: body)
    }

    /// True when the server has closed the connection (reads end of stream within the timeout).
    public func serverClosed() -> Bool {
        if fd < 0 { return true }
        do {
            try fill(atLeast: buffer.count + 1)
            return false
        } catch {
            return error == .closed
        }
    }

    private var hostHeader: String {
        switch address {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix: "localhost"
        }
    }

    private func connect() throws(ClientError) {
        let family =
            switch address {
            case .tcp(let host, _): host.contains(":") ? AF_INET6 : AF_INET
            case .unix: AF_UNIX
            }
        fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        setTimeouts()
        if case .tcp = address {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        // A host that is not an IP literal, or a Unix path too long for sun_path, cannot be reached.
        let result = Socket.withSocketAddress(address) { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            let code = result == nil ? EINVAL : errno
            disconnect()
            throw .connectFailed(code)
        }
    }

    private func setTimeouts() {
        var time = timeval(tv_sec: timeout / 1000, tv_usec: (timeout % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    private func fill(atLeast count: Int) throws(ClientError) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while buffer.count < count {
            guard fd >= 0 else { throw .closed }
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got > 0 {
                buffer.append(contentsOf: chunk[0..<got])
            } else if got == 0 {
                throw .closed
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw .timedOut
            } else {
                throw .closed
            }
        }
    }

    private func readUntilHeadEnd() throws(ClientError) -> Int {
        var searched = 0
        while true {
            if buffer.count >= 4 {
                var index = max(0, searched - 3)
                while index + 3 < buffer.count {
                    if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                        return index
                    }
                    index += 1
                }
                searched = buffer.count
            }
            if buffer.count > 1 << 20 { throw .malformedResponse("head too long") }
            try fill(atLeast: buffer.count + 1)
        }
    }

    private func readLine() throws(ClientError) -> String {
        while true {
            if let index = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                let line = String(decoding: buffer[0..<index], as: UTF8.self)
                buffer.removeFirst(index + 2)
                return line
            }
            if buffer.count > 64 * 1024 { throw .malformedResponse("line too long") }
            try fill(atLeast: buffer.count + 1)
        }
    }

    private func readChunked() throws(ClientError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            guard let size = Int(line.split(separator: ";")[0].trimmingCharacters(in: " "), radix: 16) else {
                throw .malformedResponse("bad chunk size")
            }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            try fill(atLeast: size + 2)
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result.removeFirst() }
        while result.last == set { result.removeLast() }
        return result
    }
}
