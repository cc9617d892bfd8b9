import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import PortcullisMail
import PortcullisStore
import Synchronization

/// The admin API, for ADMIN tokens: the audit log, users (search, one user, every action of the
/// dashboard), invites, bans and lockouts, the system. Every route refuses bad input with a 4xx and
/// changes nothing; every change is audited with the administrator as the actor.
extension API {
    func addAdminRoutes(_ routes: inout Routes) {
        routes.admin(.get, "/api/admin/audit") { [self] request, _ in
            let events = await service.audit.events(try await auditQuery(request))
            switch request.queryItem("format") {
            case "jsonl":
                return AuditJSON.linesResponse(events)
            case nil, "json":
                return .json(bytes: UserJSON.data(["events": events.map(AuditJSON.object)]))
            default:
                throw APIError.message("format must be json or jsonl", .badRequest)
            }
        }
        routes.admin(.get, "/api/admin/users") { [self] request, _ in
            let (page, users) = try await userSearch(request)
            return .json(
                bytes: UserJSON.data([
                    "total": page.total, "sorted": page.sorted, "users": users.map { Self.adminUserJSON($0) },
                ]))
        }
        routes.admin(.post, "/api/admin/users") { [self] request, admin in
            let body = try Self.body(request)
            let (user, message) = try await createAccount(
                email: body["email"], name: body["name"], username: body["username"], password: body["password"],
                by: admin)
            return .json(
                bytes: UserJSON.data(["message": message, "user": Self.adminUserJSON(user)]), status: .created)
        }
        routes.admin(.get, "/api/admin/users/:id") { [self] request, _ in
            .json(bytes: UserJSON.data(await adminUserDetail(try await subject(request))))
        }
        routes.admin(.delete, "/api/admin/users/:id") { [self] request, admin in
            try await adminAnswer(.delete, request, admin)
        }
        routes.admin(.delete, "/api/admin/users/:id/sessions") { [self] request, admin in
            try await adminAnswer(.endSessions, request, admin)
        }
        routes.admin(.delete, "/api/admin/users/:id/sessions/:session") { [self] request, admin in
            try await adminAnswer(.endSession(id: request.parameters["session"] ?? ""), request, admin)
        }
        routes.admin(.delete, "/api/admin/users/:id/2fa") { [self] request, admin in
            try await adminAnswer(.disableTwoFactor, request, admin)
        }
        routes.admin(.delete, "/api/admin/users/:id/ban") { [self] request, admin in
            try await adminAnswer(.unban, request, admin)
        }
        for (path, name) in [
            ("role", "role"), ("ban", "ban"), ("reset-password", "reset-password"),
            ("resend-verification", "resend-verification"),
        ] {
            routes.admin(.post, "/api/admin/users/:id/" + path) { [self] request, admin in
                try await adminAnswer(
                    try AdminAction(name: name, fields: try Self.body(request, integers: true)), request, admin)
            }
        }
        routes.admin(.post, "/api/admin/invites") { [self] request, admin in
            let message = try await invite(try Self.body(request)["email"], by: admin)
            return .json(bytes: UserJSON.data(["message": message]))
        }
        routes.admin(.get, "/api/admin/lockouts") { [self] _, _ in
            .json(bytes: UserJSON.data(["lockouts": await lockouts()]))
        }
        routes.admin(.post, "/api/admin/outbox/retry") { [self] _, _ in
            .json(bytes: UserJSON.data(["retrying": await engine.outbox.retryNow()]))
        }
        routes.admin(.get, "/api/admin/system") { [self] _, _ in
            .json(bytes: UserJSON.data(await systemStatus()))
        }
    }

    /// The user `:id` names (a user id, or an email).
    func subject(_ request: HTTPRequest) async throws(APIError) -> User {
        let key = request.parameters["id"] ?? ""
        let user = key.contains("@") ? await service.users.user(email: key) : await service.users.user(id: key)
        guard let user else { throw .message("No such user.", .notFound) }
        return user
    }

    func adminAnswer(_ action: AdminAction, _ request: HTTPRequest, _ admin: User) async throws -> HTTPResponse {
        let message = try await perform(action, on: try await subject(request), by: admin, client: clientInfo(request))
        return .json(bytes: UserJSON.data(["message": message]))
    }

    func auditQuery(_ request: HTTPRequest) async throws(APIError) -> AuditQuery {
        do throws(AuditJSON.QueryError) {
            return try await AuditJSON.query(
                user: request.queryItem("user"), kind: request.queryItem("kind"), since: request.queryItem("since"),
                until: request.queryItem("until"), limit: request.queryItem("limit"), users: service.users)
        } catch {
            throw error.apiError
        }
    }

    static let usersPerPage = 50

    /// `q` (substring of email, name, username, provider, role), `sort` (newest, oldest, email,
    /// name), `offset`, `limit` (1…500): a page of the directory and its users.
    func userSearch(_ request: HTTPRequest) async throws(APIError) -> (UserDirectory.Page, [User]) {
        let query = request.queryItem("q") ?? ""
        guard query.utf8.count <= 254 else { throw .message("q is at most 254 bytes", .badRequest) }
        guard let order = UserDirectory.Order(rawValue: request.queryItem("sort") ?? "newest") else {
            throw .message(
                "sort must be one of " + UserDirectory.Order.allCases.map(\.rawValue).joined(separator: ", "),
                .badRequest)
        }
        guard let offset = Int(request.queryItem("offset") ?? "0"), offset >= 0, offset <= 100_000_000 else {
            throw .message("offset must be a number of at least 0", .badRequest)
        }
        guard let limit = Int(request.queryItem("limit") ?? "\(Self.usersPerPage)"), (1...500).contains(limit) else {
            throw .message("limit must be 1 to 500", .badRequest)
        }
        let page = await service.users.search(query, order: order, offset: offset, limit: limit)
        var users: [User] = []
        for id in page.ids {
            if let user = await service.users.user(id: id) { users.append(user) }
        }
        return (page, users)
    }

    /// `date` writes the times: ISO 8601 for the API, ``Pages/readableDate(_:)`` for the pages.
    static func adminUserJSON(_ user: User, date: (Int64) -> String = UserJSON.isoDate) -> [String: Any] {
        [
            "id": user.id, "email": user.email, "name": user.name, "username": user.username,
            "provider": user.provider, "role": user.role, "emailVerified": user.emailVerified,
            "twoFactorEnabled": user.twoFactorEnabled, "createdAt": date(user.createdAt),
        ]
    }

    /// One user as the dashboard shows them: sessions and devices, passkeys, 2FA, ban, audit trail.
    func adminUserDetail(_ user: User, date: (Int64) -> String = UserJSON.isoDate) async -> [String: Any] {
        let sessions = await service.sessions.sessions(userId: user.id).map { session -> [String: Any] in
            [
                "id": session.id, "device": Pages.deviceLabel(session.userAgent), "ip": session.ip ?? "",
                "createdAt": date(session.createdAt), "lastUsedAt": date(session.lastUsedAt),
                "expiresAt": date(session.expiresAt),
            ]
        }
        let passkeys = await service.passkeys.passkeys(userId: user.id).map { passkey -> [String: Any] in
            [
                "id": passkey.id, "name": passkey.name, "createdAt": date(passkey.createdAt),
                "lastUsedAt": passkey.lastUsedAt.map(date) ?? "", "backedUp": passkey.backedUp,
            ]
        }
        var detail: [String: Any] = [
            "user": Self.adminUserJSON(user, date: date), "sessions": sessions, "passkeys": passkeys,
            "audit": await service.audit.events(AuditQuery(user: user.id, limit: 50)).map(AuditJSON.object),
        ]
        if let ban = await banOf(user, date: date) { detail["ban"] = ban }
        if let locked = await service.lockout?.lockout(ofEmail: user.email, now: engine.clock.milliseconds) {
            detail["lockout"] = ["failures": locked.failures, "retryAfterSeconds": locked.retryAfter]
        }
        return detail
    }

    /// The user's live ban, with the reason the audit log holds for it.
    func banOf(_ user: User, date: (Int64) -> String) async -> [String: Any]? {
        let subject = Moderation.userSubject(user.id)
        guard let ban = await moderation.bans().first(where: { $0.subject == subject }) else { return nil }
        var object = UserJSON.ban(ban)
        object["expiresAt"] = date(ban.expiresAt)
        object["reason"] = await banReason(userId: user.id) ?? ""
        return object
    }

    /// The detail of the latest `banned` entry about a user (the reason an administrator gave).
    func banReason(userId: String?) async -> String? {
        guard let userId else { return nil }
        return await service.audit.events(AuditQuery(user: userId, kinds: [.banned], limit: 1)).first?.detail
    }

    func invite(_ email: String?, by admin: User) async throws(APIError) -> String {
        switch await flows.invite(email: email ?? "") {
        case .sent(let address):
            await service.audit.record(.userCreated, actor: admin.id, email: address, detail: "invited")
            return "An invitation was mailed to \(address)."
        case .invalidEmail: throw .invalidField("Invalid email", field: "email", .badRequest)
        case .needsEmail: throw .message("Email is not configured; invites are sent by email.", .conflict)
        case .exists: throw .invalidField("An account with this email exists.", field: "email", .conflict)
        }
    }

    /// Accounts and devices currently locked out, and client IPs over the login limiter, with their counters.
    func lockouts() async -> [[String: Any]] {
        let addresses = await moderation.overLimit("login", moderation.configuration.login).map {
            entry -> [String: Any] in
            [
                "key": entry.key, "kind": "ip (login limiter)", "failures": entry.hits,
                "retryAfterSeconds": entry.retryAfter,
            ]
        }
        guard let lockout = service.lockout else { return addresses }
        let windows = await lockout.lockedOut(now: engine.clock.milliseconds).map { window -> [String: Any] in
            [
                "key": window.key, "kind": window.key.hasPrefix("d:") ? "device" : "account",
                "failures": window.failures, "retryAfterSeconds": window.retryAfter,
            ]
        }
        return addresses + windows
    }

    /// The System panel: version, uptime, data, snapshot, journal, email and outbox, providers, warnings.
    func systemStatus() async -> [String: Any] {
        let now = engine.clock.milliseconds
        var status: [String: Any] = [
            "version": Engine.version, "uptimeSeconds": (now - engine.startedAt) / 1000,
            "dataDirectory": configuration.dataDirectory, "users": service.users.count,
            "sessions": service.sessions.count, "passkeys": service.passkeys.count,
            "auditEntries": await service.audit.count(), "journalBytes": engine.persistence.journalBytes(),
            "email": "\(engine.email.mode)", "outboxPending": await engine.outbox.queue.all().count,
            "mailSent": engine.outbox.sent.current, "mailFailed": engine.outbox.failed.current,
            "providers": SocialLogin.providerNames.filter { social.providers[$0] != nil },
            "warnings": engine.startupWarnings.withLock { $0 },
            "hashQueueDepth": service.hashing.depth, "hashRejections": service.hashing.rejected,
        ]
        if let snapshot = engine.lastSnapshot.withLock({ $0 }) {
            status["lastSnapshot"] = [
                "path": snapshot.path, "ageSeconds": (now - snapshot.takenAt) / 1000, "bytes": snapshot.bytes,
                "users": snapshot.users,
            ]
        }
        return status
    }
}
