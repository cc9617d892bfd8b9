import ArgumentParser
import PortcullisCore
import PortcullisServer

/// `portcullis serve`: the LibreChat-compatible API, configured by `.env` and the environment.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (configured by .env and LibreChat's environment variables).",
        discussion:
            "HOST (127.0.0.1) and PORT (3080) choose the address; data lives in PORTCULLIS_DATA_DIR (Snapshots)."
    )

    @Option(help: "The .env file to read (environment variables override it).")
    var envFile: String = ".env"

    func run() throws {
        do {
            let environment = try Environment.load(dotEnvPath: envFile, processEnvironment: Environment.process)
            try Application.run(environment: environment)
        } catch {
            StandardError.write("portcullis: \(error)\n")
            throw ExitCode(1)
        }
    }
}
