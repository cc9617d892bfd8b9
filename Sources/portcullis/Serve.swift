import ArgumentParser
import PortcullisHTTP

/// `portcullis serve`: runs the HTTP server until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (today: the HTTP front with /health; the LibreChat API arrives with the engine)."
    )

    @Option(help: "Address to listen on (IPv4 or IPv6 literal).")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port (0 picks a free one).")
    var port: Int = 3080

    @Option(help: "Event-loop threads (default: one per core).")
    var eventLoops: Int = HTTPServerConfiguration.processorCount

    func run() throws {
        var router = Router()
        router.onImmediate(.get, "/health") { _ in .text("OK") }
        let configuration = HTTPServerConfiguration(addresses: [.tcp(host: host, port: port)], eventLoopCount: eventLoops)
        let server = try HTTPServer(configuration: configuration, router: router)
        try server.start()
        print("portcullis listening on \(server.addresses.map(\.description).joined(separator: ", "))")
        server.waitForTerminationSignal()
        print("portcullis shutting down")
        server.shutdown(gracePeriod: 10_000)
    }
}
