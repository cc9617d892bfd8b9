import PortcullisHTTP
import Testing

/// Parses `raw` (given at once) and returns the outcome.
func parseOnce(_ raw: String, limits: HTTPLimits = HTTPLimits()) -> HTTPRequestParser.Outcome {
    var parser = HTTPRequestParser(limits: limits)
    return parser.parse(Array(raw.utf8))
}

func status(of outcome: HTTPRequestParser.Outcome) -> Int? {
    if case .failure(let error) = outcome { return error.status.code }
    return nil
}

func parsedRequest(of outcome: HTTPRequestParser.Outcome) -> (HTTPRequest, Int)? {
    if case .request(let request, let consumed) = outcome { return (request, consumed) }
    return nil
}

@Suite("HTTP request parser")
struct ParserTests {
    static let get =
        "GET /api/user?x=1&y=%20z HTTP/1.1\r\nHost: example\r\nAuthorization: Bearer abc\r\nCookie: a=1; refreshToken=xyz\r\n\r\n"
    static let post =
        "POST /api/auth/login HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"email\":\"a@b.c\",\"pw\":\"x\"}\n"
    static let chunked =
        "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;name=value;flag\r\nhello\r\n7 ; ext=\"q\"\r\n, world\r\n0\r\nTrailer-One: 1\r\nTrailer-Two: 2\r\n\r\n"

    @Test("a GET with query, headers and cookies")
    func simpleGet() throws {
        let (request, consumed) = try #require(parsedRequest(of: parseOnce(Self.get)))
        #expect(consumed == Self.get.utf8.count)
        #expect(request.method == .get)
        #expect(request.path == "/api/user")
        #expect(request.query == "x=1&y=%20z")
        #expect(request.queryItem("y") == " z")
        #expect(request.headers["authorization"] == "Bearer abc")
        #expect(request.cookies["refreshToken"] == "xyz")
        #expect(request.keepAlive)
    }

    @Test("a POST body by Content-Length and a chunked body with extensions and trailers")
    func bodies() throws {
        let (post, postConsumed) = try #require(parsedRequest(of: parseOnce(Self.post)))
        #expect(String(decoding: post.body, as: UTF8.self) == "{\"email\":\"a@b.c\",\"pw\":\"x\"}\n")
        #expect(postConsumed == Self.post.utf8.count)
        let (chunked, chunkedConsumed) = try #require(parsedRequest(of: parseOnce(Self.chunked)))
        #expect(String(decoding: chunked.body, as: UTF8.self) == "hello, world")
        #expect(chunkedConsumed == Self.chunked.utf8.count)
    }

    @Test("split reads at every byte boundary give the same request", arguments: [get, post, chunked])
    func everyBoundary(raw: String) throws {
        let bytes = Array(raw.utf8)
        let whole = try #require(parsedRequest(of: parseOnce(raw)))
        for split in 1..<bytes.count {
            var parser = HTTPRequestParser()
            let first = parser.parse(Array(bytes[0..<split]))
            guard case .needMoreData = first else {
                Issue.record("split \(split): expected needMoreData, got \(first)")
                continue
            }
            let second = try #require(parsedRequest(of: parser.parse(bytes)), "split \(split)")
            #expect(second.1 == whole.1)
            #expect(second.0.body == whole.0.body)
            #expect(second.0.target == whole.0.target)
            #expect(second.0.headers.count == whole.0.headers.count)
        }
        // And byte by byte with one parser.
        var parser = HTTPRequestParser()
        for end in 1..<bytes.count {
            guard case .needMoreData = parser.parse(Array(bytes[0..<end])) else {
                Issue.record("byte-by-byte stopped early at \(end)")
                return
            }
        }
        #expect(parsedRequest(of: parser.parse(bytes))?.0.body == whole.0.body)
    }

    @Test("pipelined requests come out one by one, in order")
    func pipelined() throws {
        var buffer = Array((Self.get + Self.post + Self.chunked + Self.get).utf8)
        var parser = HTTPRequestParser()
        var paths: [String] = []
        while !buffer.isEmpty {
            let (request, consumed) = try #require(parsedRequest(of: parser.parse(buffer)))
            paths.append(request.path)
            buffer.removeFirst(consumed)
        }
        #expect(paths == ["/api/user", "/api/auth/login", "/upload", "/api/user"])
    }

    @Test(
        "malformed requests are refused with the right status",
        arguments: [
            ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /\r\nHost: h\r\n\r\n", 400),
            ("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501),
            ("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 501),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            ("GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nName : x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n", 400),
            ("GET / HTTP/1.1\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: \u{01}\r\n\r\n", 400),
            ("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /é HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417),
        ])
    func rejections(raw: String, expected: Int) {
        #expect(status(of: parseOnce(raw)) == expected, "\(raw.debugDescription)")
    }

    @Test("size limits: 414 target, 431 header section and count, 413 chunked body")
    func limits() {
        let longTarget = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(status(of: parseOnce(longTarget)) == 414)
        let unfinishedTarget = "GET /" + String(repeating: "a", count: 9000)
        #expect(status(of: parseOnce(unfinishedTarget)) == 414)
        let bigHeader = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 17000) + "\r\n\r\n"
        #expect(status(of: parseOnce(bigHeader)) == 431)
        let unfinishedHeader = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 17000)
        #expect(status(of: parseOnce(unfinishedHeader)) == 431)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: h\r\n" + (0..<101).map { "X-\($0): 1\r\n" }.joined() + "\r\n"
        #expect(status(of: parseOnce(manyHeaders)) == 431)
        let small = HTTPLimits(maximumBodyLength: 10)
        let bigChunked =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n"
        #expect(status(of: parseOnce(bigChunked, limits: small)) == 413)
    }

    @Test("HTTP/1.0, Connection headers, absolute-form, leading empty lines, duplicate equal lengths")
    func semantics() throws {
        let old = try #require(parsedRequest(of: parseOnce("GET / HTTP/1.0\r\n\r\n")))
        #expect(!old.0.keepAlive)
        let oldKeep = try #require(parsedRequest(of: parseOnce("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")))
        #expect(oldKeep.0.keepAlive)
        let close = try #require(parsedRequest(of: parseOnce("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n")))
        #expect(!close.0.keepAlive)
        let absolute = try #require(
            parsedRequest(of: parseOnce("GET http://evil.example/path?q=1 HTTP/1.1\r\nHost: h\r\n\r\n")))
        #expect(absolute.0.target == "/path?q=1")
        let leading = try #require(parsedRequest(of: parseOnce("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")))
        #expect(leading.0.path == "/")
        let sameLengths = try #require(
            parsedRequest(
                of: parseOnce("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")))
        #expect(sameLengths.0.body == Array("ok".utf8))
    }

    @Test("Expect: 100-continue is reported once while the body is missing")
    func expectContinue() {
        var parser = HTTPRequestParser()
        let head = Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8)
        guard case .needMoreData = parser.parse(head) else {
            Issue.record("expected needMoreData")
            return
        }
        let first = parser.takeContinueRequest()
        let second = parser.takeContinueRequest()
        #expect(first)
        #expect(!second)
        #expect(parsedRequest(of: parser.parse(head + Array("body".utf8)))?.0.body == Array("body".utf8))
    }
}
