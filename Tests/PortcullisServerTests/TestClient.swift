import Foundation
import PortcullisCore
import PortcullisHTTP

@testable import PortcullisServer

/// Drives a router in-process, as HummingbirdTesting's router client does: no socket, the same
/// resolution and error rendering as the server, and a cookie jar like a browser's.
struct TestClient {
    let router: Router
    var cookies: [String: String] = [:]
    var remoteAddress = "127.0.0.1"

    init(_ router: Router) {
        self.router = router
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var message: String? { json["message"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
        var setCookies: [String] { headers.values(for: "Set-Cookie") }
    }

    @discardableResult
    mutating func send(
        _ method: HTTPMethod, _ target: String, json: [String: Any]? = nil, raw: [UInt8]? = nil,
        bearer: String? = nil
    ) async -> Answer {
        var headers = HTTPHeaders()
        if !cookies.isEmpty {
            headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { headers.add(name: "Authorization", value: "Bearer " + bearer) }
        let body = raw ?? json.map { Array(try! JSONSerialization.data(withJSONObject: $0)) } ?? []
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        let request = HTTPRequest(
            method: method, target: target, headers: headers, body: body, remoteAddress: remoteAddress)
        let response = await router.respond(to: request)
        for cookie in response.headers.values(for: "Set-Cookie") {
            let pair = cookie.split(separator: ";")[0].split(
                separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty {
                cookies.removeValue(forKey: String(pair[0]))
            } else {
                cookies[String(pair[0])] = String(pair[1])
            }
        }
        return Answer(status: response.status.code, headers: response.headers, body: response.body)
    }
}

/// An engine on a fresh data directory with a manual clock, recovered (so its journal runs).
func makeEngine(_ extra: [String: String] = [:], clock: ManualClock = ManualClock()) async throws -> Engine {
    let directory = NSTemporaryDirectory() + "portcullis-server-tests-\(UUID().uuidString)"
    var values = [
        "JWT_SECRET": "server-test-secret-0123456789", "JWT_REFRESH_SECRET": "server-test-refresh-0123456789",
        "ALLOW_REGISTRATION": "true", "ARGON2_MEMORY_KIB": "64", "ARGON2_ITERATIONS": "1",
        "PORTCULLIS_DATA_DIR": directory,
        "DURABILITY": "none", "LOGIN_MAX": "1000", "REGISTER_MAX": "1000",
    ]
    values.merge(extra) { $1 }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let engine = try Engine(environment: Environment(values), clock: clock)
    _ = try await engine.recover()
    return engine
}
