import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import PortcullisStore

/// The operator API, served only on the admin Unix socket (`<data dir>/admin.sock`, mode 0600): the
/// file's permissions are the authentication.
extension API {
    public func makeAdminRouter() -> Router {
        var router = Router()
        route(&router, .get, "/admin/users") { [self] _ in
            let users = await service.users.all().sorted { $0.createdAt < $1.createdAt }
            return .json(bytes: UserJSON.data(users.map { user -> [String: Any] in
                ["id": user.id, "email": user.email, "username": user.username, "name": user.name,
                 "provider": user.provider, "role": user.role, "emailVerified": user.emailVerified,
                 "createdAt": UserJSON.isoDate(user.createdAt), "termsAccepted": user.termsAccepted]
            }))
        }
        route(&router, .post, "/admin/users") { [self] request in
            guard let body = Self.fields(request), let email = body["email"] else { return Self.badJSON }
            let local = String(email.split(separator: "@").first ?? "")
            var password = body["password"] ?? ""
            var generated = false
            if password.isEmpty {
                password = Base64URL.encode(SecureRandom.bytes(count: 18))
                generated = true
            }
            let outcome = await service.createUser(
                email: email, name: body["name"] ?? local, username: body["username"] ?? local, password: password,
                emailVerified: body["emailVerified"] != "false", provider: body["provider"] ?? "local")
            switch outcome {
            case .created(let user):
                var answer: [String: Any] = ["user": UserJSON.allowListed(user)]
                if generated { answer["password"] = password }
                return .json(bytes: UserJSON.data(answer), status: .created)
            case .exists:
                return .message("A user with that email already exists.", status: .conflict)
            case .invalid(let message):
                return .message(message, status: .badRequest)
            case .overloaded:
                return Self.overloaded
            }
        }
        route(&router, .delete, "/admin/users") { [self] request in
            guard let email = request.queryItem("email"), let user = await service.users.user(email: email) else {
                return .message("No such user.", status: .notFound)
            }
            await service.deleteUser(id: user.id)
            return .message("User deleted", status: .ok)
        }
        route(&router, .post, "/admin/users/password") { [self] request in
            guard let body = Self.fields(request), let email = body["email"], let password = body["password"] else { return Self.badJSON }
            switch await service.setPassword(email: email, password: password) {
            case .changed(let ended):
                return .json(bytes: UserJSON.data(["message": "Password changed", "sessionsEnded": ended]))
            case .noSuchUser:
                return .message("No such user.", status: .notFound)
            case .invalid(let message):
                return .message(message, status: .badRequest)
            case .overloaded:
                return Self.overloaded
            }
        }
        route(&router, .post, "/admin/terms/reset") { [self] _ in
            .json(bytes: UserJSON.data(["message": "Terms reset", "users": await service.resetTerms()]))
        }
        route(&router, .get, "/admin/stats") { [self] _ in
            .json(bytes: UserJSON.data(["users": service.users.count, "sessions": service.sessions.count]))
        }
        route(&router, .post, "/admin/import") { [self] request in
            var imported = 0, skipped = 0, invalid = 0
            var problems: [String] = []
            var lastTicket: UInt64?
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for (index, document) in UserJSON.documents(request.body).enumerated() {
                switch document {
                case .failure(let error):
                    invalid += 1
                    problems.append("document \(index + 1): \(error)")
                case .success(let object):
                    do {
                        let user = try UserJSON.imported(object, now: now)
                        if await service.users.user(id: user.id) != nil {
                            skipped += 1
                            continue
                        }
                        // One durability wait for the whole batch, not one fsync round per user.
                        let (outcome, ticket) = await service.users.createDeferringDurability(user, promoteFirstToAdmin: false)
                        if let ticket { lastTicket = max(lastTicket ?? 0, ticket) }
                        switch outcome {
                        case .created: imported += 1
                        case .emailTaken: skipped += 1
                        }
                    } catch {
                        invalid += 1
                        problems.append("document \(index + 1): \(error)")
                    }
                }
            }
            await service.users.waitUntilDurable(lastTicket)
            return .json(bytes: UserJSON.data(["imported": imported, "skipped": skipped, "invalid": invalid,
                                               "problems": Array(problems.prefix(100))]))
        }
        route(&router, .get, "/admin/bans") { [self] _ in .json(bytes: UserJSON.data(await banList())) }
        route(&router, .post, "/admin/bans") { [self] request in
            guard let body = Self.fields(request), let email = body["email"], let minutes = body["minutes"].flatMap({ Int64($0) }),
                  minutes > 0, minutes <= 525_600 * 10 else {
                return .message("Body must be {email, minutes}", status: .badRequest)
            }
            guard let user = await service.users.user(email: email) else { return .message("No such user.", status: .notFound) }
            await moderation.ban(userId: user.id, ip: nil, duration: minutes * 60_000, type: "admin")
            return .message("Banned \(user.email) for \(minutes) minute(s); their sessions ended", status: .ok)
        }
        route(&router, .delete, "/admin/bans") { [self] request in
            var subject = request.queryItem("subject")
            if let email = request.queryItem("email"), let user = await service.users.user(email: email) {
                subject = Moderation.userSubject(user.id)
            }
            guard let subject, await moderation.unban(subject: subject) else { return .message("No such ban.", status: .notFound) }
            return .message("Ban lifted", status: .ok)
        }
        route(&router, .post, "/admin/invites") { [self] request in
            guard let body = Self.fields(request), let email = body["email"] else { return Self.badJSON }
            return await invite(email: email)
        }
        route(&router, .post, "/admin/snapshot") { [self] _ in
            guard let info = await takeSnapshot() else { return .message("Snapshot failed; see the server log.", status: .internalServerError) }
            return .json(bytes: UserJSON.data(["path": info.path, "position": info.position, "users": info.users,
                                               "sessions": info.sessions, "bytes": info.bytes, "seconds": info.seconds]))
        }
        route(&router, .get, "/admin/export") { [self] _ in
            var out: [UInt8] = []
            for user in await service.users.all().sorted(by: { $0.id < $1.id }) {
                out += UserJSON.data(UserJSON.exported(user))
                out.append(UInt8(ascii: "\n"))
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/x-ndjson"], body: out)
        }
        return router
    }
}
