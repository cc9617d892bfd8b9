import Testing

@testable import PortcullisServer

@Suite("CSP reports: what reaches the log, and how much")
struct CSPReportTests {
    @Test("a legacy report keeps page, directive and blocked URL without queries, fragments or controls")
    func legacy() throws {
        let json: [String: Any] = [
            "csp-report": [
                "document-uri": "https://auth.example/reset-password?token=secret#x", "violated-directive": "img-src",
                "blocked-uri": "https://evil.example/a\u{1B}[31m.png?k=1",
            ]
        ]
        let reports = try #require(CSPReport.read(json))
        #expect(
            reports == [
                CSPReport(
                    page: "https://auth.example/reset-password", directive: "img-src",
                    blocked: "https://evil.example/a[31m.png")
            ])
    }

    @Test("Reporting API lists: only csp-violation entries, at most 16; anything else is not a report")
    func reportingAPI() {
        let entry: [String: Any] = [
            "type": "csp-violation",
            "body": ["documentURL": "https://a/login", "effectiveDirective": "style-src-attr"],
        ]
        let other: [String: Any] = ["type": "deprecation", "body": [:] as [String: Any]]
        #expect(CSPReport.read([entry, other])?.count == 1)
        #expect(CSPReport.read([entry, other])?.first?.blocked == "-")
        #expect(CSPReport.read(Array(repeating: entry, count: 17)) == nil)
        #expect(CSPReport.read(["csp-report": "x"]) == nil)
        #expect(CSPReport.clean(String(repeating: "a", count: 500), url: false).count == 200)
    }

    @Test("the log budget allows its lines a minute, then none until the minute has passed")
    func budget() {
        let budget = LogBudget(perMinute: 3)
        #expect((0..<5).map { _ in budget.allow(now: 1_000) } == [true, true, true, false, false])
        #expect(!budget.allow(now: 60_999))
        #expect(budget.allow(now: 61_000))
    }
}
