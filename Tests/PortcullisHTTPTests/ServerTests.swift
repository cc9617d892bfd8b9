import Foundation
import PortcullisHTTP
import Testing

@Suite("HTTP server with real clients", .serialized)
struct ServerTests {
    @Test("curl: JSON, keep-alive reuse, HEAD, IPv6 and a Unix socket")
    func curl() async throws {
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "portcullis-\(UUID().uuidString).sock"
        ).path
        let configure: @Sendable (inout HTTPServerConfiguration) -> Void = {
            $0.addresses += [.tcp(host: "::1", port: 0), .unix(path: socketPath, mode: 0o600)]
        }
        try await withServer(configure) {
            server in
            let get = try runProcess("/usr/bin/curl", ["-sS", "-i", server.base + "/json"])
            #expect(get.status == 0)
            #expect(get.output.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(get.output.contains("Content-Length: 11\r\n"))
            #expect(get.output.hasSuffix("\r\n\r\n{\"ok\":true}"))
            let twice = try runProcess("/usr/bin/curl", ["-sS", "-v", server.base + "/json", server.base + "/fast"])
            #expect(twice.output == "{\"ok\":true}fast")
            #expect(twice.errors.contains("Re-using existing connection"))
            let head = try runProcess("/usr/bin/curl", ["-sS", "-I", server.base + "/json"])
            #expect(head.output.contains("Content-Length: 11"))
            // IPv6: the second TCP listener's port differs; find it from the server's addresses.
            for case .tcp(let host, let port) in server.addresses where host == "::1" {
                let six = try runProcess("/usr/bin/curl", ["-sS", "-g", "http://[::1]:\(port)/json"])
                #expect(six.output == "{\"ok\":true}")
            }
            let unix = try runProcess("/usr/bin/curl", ["-sS", "--unix-socket", socketPath, "http://localhost/echo"])
            #expect(unix.output.contains("\"remote\":\"unix\""))
            var info = stat()
            #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        }
    }

    @Test("Python requests and http.client")
    func python() async throws {
        let python = oraclePython
        try #require(
            FileManager.default.isExecutableFile(atPath: python), "no venv python at \(python); run scripts/test")
        let script = repositoryRoot.appendingPathComponent("Tests/PortcullisHTTPTests/Clients/clients.py").path
        try await withServer { server in
            let result = try runProcess(python, [script, server.base])
            #expect(result.status == 0, "\(result.output)\(result.errors)")
            #expect(result.output.contains("all python client checks passed"))
        }
    }

    @Test("pipelined requests are answered in order even when the first is slowest")
    func pipelining() async throws {
        try await withServer { server in
            let client = HTTPClient(server.tcp)
            let batch =
                "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n"
            try client.sendRaw(Array(batch.utf8))
            #expect(try client.readResponse().text == "slow 300")
            #expect(try client.readResponse().text == "fast")
            #expect(try client.readResponse().text.contains("\"body\":\"abc\""))
            #expect(try client.readResponse().text == "slow 50")
        }
    }

    @Test(
        "malformed requests get their status and the connection is closed",
        arguments: [
            ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
            ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n", 413),
            ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
            ("GET /\u{7F} HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ])
    func malformed(raw: String, expected: Int) async throws {
        try await withServer { server in
            let client = HTTPClient(server.tcp)
            try client.sendRaw(Array(raw.utf8))
            let response = try client.readResponse()
            #expect(response.status == expected)
            #expect(response.headers["Connection"] == "close")
            #expect(client.serverClosed())
        }
    }

    @Test("a refused request followed by more bytes gets its answer, then the half-closed connection ends")
    func lingeringClose() async throws {
        try await withServer { server in
            for _ in 0..<5 {
                let client = HTTPClient(server.tcp)
                var bytes = Array("BREW / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 300_000)
                try client.sendRaw(bytes)
                #expect(try client.readResponse().status == 501)
                #expect(client.serverClosed())
            }
        }
    }

    @Test("431 for a huge header section, 414 for a huge target")
    func oversized() async throws {
        try await withServer { server in
            let big = HTTPClient(server.tcp)
            try big.sendRaw(
                Array(
                    ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "y", count: 20_000) + "\r\n\r\n").utf8))
            #expect(try big.readResponse().status == 431)
            let long = HTTPClient(server.tcp)
            try long.sendRaw(
                Array(("GET /" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").utf8))
            #expect(try long.readResponse().status == 414)
        }
    }

    @Test("slow-loris: a trickling head gets 408 and is closed while normal clients are served")
    func slowLoris() async throws {
        let configure: @Sendable (inout HTTPServerConfiguration) -> Void = { $0.headerTimeout = 800 }
        try await withServer(configure) { server in
            let attackers = (0..<20).map { _ in HTTPClient(server.tcp, timeout: 5_000) }
            for attacker in attackers { try attacker.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)) }
            let started = Date()
            let normal = HTTPClient(server.tcp)
            for _ in 0..<20 {
                #expect(try normal.request("GET", "/json").status == 200)
                for attacker in attackers { try? attacker.sendRaw(Array("X-A: b\r\n".utf8)) }
                Thread.sleep(forTimeInterval: 0.02)
            }
            for attacker in attackers {
                let response = try attacker.readResponse()
                #expect(response.status == 408)
                #expect(attacker.serverClosed())
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed < 3, "408 took \(elapsed) s")
        }
    }

    @Test("a silent new connection is cut at the header timeout; an idle keep-alive one at the idle timeout")
    func timeouts() async throws {
        let configure: @Sendable (inout HTTPServerConfiguration) -> Void = {
            $0.headerTimeout = 300
            $0.idleTimeout = 400
        }
        try await withServer(configure) { server in
            let silent = HTTPClient(server.tcp)
            try silent.sendRaw([])
            let idle = HTTPClient(server.tcp)
            #expect(try idle.request("GET", "/json").status == 200)
            Thread.sleep(forTimeInterval: 0.9)
            #expect(idle.serverClosed())
            #expect(try silent.readResponse().status == 408)
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() async throws {
        try await withServer { server in
            let client = HTTPClient(server.tcp)
            try client.sendRaw(
                Array("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8))
            let curlLike = try runProcess(
                "/usr/bin/curl",
                [
                    "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", String(repeating: "z", count: 2048),
                    server.base + "/echo",
                ])
            #expect(curlLike.errors.contains("HTTP/1.1 100 Continue"))
            #expect(curlLike.output.contains(String(repeating: "z", count: 2048)))
            try client.sendRaw(Array("body".utf8))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("\"body\":\"body\""))
        }
    }

    @Test("over the connection cap: 503 and close; under it: served")
    func connectionCap() async throws {
        let configure: @Sendable (inout HTTPServerConfiguration) -> Void = { $0.maximumConnections = 3 }
        try await withServer(configure) { server in
            let held = (0..<3).map { _ in HTTPClient(server.tcp) }
            for client in held { #expect(try client.request("GET", "/json").status == 200) }
            let extra = HTTPClient(server.tcp)
            try extra.sendRaw(Array("GET /json HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(try extra.readResponse().status == 503)
            held[0].disconnect()
            Thread.sleep(forTimeInterval: 0.2)
            let later = HTTPClient(server.tcp)
            #expect(try later.request("GET", "/json").status == 200)
        }
    }

    @Test("graceful shutdown finishes the in-flight request, then refuses new connections")
    func gracefulShutdown() async throws {
        var configuration = HTTPServerConfiguration(addresses: [.tcp(host: "127.0.0.1", port: 0)], eventLoopCount: 2)
        configuration.idleTimeout = 60_000
        let server = try HTTPServer(configuration: configuration, router: testRouter())
        try server.start()
        let (status, text, connectionHeader) = try await onThread {
            let client = HTTPClient(server.tcp)
            try client.sendRaw(Array("GET /slow?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            Thread.sleep(forTimeInterval: 0.1)
            let stopped = DispatchSemaphore(value: 0)
            Thread {
                server.shutdown(gracePeriod: 5_000)
                stopped.signal()
            }.start()
            let response = try client.readResponse()
            stopped.wait()
            return (response.status, response.text, response.headers["Connection"])
        }
        #expect(status == 200)
        #expect(text == "slow 400")
        #expect(connectionHeader == "close")
        let late = HTTPClient(server.tcp, timeout: 1_000)
        #expect(throws: HTTPClient.ClientError.self) { try late.request("GET", "/json") }
    }
}
