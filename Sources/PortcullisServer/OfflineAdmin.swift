import Glibc
import PortcullisCore
import PortcullisHTTP

/// The admin commands with no server running: the data directory is locked, the engine is built
/// and recovered by the same composition root as `serve`, the command runs (each change journaled
/// and durable as in the server), and the lock is released. A server started meanwhile refuses to
/// start while the lock is held.
public enum OfflineAdmin {
    public static func run(_ command: AdminCommand, environment: Environment) throws -> AdminAnswer {
        let engine = try Engine(environment: environment)
        let lock = try Application.lockDataDirectory(engine.configuration.dataDirectory)
        defer { close(lock) }
        return try Application.blocking {
            _ = try await engine.recover()
            do throws(AuthError) {
                return try await AdminOperations(engine: engine).perform(command)
            } catch {
                let response = error.response
                return AdminAnswer(status: response.status.code, body: response.body)
            }
        }
    }
}
