import Foundation
import PortcullisHTTP

/// Runs blocking work (sockets, process waits, shutdown joins) on its own thread so the small
/// cooperative pool stays free for the server's handler tasks.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}

struct Echo: Codable, Sendable {
    var method: String
    var path: String
    var query: String?
    var body: String
    var contentType: String?
    var remote: String
    var cookies: [String: String]
}

/// The routes the integration tests use.
func testRouter() -> Router {
    var router = Router()
    router.onImmediate(.get, "/json") { _ in .json(["ok": true]) }
    router.on(.post, "/echo") { request in
        .json(
            Echo(
                method: request.method.rawValue, path: request.path, query: request.query,
                body: String(decoding: request.body, as: UTF8.self), contentType: request.headers["Content-Type"],
                remote: request.remoteAddress, cookies: request.cookies))
    }
    router.get("/echo") { request in
        .json(
            Echo(
                method: request.method.rawValue, path: request.path, query: request.query, body: "",
                contentType: nil, remote: request.remoteAddress, cookies: request.cookies))
    }
    router.post("/form") { request in
        .json(Dictionary(request.formFields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
    }
    router.get("/slow") { request in
        let milliseconds = Int(request.queryItem("ms") ?? "100") ?? 100
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .text("slow \(milliseconds)")
    }
    router.get("/fast") { _ in .text("fast") }
    router.get("/cookie") { _ in
        var response = HTTPResponse.text("set")
        response.setCookie(SetCookie(name: "refreshToken", value: "r1", maxAge: 60, secure: false, sameSite: .strict))
        return response
    }
    router.get("/throws") { _ in
        struct Secret: Error { var detail = "database password is hunter2" }
        throw Secret()
    }
    router.get("/empty") { _ in HTTPResponse(status: .noContent) }
    return router
}

/// Starts a server on 127.0.0.1:0 (plus any extra addresses), runs `body`, and shuts it down.
func withServer<T: Sendable>(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (HTTPServer) throws -> T
) async throws -> T {
    var configuration = HTTPServerConfiguration(addresses: [.tcp(host: "127.0.0.1", port: 0)], eventLoopCount: 2)
    configure(&configuration)
    let server = try HTTPServer(configuration: configuration, router: testRouter())
    try server.start()
    let result: Result<T, any Error>
    do {
        result = .success(try await onThread { try body(server) })
    } catch {
        result = .failure(error)
    }
    _ = try await onThread { server.shutdown(gracePeriod: 2_000) }
    return try result.get()
}

/// Runs a command, returning its exit status, standard output and standard error.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

var oraclePython: String {
    ProcessInfo.processInfo.environment["PORTCULLIS_ORACLE_PYTHON"]
        ?? repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
}

extension HTTPServer {
    var tcp: ListenAddress { .tcp(host: "127.0.0.1", port: port) }
    var base: String { "http://127.0.0.1:\(port)" }
}
