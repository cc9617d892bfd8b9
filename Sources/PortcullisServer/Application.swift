import Foundation
import Glibc
import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import PortcullisMail
import PortcullisStore
import Synchronization

/// Runs Portcullis: the public API on `HOST:PORT` and the operator API on `<data dir>/admin.sock`,
/// until SIGTERM or SIGINT.
public enum Application {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(environment: Environment) throws {
        let level = Logger.Level(rawValue: (environment["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, logLevel: level) }
        defer { LogBuffer.shared.flush() }
        let logger = Logger(label: "portcullis")
        let engine: Engine
        do {
            engine = try Engine(environment: environment, logger: logger)
        } catch {
            throw StartupError(description: error.description)
        }
        let configuration = engine.configuration
        var warnings = configuration.generatedSecrets.map {
            "\($0) was not set: generated a random one and saved it in \(configuration.dataDirectory)/secrets.env"
        }
        for warning in warnings { logger.warning("\(warning)") }
        let lock = try lockDataDirectory(configuration.dataDirectory)
        defer { close(lock) }
        let recovery = try blocking { try await engine.recover { line in logger.info("\(line)") } }
        warnings += logStartup(engine, recovery: recovery, logger: logger)
        engine.startupWarnings.withLock { $0 = warnings }
        // Each start's warnings are in the audit log too (the dashboard's System page shows this start's).
        _ = try? blocking { [warnings] in
            for warning in warnings {
                await engine.service.audit.record(
                    .configurationWarning, actor: AuditEvent.systemActor, detail: warning)
            }
        }

        if let code = engine.prepareFirstRun() {
            // The code, not a password, is what proves the reader runs this server.
            logger.warning(
                "no account exists yet: create the first (ADMIN) one at \(configuration.domainServer)/setup with the setup code \(code)"
            )
        }
        // The OpenID provider's first keys, made before any request can wait for them (once: a moment
        // for the RSA key in a release build).
        if engine.provider.keys.isEmpty { logger.info("generating the OpenID provider's signing keys") }
        do { try engine.provider.keys.prepare() } catch {
            throw StartupError(description: "OpenID provider keys: \(error)")
        }
        let api = API(engine: engine)
        engine.outbox.start()
        let requestMetrics = api.requestMetrics
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(addresses: [.tcp(host: configuration.host, port: configuration.port)]
            ),
            router: api.makeRouter(), observers: [RequestLog(logger: logger), requestMetrics])
        let socketPath = configuration.dataDirectory + "/admin.sock"
        let admin = try HTTPServer(
            configuration: HTTPServerConfiguration(
                addresses: [.unix(path: socketPath, mode: 0o600)], eventLoopCount: 1,
                limits: HTTPLimits(maximumBodyLength: 64 << 20)),
            router: AdminOperations(engine: engine).makeRouter(), observers: [RequestLog(logger: logger)])
        try server.start()
        try admin.start()
        let sweeper = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                await engine.sweep()
            }
        }
        let sampler = Task.detached {
            while !Task.isCancelled {
                api.history.sample(service: engine.service, requests: requestMetrics, now: engine.clock.milliseconds)
                try? await Task.sleep(for: .seconds(configuration.liveSampleSeconds))
            }
        }
        let snapshotter = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.snapshotInterval))
                if Task.isCancelled { break }
                await engine.takeSnapshot()
            }
        }
        logger.info(
            "portcullis listening",
            metadata: [
                "address": "\(server.addresses.map(\.description).joined(separator: ", "))", "admin": "\(socketPath)",
                "hash": "\(configuration.passwordHasher.algorithm)",
            ])
        server.waitForTerminationSignal()
        logger.info("portcullis shutting down")
        sweeper.cancel()
        sampler.cancel()
        snapshotter.cancel()
        server.shutdown(gracePeriod: 10_000)
        admin.shutdown(gracePeriod: 1_000)
        _ = try? blocking { await engine.takeSnapshot() }
        unlink(socketPath)
    }

    /// What the operator should know at start-up: modes, warnings, what was restored. Returns the warnings.
    static func logStartup(_ engine: Engine, recovery: Persistence.Recovery, logger: Logger) -> [String] {
        var warnings: [String] = []
        func warn(_ text: String) {
            logger.warning("\(text)")
            warnings.append(text)
        }
        let configuration = engine.configuration
        logger.info("\(engine.email.summary)")
        logger.info("\(engine.social.summary)")
        if engine.email.allowSelfSigned {
            warn("EMAIL_ALLOW_SELFSIGNED=true: the mail server's certificate is not verified")
        }
        if engine.email.mode == .none && configuration.allowPasswordReset {
            if configuration.allowUnsecuredPasswordReset {
                warn(
                    "ALLOW_UNSECURED_PASSWORD_RESET=true without email: anyone can get a reset link for any account")
            } else {
                warn("ALLOW_PASSWORD_RESET=true but email is not configured: reset requests are refused")
            }
        }
        for skipped in recovery.skippedSnapshots { warn("snapshot skipped: \(skipped)") }
        if let torn = recovery.tornTail { warn("journal: \(torn)") }
        logger.info(
            "state restored",
            metadata: [
                "snapshot": "\(recovery.snapshot ?? "none")", "users": "\(engine.service.users.count)",
                "sessions": "\(engine.service.sessions.count)", "replayed": "\(recovery.replayed)",
                "seconds": "\(Double(Int(recovery.seconds * 1000)) / 1000)",
            ])
        if !configuration.durabilityFsync {
            warn(
                "DURABILITY=none: acknowledged changes survive a crash of the process but not of the machine")
        }
        if engine.moderationConfiguration.trustProxy == 0 {
            logger.info("TRUST_PROXY=0: limits and bans use the socket address; X-Forwarded-For is ignored")
        }
        return warnings
    }

    /// Runs async work from this synchronous entry point and waits for it.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.set(.success(try await work())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
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

/// Carries a result from a task to a waiting thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once by the task before the semaphore is signalled, read after the wait.
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) { result = value }

    func get() throws -> T {
        guard let result else { throw Application.StartupError(description: "no result") }
        return try result.get()
    }
}
