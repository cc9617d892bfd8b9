import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisMail
import PortcullisOAuth
import PortcullisStore
import Synchronization

/// The LibreChat-compatible HTTP API over an ``AuthService``.
public final class API: Sendable {
    public let service: AuthService
    public let moderation: Moderation
    public let tokens: OneTimeTokens
    public let outbox: Outbox
    public let social: SocialLogin
    let persistence: Persistence?
    let requestMetrics = RequestMetrics()
    let logger: Logger
    let startedAt = Date()
    let lastSnapshot = Mutex<Persistence.SnapshotInfo?>(nil)

    public init(service: AuthService, moderation: Moderation, tokens: OneTimeTokens, outbox: Outbox,
                logger: Logger = Logger(label: "portcullis"), persistence: Persistence? = nil, social: SocialLogin? = nil) {
        self.service = service
        self.social = social ?? .disabled(secret: service.configuration.jwtRefreshSecret)
        self.moderation = moderation
        self.tokens = tokens
        self.outbox = outbox
        self.logger = logger
        self.persistence = persistence
    }

    /// Writes a snapshot now (periodically, at shutdown, and on `portcullis snapshot`).
    @discardableResult
    public func takeSnapshot() async -> Persistence.SnapshotInfo? {
        guard let persistence else { return nil }
        do {
            let info = try await persistence.snapshot(users: service.users, sessions: service.sessions, moderation: moderation,
                                                      tokens: tokens, mail: outbox.queue, lockout: service.lockout)
            lastSnapshot.withLock { $0 = info }
            logger.info("snapshot written", metadata: [
                "path": "\(info.path)", "users": "\(info.users)", "sessions": "\(info.sessions)",
                "bytes": "\(info.bytes)", "raw": "\(info.rawBytes)", "seconds": "\(Double(Int(info.seconds * 1000)) / 1000)",
            ])
            return info
        } catch {
            logger.error("snapshot failed: \(error)")
            return nil
        }
    }

    var configuration: AuthConfiguration { service.configuration }

    /// The public router: `/api/auth/*`, `/api/user*`, `/api/config`, `/health`, `/metrics`.
    public func makeRouter() -> Router {
        var router = Router()
        router.onImmediate(.get, "/health") { _ in .text("OK") }
        route(&router, .get, "/metrics") { [self] _ in .text(renderMetrics()) }
        route(&router, .get, "/api/config") { [self] _ in .json(bytes: UserJSON.data(preLoginConfig())) }
        route(&router, .post, "/api/auth/register") { [self] in await register($0) }
        route(&router, .post, "/api/auth/login") { [self] in await login($0) }
        route(&router, .post, "/api/auth/refresh") { [self] in await refresh($0) }
        route(&router, .post, "/api/auth/logout") { [self] in await logout($0) }
        route(&router, .get, "/api/user") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            return .json(bytes: UserPayload(user: user, withProviderIds: false).bytes)
        }
        route(&router, .delete, "/api/user/delete") { [self] in await deleteAccount($0) }
        route(&router, .get, "/api/user/terms") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            let acceptedAt: Any = user.termsAcceptedAt.map(UserJSON.isoDate) ?? NSNull()
            return .json(bytes: UserJSON.data(["termsAccepted": user.termsAccepted, "termsAcceptedAt": acceptedAt]))
        }
        route(&router, .post, "/api/user/terms/accept") { [self] request in
            guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
            guard let accepted = await service.acceptTerms(userId: user.id), let at = accepted.termsAcceptedAt else {
                return .message("User not found", status: .notFound)
            }
            return .json(bytes: UserJSON.data(["message": "Terms accepted successfully", "termsAcceptedAt": UserJSON.isoDate(at)]))
        }
        addModerationRoutes(&router)
        addEmailRoutes(&router)
        addOAuthRoutes(&router)
        return router
    }

    /// Registers a handler with per-route metrics and one log line per request. The log line holds
    /// the route pattern (never the raw target, whose query may carry a token), the status, the
    /// duration and the client address; no header, cookie or body.
    func route(_ router: inout Router, _ method: HTTPMethod, _ pattern: String,
               _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        let label = "\(method.rawValue) \(pattern)"
        let metrics = requestMetrics.route(label)
        router.on(method, pattern) { [self] request in
            let started = ContinuousClock.now
            let response = await handler(request)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            metrics.record(status: response.status.code, seconds: seconds)
            logger.info("request", metadata: [
                "route": "\(label)", "status": "\(response.status.code)",
                "ms": "\(Double(Int(seconds * 100_000)) / 100)", "ip": "\(request.remoteAddress)",
            ])
            return response
        }
    }

    static let unauthorized = HTTPResponse.message("Unauthorized", status: .unauthorized)
    static let overloaded: HTTPResponse = {
        var response = HTTPResponse.message("Server is busy, please retry.", status: .serviceUnavailable)
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }()

    /// `res.send(<string>)` in Express: `text/html; charset=utf-8`.
    static func expressText(_ text: String, status: HTTPStatus) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(text.utf8))
    }

    /// A JSON body as a dictionary of optional strings; non-string values count as absent. `nil`
    /// when the body is not a JSON object.
    static func fields(_ request: HTTPRequest) -> [String: String]? {
        guard !request.body.isEmpty else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else { return nil }
        var result: [String: String] = [:]
        for (key, value) in object {
            if let string = value as? String { result[key] = string }
        }
        return result
    }

    static let badJSON = HTTPResponse.message("Invalid JSON body", status: .badRequest)

    // MARK: Handlers

    func register(_ request: HTTPRequest) async -> HTTPResponse {
        guard let body = Self.fields(request) else { return Self.badJSON }
        let window = moderationConfiguration.register.windowMinutes
        if let refusal = await moderate(request, email: body["email"], limiter: "register", limit: moderationConfiguration.register,
                                        violation: "registrations",
                                        message: "Too many accounts created, please try again after \(window) minutes") {
            return refusal
        }
        // An invite (bound to its email) opens registration even when ALLOW_REGISTRATION is off.
        var invited = false
        if let token = body["token"], !token.isEmpty, token != "undefined" {
            guard await tokens.redeem(token, kind: .invite, email: body["email"] ?? "") != nil else {
                return .message("Invalid invite token", status: .badRequest)
            }
            invited = true
        }
        let outcome = await service.register(.init(
            name: body["name"], username: body["username"], email: body["email"],
            password: body["password"], confirmPassword: body["confirm_password"]), bypassRegistrationGate: invited)
        switch outcome {
        case .accepted(let created):
            if let created, !created.emailVerified { await sendVerification(to: created) }
            return .message("Please check your email to verify your email address.", status: .ok)
        case .invalid(let message):
            return .message(message, status: .notFound)  // LibreChat answers validation errors with 404
        case .registrationClosed:
            return .message("Registration is not allowed.", status: .forbidden)
        case .domainNotAllowed:
            return .message("The email address provided cannot be used. Please use a different email address.", status: .forbidden)
        case .overloaded:
            return Self.overloaded
        }
    }

    func login(_ request: HTTPRequest) async -> HTTPResponse {
        guard let body = Self.fields(request) else { return Self.badJSON }
        if let refusal = await moderateLogin(request, email: body["email"]) { return refusal }
        switch await service.login(email: body["email"], password: body["password"],
                                   deviceCookie: request.cookies[DeviceCookie.name]) {
        case .success(let tokens):
            return sessionResponse(tokens)
        case .lockedOut(let seconds):
            return Self.tooMany(loginLimitMessage, retryAfter: seconds)
        case .missingCredentials:
            return .message("Missing credentials", status: .notFound)
        case .invalid(let message):
            return .message(message, status: .notFound)
        case .badCredentials:
            return .message("Incorrect email or password.", status: .notFound)
        case .unverified:
            return .message("Email not verified.", status: .unprocessableContent)
        case .emailLoginDisabled:
            return .message("Email login is not allowed.", status: .forbidden)
        case .overloaded:
            return Self.overloaded
        }
    }

    /// `{token, user}` with the `refreshToken` and `token_provider` cookies.
    func sessionResponse(_ tokens: AuthService.IssuedTokens) -> HTTPResponse {
        var response = HTTPResponse.json(bytes: SessionPayload(
            token: tokens.accessToken, user: UserPayload(user: tokens.user, withProviderIds: true)).bytes)
        setSessionCookies(&response, tokens)
        return response
    }

    /// The `refreshToken` and `token_provider` cookies of a new or rotated session, and the device
    /// cookie a login issues (HttpOnly, SameSite=Strict, Secure by the same rule, one year).
    func setSessionCookies(_ response: inout HTTPResponse, _ tokens: AuthService.IssuedTokens) {
        let expires = tokens.refreshExpiresAt / 1000
        let secure = configuration.secureCookies
        if let device = tokens.deviceCookie {
            response.setCookie(SetCookie(name: DeviceCookie.name, value: device, maxAge: Int(DeviceCookie.lifetime),
                                         secure: secure, sameSite: .strict))
        }
        // token_provider first: tools that keep only the last Set-Cookie (wrk's Lua API) then see the token.
        response.setCookie(SetCookie(name: "token_provider", value: "librechat", expires: expires, secure: secure, sameSite: .strict))
        response.setCookie(SetCookie(name: "refreshToken", value: tokens.refreshToken, expires: expires, secure: secure, sameSite: .strict))
    }

    func refresh(_ request: HTTPRequest) async -> HTTPResponse {
        let retry = request.queryItem("retry") == "true"
        switch await service.refresh(token: request.cookies["refreshToken"], retry: retry) {
        case .success(let tokens):
            return sessionResponse(tokens)
        case .missingToken:
            return Self.expressText("Refresh token not provided", status: .ok)
        case .invalidToken:
            return Self.expressText("Invalid refresh token", status: .forbidden)
        case .userGone:
            return .redirect(to: "/login")
        case .noSession(let retry):
            return retry ? Self.expressText("No session found", status: .forbidden)
                : Self.expressText("Refresh token expired or not found for this user", status: .unauthorized)
        }
    }

    func logout(_ request: HTTPRequest) async -> HTTPResponse {
        guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
        let ended = await service.logout(user: user, refreshToken: request.cookies["refreshToken"])
        var response = HTTPResponse.message("Logout successful", status: .ok)
        if let redirect = await openIDLogoutRedirect(for: user, idToken: ended?.idToken) {
            response = .json(bytes: UserJSON.data(["message": "Logout successful", "redirect": redirect]))
        }
        clearAuthCookies(&response)
        return response
    }

    func clearAuthCookies(_ response: inout HTTPResponse) {
        let secure = configuration.secureCookies
        for name in ["refreshToken", "openid_access_token", "openid_id_token", "openid_user_id", "token_provider"] {
            response.setCookie(.clearing(name, secure: secure, sameSite: .strict))
        }
    }

    func deleteAccount(_ request: HTTPRequest) async -> HTTPResponse {
        guard let user = await service.authenticate(authorization: request.headers["Authorization"]) else { return Self.unauthorized }
        guard service.mayDeleteAccount(user) else {
            return .message("You do not have permission to delete this account", status: .forbidden)
        }
        await service.deleteUser(id: user.id)
        var response = HTTPResponse.message("User deleted", status: .ok)
        clearAuthCookies(&response)
        return response
    }

    /// `/api/config`'s pre-login fields (`buildPreLoginPayload`).
    func preLoginConfig() -> [String: Any] {
        var config: [String: Any] = [
            "appTitle": configuration.appTitle,
            "socialLoginEnabled": configuration.allowSocialLogin,
            "serverDomain": configuration.domainServer,
            "passwordResetEnabled": configuration.allowPasswordReset,
            "emailLoginEnabled": configuration.allowEmailLogin,
            "registrationEnabled": configuration.allowRegistration,
            "emailEnabled": configuration.emailEnabled,
            "samlLoginEnabled": false,
            "openidLabel": social.openidLabel, "openidImageUrl": social.openidImageURL, "openidAutoRedirect": social.openidAutoRedirect,
            "ldap": ["enabled": false],
            // LibreChat's login page draws its social buttons from this list, in this order.
            "socialLogins": SocialLogin.providerNames.filter { social.providers[$0] != nil },
        ]
        for name in SocialLogin.providerNames { config["\(name)LoginEnabled"] = social.providers[name] != nil }
        if configuration.minPasswordLengthConfigured { config["minPasswordLength"] = configuration.minPasswordLength }
        return config
    }

    func renderMetrics() -> String {
        let metrics = service.metrics
        var out = requestMetrics.render()
        let gauges: [(String, String, String, Int)] = [
            ("portcullis_logins_total", "counter", "{result=\"success\"}", metrics.loginsSucceeded.current),
            ("portcullis_logins_total", "counter", "{result=\"failure\"}", metrics.loginsFailed.current),
            ("portcullis_registrations_total", "counter", "", metrics.registrations.current),
            ("portcullis_refreshes_total", "counter", "", metrics.refreshes.current),
            ("portcullis_refresh_reuse_detected_total", "counter", "", metrics.refreshReuse.current),
            ("portcullis_hash_queue_depth", "gauge", "", service.hashing.depth),
            ("portcullis_hash_rejections_total", "counter", "", service.hashing.rejected),
            ("portcullis_users", "gauge", "", service.users.count),
            ("portcullis_sessions", "gauge", "", service.sessions.count),
            ("portcullis_bans_issued_total", "counter", "", moderation.bansIssued.current),
            ("portcullis_mail_sent_total", "counter", "", outbox.sent.current),
            ("portcullis_mail_failed_total", "counter", "", outbox.failed.current),
            ("portcullis_mail_retries_total", "counter", "", outbox.retried.current),
            ("portcullis_rate_limited_total", "counter", "", moderation.limited.current),
            ("portcullis_device_cookies_issued_total", "counter", "", metrics.deviceCookiesIssued.current),
            ("portcullis_lockouts_started_total", "counter", "", service.lockout?.started.current ?? 0),
            ("portcullis_lockout_refusals_total", "counter", "", service.lockout?.refused.current ?? 0),
            ("portcullis_lockout_windows", "gauge", "", service.lockout?.windows.current ?? 0),
        ]
        var described = Set<String>()
        for (name, type, labels, value) in gauges {
            if described.insert(name).inserted { out += "# TYPE \(name) \(type)\n" }
            out += "\(name)\(labels) \(value)\n"
        }
        out += "# TYPE portcullis_uptime_seconds gauge\nportcullis_uptime_seconds \(Int(Date().timeIntervalSince(startedAt)))\n"
        if let persistence {
            let statistics = persistence.journal.statistics
            out += "# TYPE portcullis_journal_records_total counter\nportcullis_journal_records_total \(statistics.records)\n"
            out += "# TYPE portcullis_journal_commits_total counter\nportcullis_journal_commits_total \(statistics.commits)\n"
            if let snapshot = lastSnapshot.withLock({ $0 }) {
                out += "# TYPE portcullis_snapshot_bytes gauge\nportcullis_snapshot_bytes \(snapshot.bytes)\n"
                out += "# TYPE portcullis_snapshot_position gauge\nportcullis_snapshot_position \(snapshot.position)\n"
            }
        }
        return out
    }
}
