import PortcullisHTTP
import Testing

@Suite("Router, cookies, forms, dates")
struct MessageTests {
    @Test("routes with parameters, 404, 405 with Allow, HEAD via GET, rest wildcard")
    func router() throws {
        var router = Router()
        router.get("/api/user") { _ in .text("user") }
        router.delete("/api/user/delete") { _ in .text("deleted") }
        router.get("/oauth/:provider/callback") { request in .text(request.parameters["provider"] ?? "") }
        router.post("/files/*") { request in .text(request.parameters["*"] ?? "") }

        var request = HTTPRequest(method: .get, target: "/oauth/git%20hub/callback?code=1")
        guard case .handler = router.resolve(&request) else {
            Issue.record("no match")
            return
        }
        #expect(request.parameters["provider"] == "git hub")
        var head = HTTPRequest(method: .head, target: "/api/user")
        guard case .handler = router.resolve(&head) else {
            Issue.record("HEAD not served by GET")
            return
        }
        var wrong = HTTPRequest(method: .post, target: "/api/user")
        guard case .methodNotAllowed(let allow) = router.resolve(&wrong) else {
            Issue.record("expected 405")
            return
        }
        #expect(allow == ["GET", "HEAD"])
        var missing = HTTPRequest(method: .get, target: "/api/users")
        guard case .notFound = router.resolve(&missing) else {
            Issue.record("expected 404")
            return
        }
        var rest = HTTPRequest(method: .post, target: "/files/a/b/c")
        guard case .handler = router.resolve(&rest) else {
            Issue.record("no rest match")
            return
        }
        #expect(rest.parameters["*"] == "a/b/c")
        var trailing = HTTPRequest(method: .get, target: "/api/user/")
        guard case .notFound = router.resolve(&trailing) else {
            Issue.record("trailing slash matched")
            return
        }
    }

    @Test("Cookie parsing and Set-Cookie building")
    func cookies() {
        let parsed = Cookie.parse(" refreshToken=abc.def ; token_provider=librechat;bad; =x; q=\"quoted\"")
        #expect(parsed.map(\.name) == ["refreshToken", "token_provider", "q"])
        #expect(parsed.last?.value == "quoted")
        let cookie = SetCookie(
            name: "refreshToken", value: "a b;c", expires: 784_111_777, httpOnly: true, secure: true, sameSite: .strict)
        #expect(
            cookie.headerValue
                == "refreshToken=a%20b%3Bc; Path=/; Expires=Sun, 06 Nov 1994 08:49:37 GMT; HttpOnly; Secure; SameSite=Strict"
        )
        #expect(SetCookie.clearing("token_provider").headerValue.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"))
        var response = HTTPResponse()
        response.setCookie(cookie)
        #expect(response.headers.values(for: "set-cookie").count == 1)
    }

    @Test("form and query decoding")
    func forms() {
        let fields = FormURLEncoded.parse("code=a%2Fb&state=x+y&empty=&flag&bad=%zz&utf=%C3%A9")
        #expect(fields.map(\.name) == ["code", "state", "empty", "flag", "bad", "utf"])
        #expect(fields.map(\.value) == ["a/b", "x y", "", "", "%zz", "é"])
        #expect(FormURLEncoded.encode("a b/é") == "a%20b%2F%C3%A9")
    }

    @Test(
        "IMF-fixdate",
        arguments: [
            (Int64(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ])
    func dates(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }

    @Test(
        "ISO 8601 with milliseconds, both ways",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            (1_709_287_200_123, "2024-03-01T10:00:00.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (-1000, "1969-12-31T23:59:59.000Z"),
        ])
    func iso8601(milliseconds: Int64, expected: String) {
        #expect(HTTPDate.iso8601(millisecondsSince1970: milliseconds) == expected)
        #expect(HTTPDate.parseISO8601(expected) == milliseconds)
        #expect(HTTPDate.parseISO8601("2024-03-01T10:00:00Z") == 1_709_287_200_000)
        #expect(HTTPDate.parseISO8601("2024-13-01T10:00:00Z") == nil)
        #expect(HTTPDate.parseISO8601("yesterday") == nil)
    }

    @Test("header values with CR or LF are dropped, never written")
    func headerInjection() {
        var headers = HTTPHeaders()
        headers.add(name: "X-Ok", value: "fine")
        headers.add(name: "X-Bad", value: "a\r\nSet-Cookie: evil=1")
        #expect(headers.count == 1)
    }
}
