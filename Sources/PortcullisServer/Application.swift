import Foundation
import Glibc
import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// Runs Portcullis: the public API on `HOST:PORT` and the operator API on `<data dir>/admin.sock`,
/// until SIGTERM or SIGINT.
public enum Application {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(environment: Environment) throws {
        let configuration: AuthConfiguration
        do {
            configuration = try AuthConfiguration(environment: environment)
        } catch {
            throw StartupError(description: "configuration error: \(error)")
        }
        let level = Logger.Level(rawValue: (environment["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, logLevel: level) }
        defer { LogBuffer.shared.flush() }
        let logger = Logger(label: "portcullis")
        for name in configuration.generatedSecrets {
            logger.warning("\(name) was not set: generated a random one and saved it in \(configuration.dataDirectory)/secrets.env")
        }
        let lock = try lockDataDirectory(configuration.dataDirectory)
        defer { close(lock) }

        let service = try AuthService(configuration: configuration)
        let api = API(service: service, logger: logger)
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(addresses: [.tcp(host: configuration.host, port: configuration.port)]),
            router: api.makeRouter())
        let socketPath = configuration.dataDirectory + "/admin.sock"
        let admin = try HTTPServer(
            configuration: HTTPServerConfiguration(
                addresses: [.unix(path: socketPath, mode: 0o600)], eventLoopCount: 1,
                limits: HTTPLimits(maximumBodyLength: 64 << 20)),
            router: api.makeAdminRouter())
        try server.start()
        try admin.start()
        let sweeper = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                await service.sessions.sweep(now: Int64(Date().timeIntervalSince1970 * 1000))
            }
        }
        logger.info("portcullis listening", metadata: [
            "address": "\(server.addresses.map(\.description).joined(separator: ", "))", "admin": "\(socketPath)",
            "hash": "\(configuration.passwordHasher.algorithm)",
        ])
        server.waitForTerminationSignal()
        logger.info("portcullis shutting down")
        sweeper.cancel()
        server.shutdown(gracePeriod: 10_000)
        admin.shutdown(gracePeriod: 1_000)
        unlink(socketPath)
    }

    /// Takes an exclusive lock on the data directory so two servers never share it.
    static func lockDataDirectory(_ directory: String) throws -> Int32 {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(directory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StartupError(description: "cannot open \(directory)/.lock: errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StartupError(description: "another portcullis is already using \(directory)")
        }
        return fd
    }
}
