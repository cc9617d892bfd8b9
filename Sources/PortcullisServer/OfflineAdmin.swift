import Foundation
import Glibc
import PortcullisCore
import PortcullisHTTP
import PortcullisMail
import PortcullisStore

/// The admin commands with no server running: the data directory is locked, recovered, the same
/// admin routes run in-process (each change journaled and durable as in the server), and the lock
/// is released. A server started meanwhile waits for nothing: it refuses to start while the lock is held.
public enum OfflineAdmin {
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public static func run(method: String, target: String, body: [UInt8], environment: Environment) throws -> Answer {
        let configuration = try AuthConfiguration(environment: environment)
        let lock = try Application.lockDataDirectory(configuration.dataDirectory)
        defer { close(lock) }
        let persistence = Persistence(directory: configuration.dataDirectory,
                                      durability: configuration.durabilityFsync ? .fsync : .none, keep: configuration.snapshotKeep)
        let moderationConfiguration = try ModerationConfiguration(environment: environment)
        let lockout = AccountLockout(policy: moderationConfiguration.lockout, journal: persistence.journal,
                                     shardCount: configuration.shardCount)
        let service = try AuthService(configuration: configuration, journal: persistence.journal, lockout: lockout)
        let moderation = Moderation(configuration: moderationConfiguration, sessions: service.sessions,
                                    journal: persistence.journal, shardCount: configuration.shardCount)
        let email = try EmailConfiguration(environment: environment, appTitle: configuration.appTitle)
        let tokens = OneTimeTokens(journal: persistence.journal)
        // Offline, mail is queued durably and delivered by the next server that starts.
        let outbox = Outbox(transport: Application.transport(for: email), journal: persistence.journal)
        let api = API(service: service, moderation: moderation, tokens: tokens, outbox: outbox, persistence: persistence)
        let router = api.makeAdminRouter()
        return try Application.blocking {
            _ = try await persistence.recover(users: service.users, sessions: service.sessions, moderation: moderation, tokens: tokens,
                                              mail: outbox.queue, lockout: lockout)
            var request = HTTPRequest(method: HTTPMethod(method), target: target, body: body, remoteAddress: "offline")
            switch router.resolve(&request) {
            case .handler(.deferred(let handler)):
                let response = try await handler(request)
                return Answer(status: response.status.code, body: response.body)
            case .handler(.immediate(let handler)):
                let response = try handler(request)
                return Answer(status: response.status.code, body: response.body)
            case .notFound, .methodNotAllowed:
                return Answer(status: 404, body: Array(#"{"message":"Not Found"}"#.utf8))
            }
        }
    }
}
