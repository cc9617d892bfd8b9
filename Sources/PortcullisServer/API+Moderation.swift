import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// The moderation side of the API: limiter and ban checks for the auth routes, forward-auth, the
/// events endpoint for the application behind us, and ban administration.
extension API {
    /// The client address limits and bans apply to (see ``ClientAddress``).
    func clientIP(_ request: HTTPRequest) -> String {
        ClientAddress.resolve(
            socketAddress: request.remoteAddress, forwardedFor: request.headers.values(for: "X-Forwarded-For"),
            trustProxy: moderation.configuration.trustProxy)
    }

    /// What a session records of the request's client: its user agent and address.
    func clientInfo(_ request: HTTPRequest) -> ClientInfo {
        ClientInfo(userAgent: request.headers["User-Agent"], ip: clientIP(request))
    }

    /// Seconds until a ban that ends at `expiry` (ms) is over.
    func secondsUntil(_ expiry: Int64) -> Int64 {
        RetryAfter.seconds(forMilliseconds: expiry - moderation.clock.milliseconds)
    }

    /// `checkBan` then the route's limiter, as LibreChat's middleware chain does; throws the answer
    /// that ends the request. A ban on the account the body names still refuses (an admin's, or one
    /// the account earned while signed in), but the violations of these anonymous limiters count
    /// against the client IP only: a stranger's flood never bans the account it names nor ends its
    /// sessions.
    func moderate(
        _ request: HTTPRequest, email: String?, limiter name: String, limit: ModerationConfiguration.Limit,
        violation type: String, message: String
    ) async throws(APIError) {
        let ip = clientIP(request)
        let target = email.map(User.normalizeEmail).flatMap { $0.isEmpty ? nil : $0 }
        var userId: String?
        if let target { userId = await service.users.user(email: target)?.id }
        if let expiry = await moderation.banExpiry(userId: userId, ip: ip) {
            throw .banned(retryAfter: secondsUntil(expiry))
        }
        guard let wait = await moderation.limit(name, key: ip, limit) else { return }
        if await moderation.violation(type, userId: nil, ip: ip),
            let expiry = await moderation.banExpiry(userId: nil, ip: ip)
        {
            throw .banned(retryAfter: secondsUntil(expiry))
        }
        throw .tooManyRequests(message, retryAfter: wait)
    }

    /// The login limiter: password logins and every social-login start and callback share its
    /// per-IP budget, as in LibreChat.
    func moderateLogin(_ request: HTTPRequest, email: String?) async throws(APIError) {
        try await moderate(
            request, email: email, limiter: "login", limit: moderation.configuration.login, violation: "logins",
            message: loginLimitMessage)
    }

    /// The login limiter's message, also the answer of an account lockout.
    var loginLimitMessage: String {
        "Too many login attempts, please try again after \(moderation.configuration.login.windowMinutes) minutes."
    }

    func addModerationRoutes(_ routes: inout Routes) {
        routes.authenticated(.get, "/api/auth/verify") { [self] request, user in
            if let expiry = await moderation.banExpiry(userId: user.id, ip: clientIP(request)) {
                throw APIError.banned(retryAfter: secondsUntil(expiry))
            }
            var response = HTTPResponse(status: .ok)
            response.headers.add(name: "X-User-Id", value: user.id)
            response.headers.add(name: "X-User-Email", value: user.email)
            response.headers.add(name: "X-User-Role", value: user.role)
            return response
        }
        routes.on(.post, "/api/moderation/events") { [self] in try await moderationEvent($0) }
        routes.admin(.get, "/api/admin/bans") { [self] _, _ in
            .json(bytes: UserJSON.data(await moderation.bans().map(UserJSON.ban)))
        }
        routes.admin(.delete, "/api/admin/bans") { [self] request, admin in
            guard let subject = request.queryItem("subject"),
                await engine.liftBan(subject, actor: admin.id, client: clientInfo(request))
            else {
                throw APIError.message("No such ban.", .notFound)
            }
            return .message("Ban lifted", status: .ok)
        }
    }

    /// `{allowed, message?, retryAfter?}` with the same `Retry-After` header.
    static func verdict(
        _ allowed: Bool, _ message: String? = nil, retryAfter: Int64? = nil, status: HTTPStatus
    ) -> HTTPResponse {
        var object: [String: Any] = ["allowed": allowed]
        if let message { object["message"] = message }
        if let retryAfter { object["retryAfter"] = retryAfter }
        var response = HTTPResponse.json(bytes: UserJSON.data(object), status: status)
        if let retryAfter { response.headers.add(name: "Retry-After", value: "\(retryAfter)") }
        return response
    }

    /// `POST /api/moderation/events`: the application reports an event and learns whether to allow it.
    func moderationEvent(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let key = moderation.configuration.apiKey, let authorization = request.headers["Authorization"],
            authorization.hasPrefix("Bearer "),
            ConstantTime.equals(Array(authorization.utf8.dropFirst(7)), Array(key.utf8))
        else { throw APIError.unauthorized }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
            let type = object["type"] as? String, !type.isEmpty, type.utf8.count <= 64,
            let userId = object["userId"] as? String, ObjectID.isValid(userId),
            let rawIP = object["ip"] as? String, let ip = ClientAddress.normalize(rawIP)
        else {
            throw APIError.message("Body must be {type, userId (24 hex), ip, userAgent?, score?}", .badRequest)
        }
        let customScore = object["score"] as? Int
        if object["score"] != nil && (customScore == nil || customScore! < 0 || customScore! > 1_000_000) {
            throw APIError.message("score must be a non-negative integer", .badRequest)
        }
        guard await service.users.user(id: userId) != nil else { throw APIError.message("User not found", .notFound) }
        let banned = { [self] (expiry: Int64) in
            Self.verdict(false, Moderation.banMessage, retryAfter: secondsUntil(expiry), status: .forbidden)
        }
        if let expiry = await moderation.banExpiry(userId: userId, ip: ip) { return banned(expiry) }
        /// A violation the signed-in user committed: it counts for the user and the IP, and may ban both.
        func violated(
            _ violation: String, score: Int? = nil, message: String, retryAfter: Int64?, status: HTTPStatus
        ) async -> HTTPResponse {
            if await moderation.violation(violation, score: score, userId: userId, ip: ip),
                let expiry = await moderation.banExpiry(userId: userId, ip: ip)
            {
                return banned(expiry)
            }
            return Self.verdict(false, message, retryAfter: retryAfter, status: status)
        }
        let config = moderation.configuration
        switch type {
        case "message":
            if config.limitMessageIP, let wait = await moderation.limit("message_ip", key: ip, config.messageIP) {
                return await violated(
                    "message_limit",
                    message: "Too many messages, please try again after \(config.messageIP.windowMinutes) minute(s).",
                    retryAfter: wait, status: .tooManyRequests)
            }
            if config.limitMessageUser,
                let wait = await moderation.limit("message_user", key: userId, config.messageUser)
            {
                return await violated(
                    "message_limit",
                    message: "Too many messages, please try again after \(config.messageUser.windowMinutes) minute(s).",
                    retryAfter: wait, status: .tooManyRequests)
            }
            return Self.verdict(true, status: .ok)
        case "concurrent_start":
            if config.limitConcurrentMessages, !(await moderation.startGeneration(userId: userId)) {
                return await violated(
                    "concurrent", message: "Only \(config.concurrentMessageMax) concurrent message(s) at a time.",
                    retryAfter: 60, status: .tooManyRequests)
            }
            return Self.verdict(true, status: .ok)
        case "concurrent_end":
            await moderation.endGeneration(userId: userId)
            return Self.verdict(true, status: .ok)
        case "non_browser":
            return await violated("non_browser", message: "Illegal request", retryAfter: nil, status: .forbidden)
        default:
            if await moderation.violation(type, score: customScore ?? 1, userId: userId, ip: ip),
                let expiry = await moderation.banExpiry(userId: userId, ip: ip)
            {
                return banned(expiry)
            }
            return Self.verdict(true, status: .ok)
        }
    }
}
