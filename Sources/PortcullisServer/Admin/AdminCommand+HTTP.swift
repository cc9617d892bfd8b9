import Foundation
import PortcullisHTTP

/// The admin socket's wire form of ``AdminCommand``: a method, a path with a query, a body. The
/// command line builds requests with ``request``; the socket's router reads them back with
/// ``init(_:)``; the two are tested against each other.
extension AdminCommand {
    /// The request that carries this command to a running server.
    public var request: (method: String, target: String, body: [UInt8]) {
        func json(_ object: [String: Any]) -> [UInt8] {
            (try? Array(JSONSerialization.data(withJSONObject: object))) ?? []
        }
        switch self {
        case .listUsers: return ("GET", "/admin/users", [])
        case .createUser(let email, let name, let username, let password, let emailVerified, let provider):
            var object: [String: Any] = [
                "email": email, "emailVerified": emailVerified ? "true" : "false", "provider": provider,
            ]
            if let name { object["name"] = name }
            if let username { object["username"] = username }
            if let password { object["password"] = password }
            return ("POST", "/admin/users", json(object))
        case .deleteUser(let email): return ("DELETE", "/admin/users?email=" + FormURLEncoded.encode(email), [])
        case .setPassword(let email, let password):
            return ("POST", "/admin/users/password", json(["email": email, "password": password]))
        case .stats: return ("GET", "/admin/stats", [])
        case .importUsers(let bytes, let credsKey):
            // The admin socket is private (0600) and its log holds route patterns only, never targets.
            return ("POST", "/admin/import" + (credsKey.map { "?credsKey=" + FormURLEncoded.encode($0) } ?? ""), bytes)
        case .exportUsers: return ("GET", "/admin/export", [])
        case .listBans: return ("GET", "/admin/bans", [])
        case .ban(let email, let minutes):
            return ("POST", "/admin/bans", json(["email": email, "minutes": String(minutes)]))
        case .unban(let subject, let email):
            let query =
                subject.map { "subject=" + FormURLEncoded.encode($0) } ?? "email=" + FormURLEncoded.encode(email ?? "")
            return ("DELETE", "/admin/bans?" + query, [])
        case .invite(let email): return ("POST", "/admin/invites", json(["email": email]))
        case .snapshot: return ("POST", "/admin/snapshot", [])
        case .resetTerms: return ("POST", "/admin/terms/reset", [])
        case .disableTwoFactor(let email): return ("POST", "/admin/users/2fa/disable", json(["email": email]))
        case .audit(let user, let kind, let since, let until, let limit):
            let items = [("user", user), ("kind", kind), ("since", since), ("until", until), ("limit", limit)]
            let query = items.compactMap { name, value in value.map { name + "=" + FormURLEncoded.encode($0) } }
            return ("GET", "/admin/audit" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), [])
        case .addClient(let name, let redirectURIs, let postLogoutURIs, let isPublic, let firstParty, let algorithm):
            let object: [String: Any] = [
                "name": name, "redirectURIs": redirectURIs.joined(separator: " "),
                "postLogoutURIs": postLogoutURIs.joined(separator: " "), "public": isPublic ? "true" : "false",
                "firstParty": firstParty ? "true" : "false", "signingAlgorithm": algorithm,
            ]
            return ("POST", "/admin/oidc/clients", json(object))
        case .listClients: return ("GET", "/admin/oidc/clients", [])
        case .removeClient(let id): return ("DELETE", "/admin/oidc/clients?id=" + FormURLEncoded.encode(id), [])
        case .rotateClientSecret(let id): return ("POST", "/admin/oidc/clients/secret", json(["id": id]))
        case .rotateKeys: return ("POST", "/admin/oidc/keys", [])
        case .listKeys: return ("GET", "/admin/oidc/keys", [])
        }
    }

    /// The command a request to the admin socket carries.
    init(_ request: HTTPRequest) throws(APIError) {
        let body = { () throws(APIError) -> [String: String] in
            guard let fields = API.fields(request) else { throw .badJSON }
            return fields
        }
        switch (request.method, request.path) {
        case (.get, "/admin/users"): self = .listUsers
        case (.post, "/admin/users"):
            let fields = try body()
            guard let email = fields["email"] else { throw .badJSON }
            self = .createUser(
                email: email, name: fields["name"], username: fields["username"], password: fields["password"],
                emailVerified: fields["emailVerified"] != "false", provider: fields["provider"] ?? "local")
        case (.delete, "/admin/users"): self = .deleteUser(email: request.queryItem("email") ?? "")
        case (.post, "/admin/users/password"):
            let fields = try body()
            guard let email = fields["email"], let password = fields["password"] else { throw .badJSON }
            self = .setPassword(email: email, password: password)
        case (.get, "/admin/stats"): self = .stats
        case (.post, "/admin/import"): self = .importUsers(request.body, credsKey: request.queryItem("credsKey"))
        case (.get, "/admin/export"): self = .exportUsers
        case (.get, "/admin/bans"): self = .listBans
        case (.post, "/admin/bans"):
            let fields = try body()
            guard let email = fields["email"], let minutes = fields["minutes"].flatMap({ Int64($0) }) else {
                throw .message("Body must be {email, minutes}", .badRequest)
            }
            self = .ban(email: email, minutes: minutes)
        case (.delete, "/admin/bans"):
            self = .unban(subject: request.queryItem("subject"), email: request.queryItem("email"))
        case (.post, "/admin/invites"):
            guard let email = try body()["email"] else { throw .badJSON }
            self = .invite(email: email)
        case (.post, "/admin/snapshot"): self = .snapshot
        case (.post, "/admin/terms/reset"): self = .resetTerms
        case (.post, "/admin/users/2fa/disable"):
            guard let email = try body()["email"] else { throw .badJSON }
            self = .disableTwoFactor(email: email)
        case (.get, "/admin/audit"):
            self = .audit(
                user: request.queryItem("user"), kind: request.queryItem("kind"), since: request.queryItem("since"),
                until: request.queryItem("until"), limit: request.queryItem("limit"))
        case (.post, "/admin/oidc/clients"):
            let fields = try body()
            func list(_ name: String) -> [String] { (fields[name] ?? "").split(separator: " ").map(String.init) }
            self = .addClient(
                name: fields["name"] ?? "", redirectURIs: list("redirectURIs"), postLogoutURIs: list("postLogoutURIs"),
                isPublic: fields["public"] == "true", firstParty: fields["firstParty"] == "true",
                signingAlgorithm: fields["signingAlgorithm"] ?? "RS256")
        case (.get, "/admin/oidc/clients"): self = .listClients
        case (.delete, "/admin/oidc/clients"): self = .removeClient(id: request.queryItem("id") ?? "")
        case (.post, "/admin/oidc/clients/secret"):
            guard let id = try body()["id"] else { throw .badJSON }
            self = .rotateClientSecret(id: id)
        case (.post, "/admin/oidc/keys"): self = .rotateKeys
        case (.get, "/admin/oidc/keys"): self = .listKeys
        default: throw .message("Not Found", .notFound)
        }
    }

    /// Every admin route (method and path), for the socket's router.
    static let routes: [(HTTPMethod, String)] = [
        (.get, "/admin/audit"), (.get, "/admin/users"), (.post, "/admin/users"), (.delete, "/admin/users"),
        (.post, "/admin/users/password"),
        (.get, "/admin/stats"), (.post, "/admin/import"), (.get, "/admin/export"), (.get, "/admin/bans"),
        (.post, "/admin/bans"),
        (.delete, "/admin/bans"), (.post, "/admin/invites"), (.post, "/admin/snapshot"), (.post, "/admin/terms/reset"),
        (.post, "/admin/users/2fa/disable"), (.post, "/admin/oidc/clients"), (.get, "/admin/oidc/clients"),
        (.delete, "/admin/oidc/clients"), (.post, "/admin/oidc/clients/secret"), (.post, "/admin/oidc/keys"),
        (.get, "/admin/oidc/keys"),
    ]
}
