import PortcullisCore
import PortcullisHTTP

/// Registers the API's routes in four groups: public; authenticated (one Bearer check, the user
/// handed to the handler, 401 otherwise; while `REQUIRE_2FA` holds the user back, 403 until they
/// enrol); admin (the same, plus the ADMIN role, 403 otherwise); enrolment (the 2FA routes, which
/// also take the setup token a held-back login answers with).
struct Routes {
    private(set) var router = Router()
    let service: AuthService

    init(service: AuthService) {
        self.service = service
    }

    typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    typealias UserHandler = @Sendable (HTTPRequest, User) async throws -> HTTPResponse

    mutating func on(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        router.on(method, path, handler)
    }

    /// Answered on the event loop: only for work that never waits (`/health`).
    mutating func immediate(
        _ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse
    ) {
        router.onImmediate(method, path, handler)
    }

    mutating func authenticated(_ method: HTTPMethod, _ path: String, _ handler: @escaping UserHandler) {
        router.on(method, path) { [service] request in
            try await handler(request, try await Self.user(of: request, service))
        }
    }

    mutating func admin(_ method: HTTPMethod, _ path: String, _ handler: @escaping UserHandler) {
        router.on(method, path) { [service] request in
            let user = try await Self.user(of: request, service)
            guard user.role == Role.admin else { throw APIError.forbidden }
            return try await handler(request, user)
        }
    }

    /// The 2FA enrolment routes: a signed-in user, or one holding a setup token, even while
    /// `REQUIRE_2FA` holds them back.
    mutating func enrolment(_ method: HTTPMethod, _ path: String, _ handler: @escaping UserHandler) {
        router.on(method, path) { [service] request in
            let authorization = request.headers["Authorization"]
            if let user = await service.authenticate(authorization: authorization) {
                return try await handler(request, user)
            }
            if let user = await service.authenticateSetup(authorization: authorization) {
                return try await handler(request, user)
            }
            throw APIError.unauthorized
        }
    }

    private static func user(of request: HTTPRequest, _ service: AuthService) async throws(APIError) -> User {
        guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else {
            throw .unauthorized
        }
        guard await !service.needsSecondFactor(user) else { throw .twoFactorSetupRequired }
        return user
    }
}
