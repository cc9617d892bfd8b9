import Foundation
import Glibc
import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import PortcullisMail
import PortcullisOAuth
import PortcullisStore

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

        let persistence = Persistence(directory: configuration.dataDirectory,
                                      durability: configuration.durabilityFsync ? .fsync : .none, keep: configuration.snapshotKeep)
        let moderationConfiguration: ModerationConfiguration
        do {
            moderationConfiguration = try ModerationConfiguration(environment: environment)
        } catch {
            throw StartupError(description: "configuration error: \(error)")
        }
        let lockout = AccountLockout(policy: moderationConfiguration.lockout, journal: persistence.journal,
                                     shardCount: configuration.shardCount)
        let service = try AuthService(configuration: configuration, journal: persistence.journal, lockout: lockout)
        let moderation = Moderation(configuration: moderationConfiguration, sessions: service.sessions,
                                    journal: persistence.journal, shardCount: configuration.shardCount)
        let email: EmailConfiguration
        do {
            email = try EmailConfiguration(environment: environment, appTitle: configuration.appTitle)
        } catch {
            throw StartupError(description: "configuration error: \(error)")
        }
        let social: SocialLogin
        do {
            social = try SocialLogin(environment: environment, configuration: configuration, http: CurlHTTP())
        } catch {
            throw StartupError(description: "configuration error: \(error)")
        }
        let tokens = OneTimeTokens(journal: persistence.journal)
        let outbox = Outbox(transport: Application.transport(for: email), journal: persistence.journal) { line in logger.warning("\(line)") }
        let recovery = try blocking {
            try await persistence.recover(users: service.users, sessions: service.sessions, moderation: moderation, tokens: tokens,
                                          mail: outbox.queue, lockout: lockout) { line in logger.info("\(line)") }
        }
        logger.info("\(email.summary)")
        logger.info("\(social.summary)")
        if email.allowSelfSigned { logger.warning("EMAIL_ALLOW_SELFSIGNED=true: the mail server's certificate is not verified") }
        if email.mode == .none && configuration.allowPasswordReset {
            if configuration.allowUnsecuredPasswordReset {
                logger.warning("ALLOW_UNSECURED_PASSWORD_RESET=true without email: anyone can get a reset link for any account")
            } else {
                logger.warning("ALLOW_PASSWORD_RESET=true but email is not configured: reset requests are refused")
            }
        }
        for skipped in recovery.skippedSnapshots { logger.warning("snapshot skipped: \(skipped)") }
        if let torn = recovery.tornTail { logger.warning("journal: \(torn)") }
        logger.info("state restored", metadata: [
            "snapshot": "\(recovery.snapshot ?? "none")", "users": "\(service.users.count)", "sessions": "\(service.sessions.count)",
            "replayed": "\(recovery.replayed)", "seconds": "\(Double(Int(recovery.seconds * 1000)) / 1000)",
        ])
        if !configuration.durabilityFsync {
            logger.warning("DURABILITY=none: acknowledged changes survive a crash of the process but not of the machine")
        }
        let api = API(service: service, moderation: moderation, tokens: tokens, outbox: outbox, logger: logger, persistence: persistence,
                      social: social)
        outbox.start()
        if moderationConfiguration.trustProxy == 0 {
            logger.info("TRUST_PROXY=0: limits and bans use the socket address; X-Forwarded-For is ignored")
        }
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
                await moderation.sweep()
                await tokens.sweep()
                await lockout.sweep(now: Int64(Date().timeIntervalSince1970 * 1000))
            }
        }
        let snapshotter = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.snapshotInterval))
                if Task.isCancelled { break }
                await api.takeSnapshot()
            }
        }
        logger.info("portcullis listening", metadata: [
            "address": "\(server.addresses.map(\.description).joined(separator: ", "))", "admin": "\(socketPath)",
            "hash": "\(configuration.passwordHasher.algorithm)",
        ])
        server.waitForTerminationSignal()
        logger.info("portcullis shutting down")
        sweeper.cancel()
        snapshotter.cancel()
        server.shutdown(gracePeriod: 10_000)
        admin.shutdown(gracePeriod: 1_000)
        _ = try? blocking { await api.takeSnapshot() }
        unlink(socketPath)
    }

    /// The mail transport for the configuration (Mailgun takes precedence, as in LibreChat).
    static func transport(for email: EmailConfiguration) -> (any MailTransport)? {
        switch email.mode {
        case .none: nil
        case .smtp: SMTPTransport(configuration: email)
        case .mailgun: MailgunTransport(configuration: email)
        }
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
