import Foundation
import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisMail
import PortcullisOAuth
import PortcullisStore
import Synchronization

/// The composition root: reads the configuration and builds the engine, persistence, mail and
/// social login once, for `serve` and for the offline admin commands alike.
public final class Engine: Sendable {
    /// This build's version, as the dashboard and `portcullis --version` show it.
    public static let version = "0.17.0"
    public let configuration: AuthConfiguration
    public let moderationConfiguration: ModerationConfiguration
    public let email: EmailConfiguration
    public let social: SocialLogin
    public let clock: any WallClock
    public let persistence: Persistence
    public let lockout: AccountLockout
    public let service: AuthService
    public let moderation: Moderation
    public let tokens: OneTimeTokens
    public let outbox: Outbox
    public let flows: AccountFlows
    /// Portcullis as an OpenID Provider for other applications.
    public let provider: AuthorizationServer
    let branding: Branding
    let logger: Logger
    let lastSnapshot = Mutex<Persistence.SnapshotInfo?>(nil)
    /// This start's configuration warnings (also in the log and the audit log).
    let startupWarnings = Mutex<[String]>([])
    /// When this process started (ms), for the dashboard's uptime.
    let startedAt: Int64
    /// The first-run setup code: set while no account exists, spent by creating the first one.
    let setupCode = Mutex<String?>(nil)

    /// Why the engine could not be built: a configuration error names its variable.
    public struct BuildError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(
        environment: Environment, logger: Logger = Logger(label: "portcullis"), clock: any WallClock = SystemClock()
    )
        throws(BuildError)
    {
        self.logger = logger
        self.clock = clock
        startedAt = clock.milliseconds
        let providerConfiguration: ProviderConfiguration
        do {
            configuration = try AuthConfiguration(environment: environment)
            moderationConfiguration = try ModerationConfiguration(environment: environment)
            email = try EmailConfiguration(environment: environment, appTitle: configuration.appTitle)
            social = try SocialLogin(environment: environment, configuration: configuration, http: CurlHTTP())
            branding = try Branding(environment: environment)
            providerConfiguration = try ProviderConfiguration(
                environment: environment, domainServer: configuration.domainServer,
                refreshTokenExpiry: configuration.refreshTokenExpiry)
        } catch {
            throw BuildError(description: "configuration error: \(error)")
        }
        persistence = Persistence(
            directory: configuration.dataDirectory, durability: configuration.durabilityFsync ? .fsync : .none,
            keep: configuration.snapshotKeep)
        let journal = persistence.journal
        lockout = AccountLockout(
            policy: moderationConfiguration.lockout, journal: journal, shardCount: configuration.shardCount,
            clock: clock)
        do {
            service = try AuthService(configuration: configuration, journal: journal, lockout: lockout, clock: clock)
        } catch {
            throw BuildError(description: "password hashing: \(error)")
        }
        moderation = Moderation(
            configuration: moderationConfiguration, sessions: service.sessions, journal: journal,
            shardCount: configuration.shardCount, clock: clock)
        tokens = OneTimeTokens(journal: journal, clock: clock)
        outbox = Outbox(transport: Self.transport(for: email), journal: journal, clock: clock) { line in
            logger.warning("\(line)")
        }
        flows = AccountFlows(
            service: service, tokens: tokens, mailer: OutboxMailer(outbox: outbox, appTitle: configuration.appTitle))
        let keys: ProviderKeys
        do {
            keys = try ProviderKeys(
                directory: configuration.dataDirectory, tokenLifetime: providerConfiguration.tokenLifetime, clock: clock
            )
        } catch {
            throw BuildError(description: "OpenID provider keys: \(error)")
        }
        provider = AuthorizationServer(
            configuration: providerConfiguration, service: service,
            store: ProviderStore(shardCount: configuration.shardCount, journal: journal), keys: keys,
            banExpiry: { [moderation] in await moderation.banExpiry(userId: $0, ip: nil) },
            codeLimiter: { [moderation] in await moderation.limit("oidc_code", key: $0, $1) })
    }

    /// The mail transport for the configuration (Mailgun takes precedence, as in LibreChat).
    static func transport(for email: EmailConfiguration) -> (any MailTransport)? {
        switch email.mode {
        case .none: nil
        case .smtp: SMTPTransport(configuration: email)
        case .mailgun: MailgunTransport(configuration: email)
        }
    }

    /// Every kind of durable state, for snapshots and recovery: a new kind is one more entry here
    /// (and in ``emptyStates()`` below).
    var states: [any DurableState] {
        [
            service.users, service.sessions, moderation, tokens, outbox.queue, lockout, service.twoFactor,
            service.passkeys, service.audit, provider.store,
        ]
    }

    /// The same kinds, empty and unjournaled: what `portcullis inspect` decodes a snapshot into.
    public static func emptyStates() -> [any DurableState] {
        let sessions = SessionStore(shardCount: 1)
        let moderation = (try? ModerationConfiguration(environment: Environment([:]))).map {
            Moderation(configuration: $0, sessions: sessions, journal: nil, shardCount: 1)
        }
        return [UserStore(shardCount: 1), sessions] + (moderation.map { [$0] } ?? [])
            + [
                OneTimeTokens(journal: nil), MailQueue(journal: nil),
                AccountLockout(policy: LockoutPolicy(), journal: nil, shardCount: 1),
                TwoFactorStore(shardCount: 1, journal: nil), PasskeyStore(shardCount: 1, journal: nil),
                AuditLog(shardCount: 1, journal: nil), ProviderStore(shardCount: 1),
            ]
    }

    /// Loads the newest valid snapshot and replays the journal into every store.
    /// Then reads the OpenID provider's declared clients (`OIDC_CLIENTS_FILE`).
    public func recover(progress: (String) -> Void = { _ in }) async throws -> Persistence.Recovery {
        let recovery = try await persistence.recover(states, progress: progress)
        if let file = provider.configuration.clientsFile {
            let count = try await provider.loadDeclaredClients(path: file)
            progress("\(count) OpenID client(s) declared in \(file)")
        }
        return recovery
    }

    /// Writes a snapshot now (periodically, at shutdown, and on `portcullis snapshot`).
    @discardableResult
    public func takeSnapshot() async -> Persistence.SnapshotInfo? {
        do {
            let info = try await persistence.snapshot(states)
            lastSnapshot.withLock { $0 = info }
            logger.info(
                "snapshot written",
                metadata: [
                    "path": "\(info.path)", "users": "\(info.users)", "sessions": "\(info.sessions)",
                    "bytes": "\(info.bytes)", "raw": "\(info.rawBytes)",
                    "seconds": "\(Double(Int(info.seconds * 1000)) / 1000)",
                ])
            return info
        } catch {
            logger.error("snapshot failed: \(error)")
            return nil
        }
    }

    /// With no account at all, a one-time code that lets whoever reads the server's log create the
    /// first (ADMIN) account at `/setup`, even with registration closed. `nil` once accounts exist.
    func prepareFirstRun() -> String? {
        guard service.users.count == 0 else { return nil }
        let code = Base32.encode(SecureRandom.bytes(count: 10))
        let readable = stride(from: 0, to: 16, by: 4).map { String(Array(code)[$0..<$0 + 4]) }.joined(separator: "-")
        setupCode.withLock { $0 = readable }
        return readable
    }

    /// The user a moderation subject (`user:<id>`) names, if it is one and they exist.
    func user(bannedAs subject: String) async -> User? {
        guard subject.hasPrefix("user:") else { return nil }
        return await service.users.user(id: String(subject.dropFirst(5)))
    }

    /// Drops what expired: sessions, limiter windows, one-time tokens, lockout windows.
    func sweep() async {
        await service.sessions.sweep(now: clock.milliseconds)
        await moderation.sweep()
        await tokens.sweep()
        service.passkeyChallenges.sweep()
        await service.audit.sweep()
        await lockout.sweep(now: clock.milliseconds)
        await provider.store.sweep(now: clock.milliseconds)
        try? provider.keys.dropExpired()
    }
}
