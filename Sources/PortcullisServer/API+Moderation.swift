import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// The moderation side of the API: limiter and ban checks for the auth routes, forward-auth, the
/// events endpoint for the application behind us, and ban administration.
extension API {
    var moderationConfiguration: ModerationConfiguration { moderation.configuration }

    /// The client address limits and bans apply to (see ``ClientAddress``).
    func clientIP(_ request: HTTPRequest) -> String {
        ClientAddress.resolve(socketAddress: request.remoteAddress, forwardedFor: request.headers.values(for: "X-Forwarded-For"),
                              trustProxy: moderationConfiguration.trustProxy)
    }

    static func banned(until expiry: Int64) -> HTTPResponse {
        var response = HTTPResponse.message(Moderation.banMessage, status: .forbidden)
        let seconds = max(1, (expiry - Int64(Date().timeIntervalSince1970 * 1000) + 999) / 1000)
        response.headers.add(name: "Retry-After", value: "\(seconds)")
        return response
    }

    static func tooMany(_ message: String, retryAfter seconds: Int64) -> HTTPResponse {
        var response = HTTPResponse.message(message, status: .tooManyRequests)
        response.headers.add(name: "Retry-After", value: "\(seconds)")
        return response
    }

    /// `checkBan` then the route's limiter, as LibreChat's middleware chain does. A ban on the
    /// account the body names still refuses (an admin's, or one the account earned while signed in),
    /// but the violations of these anonymous limiters count against the client IP only: a stranger's
    /// flood never bans the account it names nor ends its sessions.
    /// Returns the answer that ends the request, or `nil` to go on.
    func moderate(_ request: HTTPRequest, email: String?, limiter name: String, limit: ModerationConfiguration.Limit,
                  violation type: String, message: String) async -> HTTPResponse? {
        let ip = clientIP(request)
        let target = email.map(User.normalizeEmail).flatMap { $0.isEmpty ? nil : $0 }
        let userId = await target.asyncFlatMap { await service.users.user(email: $0)?.id }
        if let expiry = await moderation.banExpiry(userId: userId, ip: ip) { return Self.banned(until: expiry) }
        guard let wait = await moderation.limit(name, key: ip, limit) else { return nil }
        if await moderation.violation(type, userId: nil, ip: ip), let expiry = await moderation.banExpiry(userId: nil, ip: ip) {
            return Self.banned(until: expiry)
        }
        return Self.tooMany(message, retryAfter: wait)
    }

    /// The login limiter: password logins and every social-login start and callback share its
    /// per-IP budget, as in LibreChat.
    func moderateLogin(_ request: HTTPRequest, email: String?) async -> HTTPResponse? {
        await moderate(request, email: email, limiter: "login", limit: moderationConfiguration.login, violation: "logins",
                       message: loginLimitMessage)
    }

    /// The login limiter's message, also the answer of an account lockout.
    var loginLimitMessage: String {
        "Too many login attempts, please try again after \(moderationConfiguration.login.windowMinutes) minutes."
    }

    func addModerationRoutes(_ router: inout Router) {
        route(&router, .get, "/api/auth/verify") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            if let expiry = await moderation.banExpiry(userId: user.id, ip: clientIP(request)) { return Self.banned(until: expiry) }
            var response = HTTPResponse(status: .ok)
            response.headers.add(name: "X-User-Id", value: user.id)
            response.headers.add(name: "X-User-Email", value: user.email)
            response.headers.add(name: "X-User-Role", value: user.role)
            return response
        }
        route(&router, .post, "/api/moderation/events") { [self] in await moderationEvent($0) }
        route(&router, .get, "/api/admin/bans") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            guard user.role == "ADMIN" else { return .message("Forbidden", status: .forbidden) }
            return .json(bytes: UserJSON.data(await banList()))
        }
        route(&router, .delete, "/api/admin/bans") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            guard user.role == "ADMIN" else { return .message("Forbidden", status: .forbidden) }
            guard let subject = request.queryItem("subject"), await moderation.unban(subject: subject) else {
                return .message("No such ban.", status: .notFound)
            }
            return .message("Ban lifted", status: .ok)
        }
    }

    func banList() async -> [[String: Any]] {
        await moderation.bans().map { ["subject": $0.subject, "type": $0.type, "expiresAt": UserJSON.isoDate($0.expiresAt)] }
    }

    static func verdict(_ allowed: Bool, _ message: String? = nil, retryAfter: Int64? = nil, status: HTTPStatus) -> HTTPResponse {
        var object: [String: Any] = ["allowed": allowed]
        if let message { object["message"] = message }
        if let retryAfter { object["retryAfter"] = retryAfter }
        var response = HTTPResponse.json(bytes: UserJSON.data(object), status: status)
        if let retryAfter { response.headers.add(name: "Retry-After", value: "\(retryAfter)") }
        return response
    }

    /// `POST /api/moderation/events`: the application reports an event and learns whether to allow it.
    func moderationEvent(_ request: HTTPRequest) async -> HTTPResponse {
        guard let key = moderationConfiguration.apiKey, let authorization = request.headers["Authorization"],
              authorization.hasPrefix("Bearer "),
              ConstantTime.equals(Array(authorization.utf8.dropFirst(7)), Array(key.utf8)) else { return Self.unauthorized }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let type = object["type"] as? String, !type.isEmpty, type.utf8.count <= 64,
              let userId = object["userId"] as? String, ObjectID.isValid(userId),
              let rawIP = object["ip"] as? String, let ip = ClientAddress.normalize(rawIP) else {
            return .message("Body must be {type, userId (24 hex), ip, userAgent?, score?}", status: .badRequest)
        }
        let customScore = object["score"] as? Int
        if object["score"] != nil && (customScore == nil || customScore! < 0 || customScore! > 1_000_000) {
            return .message("score must be a non-negative integer", status: .badRequest)
        }
        guard await service.users.user(id: userId) != nil else { return .message("User not found", status: .notFound) }
        if let expiry = await moderation.banExpiry(userId: userId, ip: ip) {
            return Self.verdict(false, Moderation.banMessage, retryAfter: max(1, (expiry - Int64(Date().timeIntervalSince1970 * 1000)) / 1000), status: .forbidden)
        }
        func violated(_ violation: String, score: Int? = nil, message: String, retryAfter: Int64?, status: HTTPStatus) async -> HTTPResponse {
            if await moderation.violation(violation, score: score, userId: userId, ip: ip),
               let expiry = await moderation.banExpiry(userId: userId, ip: ip) {
                return Self.verdict(false, Moderation.banMessage, retryAfter: max(1, (expiry - Int64(Date().timeIntervalSince1970 * 1000)) / 1000), status: .forbidden)
            }
            return Self.verdict(false, message, retryAfter: retryAfter, status: status)
        }
        let config = moderationConfiguration
        switch type {
        case "message":
            if config.limitMessageIP, let wait = await moderation.limit("message_ip", key: ip, config.messageIP) {
                return await violated("message_limit", message: "Too many messages, please try again after \(config.messageIP.windowMinutes) minute(s).", retryAfter: wait, status: .tooManyRequests)
            }
            if config.limitMessageUser, let wait = await moderation.limit("message_user", key: userId, config.messageUser) {
                return await violated("message_limit", message: "Too many messages, please try again after \(config.messageUser.windowMinutes) minute(s).", retryAfter: wait, status: .tooManyRequests)
            }
            return Self.verdict(true, status: .ok)
        case "concurrent_start":
            if config.limitConcurrentMessages, !(await moderation.startGeneration(userId: userId)) {
                return await violated("concurrent", message: "Only \(config.concurrentMessageMax) concurrent message(s) at a time.", retryAfter: 60, status: .tooManyRequests)
            }
            return Self.verdict(true, status: .ok)
        case "concurrent_end":
            await moderation.endGeneration(userId: userId)
            return Self.verdict(true, status: .ok)
        case "non_browser":
            return await violated("non_browser", message: "Illegal request", retryAfter: nil, status: .forbidden)
        default:
            if await moderation.violation(type, score: customScore ?? 1, userId: userId, ip: ip),
               let expiry = await moderation.banExpiry(userId: userId, ip: ip) {
                return Self.verdict(false, Moderation.banMessage, retryAfter: max(1, (expiry - Int64(Date().timeIntervalSince1970 * 1000)) / 1000), status: .forbidden)
            }
            return Self.verdict(true, status: .ok)
        }
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async -> U?) async -> U? {
        guard let self else { return nil }
        return await transform(self)
    }
}
