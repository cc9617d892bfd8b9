import Foundation
import PortcullisCore
import PortcullisHTTP
import PortcullisMail
import PortcullisStore
import Synchronization

/// The admin dashboard at `/admin`: the same templates, CSP and CSRF as every page, for ADMIN
/// accounts only (and, when `REQUIRE_2FA` covers admins, only with 2FA or a passkey on the account).
/// Every action is a form with a confirmation box, carried out by the same ``AdminAction`` the admin
/// API runs, and audited.
extension API {
    func addAdminPageRoutes(_ routes: inout Routes) {
        routes.on(.get, "/assets/admin.js") { _ in Pages.asset("text/javascript; charset=utf-8", Pages.adminScript) }
        routes.on(.get, "/admin") { [self] request in
            try await adminPage(request) { request, _, _ in await overview(request) }
        }
        routes.on(.get, "/admin/live") { [self] request in
            try await adminPage(request) { _, _, _ in
                Self.noStore(.json(bytes: UserJSON.data(history.charts())))
            }
        }
        routes.on(.post, "/admin/snapshot") { [self] request in
            try await adminPage(request, form: true, confirm: false) { request, _, _ in
                let info = await engine.takeSnapshot()
                return await overview(
                    request, notice: info.map { "Snapshot written: \($0.bytes) bytes." },
                    error: info == nil ? "The snapshot failed; see the server log." : nil)
            }
        }
        routes.on(.post, "/admin/outbox/retry") { [self] request in
            try await adminPage(request, form: true, confirm: false) { request, _, _ in
                await overview(request, notice: "\(await engine.outbox.retryNow()) mail(s) will be retried now.")
            }
        }
        routes.on(.get, "/admin/users") { [self] request in
            try await adminPage(request) { request, _, _ in await usersPage(request) }
        }
        routes.on(.post, "/admin/users") { [self] request in
            try await adminPage(request, form: true) { request, admin, fields in
                do {
                    let (user, message) = try await createAccount(
                        email: fields["email"], name: fields["name"], username: nil, password: nil, by: admin)
                    return await userPage(request, user, notice: message)
                } catch {
                    return await usersPage(
                        request, values: ["email": fields["email"] ?? "", "name": fields["name"] ?? ""], refusal: error)
                }
            }
        }
        routes.on(.post, "/admin/invites") { [self] request in
            try await adminPage(request, form: true) { request, admin, fields in
                do {
                    return await usersPage(request, notice: try await invite(fields["email"], by: admin))
                } catch {
                    return await usersPage(request, refusal: error)
                }
            }
        }
        routes.on(.get, "/admin/users/:id") { [self] request in
            try await adminPage(request) { request, _, _ in await userPage(request, try await subject(request)) }
        }
        routes.on(.post, "/admin/users/:id/:action") { [self] request in
            try await adminPage(request, form: true) { request, admin, fields in
                let user = try await subject(request)
                do {
                    let action = try AdminAction(name: request.parameters["action"] ?? "", fields: fields)
                    let message = try await perform(action, on: user, by: admin, client: clientInfo(request))
                    if action == .delete { return await usersPage(request, notice: message) }
                    return await userPage(request, await service.users.user(id: user.id) ?? user, notice: message)
                } catch {
                    return await userPage(request, user, refusal: error)
                }
            }
        }
        routes.on(.get, "/admin/bans") { [self] request in
            try await adminPage(request) { request, _, _ in await bansPage(request) }
        }
        routes.on(.post, "/admin/bans/lift") { [self] request in
            try await adminPage(request, form: true) { request, admin, fields in
                let subject = fields["subject"] ?? ""
                guard await engine.liftBan(subject, actor: admin.id, client: clientInfo(request)) else {
                    return await bansPage(request, error: "No such ban.", status: .notFound)
                }
                return await bansPage(request, notice: "The ban is lifted.")
            }
        }
        routes.on(.get, "/admin/audit") { [self] request in
            try await adminPage(request) { request, _, _ in await auditPage(request) }
        }
        routes.on(.get, "/admin/audit.jsonl") { [self] request in
            try await adminPage(request) { request, _, _ in
                var query = try await auditQuery(request)
                if request.queryItem("limit") == nil { query.limit = AuditJSON.maximumLimit }
                var response = AuditJSON.linesResponse(await service.audit.events(query))
                response.headers.add(name: "Content-Disposition", value: "attachment; filename=\"audit.jsonl\"")
                return Self.noStore(response)
            }
        }
    }

    /// An `/admin` request: a signed-in ADMIN (with a second factor when `REQUIRE_2FA` covers
    /// admins); for a form (`form`), the CSRF token and, with `confirm`, the ticked confirmation box.
    func adminPage(
        _ request: HTTPRequest, form isForm: Bool = false, confirm: Bool = true,
        _ handle: (HTTPRequest, User, [String: String]) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        guard let (user, _) = await service.pageSession(refreshToken: request.cookies["refreshToken"]) else {
            return Pages.seeOther("/login")
        }
        let back: [String: Any] = ["next": "/account", "nextLabel": "Your account"]
        guard user.role == Role.admin else {
            return page(
                request, "message", title: "Administration", values: back, error: "Administrators only.",
                status: .forbidden)
        }
        if await service.needsSecondFactor(user) {
            return page(
                request, "message", title: "Administration", values: back,
                error: "Administration needs two-factor authentication or a passkey on your account.",
                status: .forbidden)
        }
        var fields: [String: String] = [:]
        if isForm {
            guard let sent = form(request) else {
                return page(
                    request, "message", title: "Administration", values: ["next": "/admin", "nextLabel": "Back"],
                    error: Self.expiredForm, status: .forbidden)
            }
            guard !confirm || sent["confirm"] == "yes" else {
                return page(
                    request, "message", title: "Administration", values: ["next": "/admin", "nextLabel": "Back"],
                    error: "Nothing was done: tick the confirmation box to go ahead.", status: .badRequest)
            }
            fields = sent
        }
        return try await handle(request, user, fields)
    }

    func adminValues(_ values: [String: Any]) -> [String: Any] {
        var values = values
        values["adminScript"] = true
        return values
    }

    func overview(_ request: HTTPRequest, notice: String? = nil, error: String? = nil) async -> HTTPResponse {
        let charts = history.charts()
        var system = await systemStatus()
        let uptime = (system["uptimeSeconds"] as? Int64) ?? 0
        system["uptime"] = "\(uptime / 3600) h \(uptime / 60 % 60) min"
        if let snapshot = system["lastSnapshot"] as? [String: Any] {
            let age = (snapshot["ageSeconds"] as? Int64) ?? 0
            system["snapshot"] = [
                "age": "\(age / 60) min \(age % 60) s", "bytes": snapshot["bytes"] ?? 0,
                "users": snapshot["users"] ?? 0,
            ]
        }
        let providers = (system["providers"] as? [String]) ?? []
        system["providers"] = providers.isEmpty ? "email only" : providers.joined(separator: ", ")
        system["hasWarnings"] = !((system["warnings"] as? [String]) ?? []).isEmpty
        return page(
            request, "admin", title: "Administration", values: adminValues(["charts": charts, "system": system]),
            error: error, notice: notice)
    }

    func usersPage(
        _ request: HTTPRequest, values extra: [String: Any] = [:], notice: String? = nil, refusal: (any Error)? = nil
    ) async -> HTTPResponse {
        var values = extra
        do {
            let (found, users) = try await userSearch(request)
            let q = request.queryItem("q") ?? ""
            let sort = request.queryItem("sort") ?? "newest"
            let offset = Int(request.queryItem("offset") ?? "0") ?? 0
            func link(_ offset: Int) -> String {
                "/admin/users?q=\(FormURLEncoded.encode(q))&sort=\(sort)&offset=\(offset)"
            }
            values["q"] = q
            values["total"] = found.total
            values["sorted"] = found.sorted
            values["orders"] = UserDirectory.Order.allCases.map { order in
                ["value": order.rawValue, "label": order.rawValue.capitalized, "selected": order.rawValue == sort]
            }
            values["users"] = users.map { user -> [String: Any] in
                [
                    "id": user.id, "email": user.email, "name": user.name, "provider": user.provider,
                    "role": user.role, "createdAt": Pages.readableDate(user.createdAt),
                ]
            }
            if offset > 0 { values["previous"] = link(max(0, offset - Self.usersPerPage)) }
            if offset + Self.usersPerPage < found.total { values["next"] = link(offset + Self.usersPerPage) }
        } catch {
            return page(request, "admin-users", title: "Users", values: adminValues(values), refusal: error)
        }
        if let refusal {
            return page(request, "admin-users", title: "Users", values: adminValues(values), refusal: refusal)
        }
        return page(request, "admin-users", title: "Users", values: adminValues(values), notice: notice)
    }

    func userPage(
        _ request: HTTPRequest, _ user: User, notice: String? = nil, refusal: (any Error)? = nil
    ) async -> HTTPResponse {
        var detail = await adminUserDetail(user, date: Pages.readableDate)
        // The forms (sessions' and actions') find `csrf` (set by `page`) and `userId` here.
        detail["userId"] = user.id
        var actions: [[String: Any]] = [
            [
                "name": "role", "label": "Change role", "confirm": "Yes, change the role", "role": true,
                "isUser": user.role != Role.admin,
            ],
            ["name": "ban", "label": "Ban", "confirm": "Yes, ban this user (their sessions end)", "ban": true],
            ["name": "end-sessions", "label": "End all sessions", "confirm": "Yes, sign them out everywhere"],
            ["name": "reset-password", "label": "Mail a password reset link", "confirm": "Yes, mail the link"],
        ]
        if detail["ban"] != nil {
            actions.insert(["name": "unban", "label": "Lift the ban", "confirm": "Yes, lift it"], at: 2)
        }
        if user.twoFactorEnabled {
            actions.append([
                "name": "disable-2fa", "label": "Turn off 2FA",
                "confirm": "Yes, turn off their 2FA (their sessions end)",
            ])
        }
        if !user.emailVerified {
            actions.append([
                "name": "resend-verification", "label": "Resend verification", "confirm": "Yes, mail it again",
            ])
        }
        actions.append(["name": "delete", "label": "Delete the account", "confirm": "Yes, delete it for good"])
        // Every action says whether it has the role or ban fields: Mustache would otherwise find the
        // page's own `ban` (a live ban) when an action has none.
        detail["actions"] = actions.map { ["role": false, "ban": false].merging($0) { $1 } }
        if let refusal {
            return page(request, "admin-user", title: user.email, values: adminValues(detail), refusal: refusal)
        }
        return page(request, "admin-user", title: user.email, values: adminValues(detail), notice: notice)
    }

    func bansPage(
        _ request: HTTPRequest, notice: String? = nil, error: String? = nil, status: HTTPStatus = .ok
    ) async -> HTTPResponse {
        let (csrf, _) = Pages.csrfToken(request, secure: configuration.secureCookies)
        var bans: [[String: Any]] = []
        for ban in await moderation.bans() {
            let user = await engine.user(bannedAs: ban.subject)
            bans.append([
                "subject": ban.subject, "who": user?.email ?? ban.subject, "userId": user?.id ?? "",
                "expiresAt": Pages.readableDate(ban.expiresAt), "type": ban.type, "csrf": csrf,
                "reason": await banReason(userId: user?.id) ?? "",
            ])
        }
        return page(
            request, "admin-bans", title: "Bans and lockouts",
            values: adminValues(["bans": bans, "lockouts": await lockouts()]), error: error, notice: notice,
            status: status)
    }

    func auditPage(_ request: HTTPRequest) async -> HTTPResponse {
        let filter: [String: String] = [
            "user": request.queryItem("user") ?? "", "kind": request.queryItem("kind") ?? "",
            "since": request.queryItem("since") ?? "",
        ]
        var values: [String: Any] = [
            "filter": filter,
            "kinds": AuditKind.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == filter["kind"]] },
            "export": "/admin/audit.jsonl?"
                + filter.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(FormURLEncoded.encode($0.value))" }.joined(separator: "&"),
        ]
        do {
            var query = try await auditQuery(request)
            if request.queryItem("limit") == nil { query.limit = 200 }
            values["events"] = await service.audit.events(query).map { event -> [String: Any] in
                var object = AuditJSON.object(event)
                object["time"] = Pages.readableDate(event.time)
                return object
            }
        } catch {
            return page(request, "admin-audit", title: "Audit log", values: adminValues(values), refusal: error)
        }
        return page(request, "admin-audit", title: "Audit log", values: adminValues(values))
    }
}
