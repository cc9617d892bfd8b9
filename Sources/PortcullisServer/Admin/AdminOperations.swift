import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisStore

/// Carries out operator commands against the engine. No HTTP here: the admin socket's router
/// and the offline mode both call ``perform(_:)``.
public struct AdminOperations: Sendable {
    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    private var service: AuthService { engine.service }

    public func perform(_ command: AdminCommand) async throws(AuthError) -> AdminAnswer {
        switch command {
        case .listUsers:
            let users = await service.users.all().sorted { $0.createdAt < $1.createdAt }
            return .json(
                users.map { user -> [String: Any] in
                    [
                        "id": user.id, "email": user.email, "username": user.username, "name": user.name,
                        "provider": user.provider, "role": user.role, "emailVerified": user.emailVerified,
                        "createdAt": UserJSON.isoDate(user.createdAt), "termsAccepted": user.termsAccepted,
                    ]
                })
        case .createUser(let email, let name, let username, let password, let emailVerified, let provider):
            let local = String(email.split(separator: "@").first ?? "")
            let generated = (password ?? "").isEmpty ? Base64URL.encode(SecureRandom.bytes(count: 18)) : nil
            switch try await service.createUser(
                email: email, name: name ?? local, username: username ?? local, password: generated ?? password ?? "",
                emailVerified: emailVerified, provider: provider)
            {
            case .created(let user):
                // The user in the one shape every answer uses, and a generated password once.
                var json = JSONWriter()
                json.beginObject()
                json.key("user")
                UserPayload(user: user, withProviderIds: false).write(to: &json)
                if let generated { json.field("password", generated) }
                json.endObject()
                return AdminAnswer(status: 201, body: json.bytes)
            case .exists:
                return .message("A user with that email already exists.", status: 409)
            case .invalid(let message):
                return .message(message, status: 400)
            }
        case .deleteUser(let email):
            guard let user = await service.users.user(email: email) else {
                return .message("No such user.", status: 404)
            }
            await service.deleteUser(id: user.id, actor: AuditEvent.operatorActor)
            return .message("User deleted", status: 200)
        case .setPassword(let email, let password):
            switch try await service.setPassword(email: email, password: password) {
            case .changed(let ended): return .json(["message": "Password changed", "sessionsEnded": ended])
            case .noSuchUser: return .message("No such user.", status: 404)
            case .invalid(let message): return .message(message, status: 400)
            }
        case .stats:
            return .json(["users": service.users.count, "sessions": service.sessions.count])
        case .importUsers(let bytes, let credsKey):
            return .json(await importUsers(bytes, credsKey: credsKey))
        case .exportUsers:
            var out: [UInt8] = []
            for user in await service.users.all().sorted(by: { $0.id < $1.id }) {
                var object = UserJSON.exported(user)
                if user.twoFactorEnabled, let record = await service.twoFactor.record(userId: user.id) {
                    object.merge(UserJSON.exportedSecondFactor(record)) { $1 }
                }
                out += UserJSON.data(object)
                out.append(UInt8(ascii: "\n"))
            }
            return AdminAnswer(status: 200, body: out)
        case .listBans:
            return .json(await engine.moderation.bans().map(UserJSON.ban))
        case .ban(let email, let minutes):
            guard (1...AdminAction.maximumBanMinutes).contains(minutes) else {
                return .message("Body must be {email, minutes}", status: 400)
            }
            guard let user = await service.users.user(email: email) else {
                return .message("No such user.", status: 404)
            }
            await engine.ban(user, minutes: minutes, reason: "by the operator", actor: AuditEvent.operatorActor)
            return .message("Banned \(user.email) for \(minutes) minute(s); their sessions ended", status: 200)
        case .unban(var subject, let email):
            if let email, let user = await service.users.user(email: email) {
                subject = Moderation.userSubject(user.id)
            }
            guard let subject, await engine.liftBan(subject, actor: AuditEvent.operatorActor) else {
                return .message("No such ban.", status: 404)
            }
            return .message("Ban lifted", status: 200)
        case .invite(let email):
            switch await engine.flows.invite(email: email) {
            case .sent(let address): return .message("Invite sent to \(address)", status: 200)
            case .invalidEmail: return .message("Invalid email", status: 400)
            case .needsEmail: return .message("Email is not configured; invites are sent by email.", status: 409)
            case .exists: return .message("A user with that email already exists.", status: 409)
            }
        case .snapshot:
            guard let info = await engine.takeSnapshot() else {
                return .message("Snapshot failed; see the server log.", status: 500)
            }
            return .json([
                "path": info.path, "position": info.position, "users": info.users, "sessions": info.sessions,
                "bytes": info.bytes,
                "seconds": info.seconds,
            ])
        case .resetTerms:
            return .json(["message": "Terms reset", "users": await service.resetTerms()])
        case .audit(let user, let kind, let since, let until, let limit):
            do {
                let query = try await AuditJSON.query(
                    user: user, kind: kind, since: since, until: until, limit: limit, users: service.users)
                return AdminAnswer(status: 200, body: AuditJSON.lines(await service.audit.events(query)))
            } catch {
                return .message(error.message, status: error.status)
            }
        case .disableTwoFactor(let email):
            guard let user = await service.resetTwoFactor(email: email) else {
                return .message("No such user.", status: 404)
            }
            engine.logger.warning("2FA disabled by the operator", metadata: ["user": "\(user.id)"])
            return .message("2FA disabled for \(user.email); their sessions ended", status: 200)
        case .addClient, .listClients, .removeClient, .rotateClientSecret, .rotateKeys, .listKeys:
            return await performProvider(command)
        }
    }

    /// The OpenID provider's commands: clients and signing keys.
    func performProvider(_ command: AdminCommand) async -> AdminAnswer {
        let provider = engine.provider
        do throws(ProviderError) {
            switch command {
            case .addClient(let name, let redirectURIs, let postLogoutURIs, let isPublic, let firstParty, let algorithm):
                let (client, secret) = try await provider.register(
                    name: name, redirectURIs: redirectURIs, postLogoutRedirectURIs: postLogoutURIs, isPublic: isPublic,
                    firstParty: firstParty, signingAlgorithm: algorithm)
                var json = Self.json(client)
                if let secret { json["client_secret"] = secret }
                return .json(json, status: 201)
            case .listClients:
                return .json(provider.store.clients.map(Self.json))
            case .removeClient(let id):
                guard await provider.remove(clientId: id) != nil else {
                    return .message("No such registered client.", status: 404)
                }
                return .message("Client removed; its grants are revoked", status: 200)
            case .rotateClientSecret(let id):
                let (client, secret) = try await provider.rotateSecret(clientId: id)
                var json = Self.json(client)
                json["client_secret"] = secret
                return .json(json)
            case .rotateKeys:
                do {
                    let fresh = try provider.keys.rotate()
                    return .json(["message": "New signing keys", "keys": fresh.map(Self.json)])
                } catch {
                    return .message(error.description, status: 500)
                }
            default:
                return .json(provider.keys.all.map(Self.json))
            }
        } catch {
            return .message(error.description, status: error.code == .invalidClient ? 404 : 400)
        }
    }

    static func json(_ client: ProviderClient) -> [String: Any] {
        [
            "client_id": client.id, "client_name": client.name, "redirect_uris": client.redirectURIs,
            "post_logout_redirect_uris": client.postLogoutRedirectURIs,
            "token_endpoint_auth_method": client.isPublic ? "none" : "client_secret_basic",
            "first_party": client.firstParty, "id_token_signed_response_alg": client.signingAlgorithm,
            "created_at": UserJSON.isoDate(client.createdAt), "declared": client.declared,
        ]
    }

    static func json(_ key: ProviderSigningKey) -> [String: Any] {
        var json: [String: Any] = [
            "kid": key.id, "alg": key.key.algorithm, "created_at": UserJSON.isoDate(key.createdAt),
        ]
        if let retired = key.retiredAt { json["retired_at"] = UserJSON.isoDate(retired) }
        return json
    }

    /// Imports users, keeping ids, hashes, provider ids, role and verification; existing ids and
    /// emails are skipped. One durability wait for the whole batch, not one per user.
    func importUsers(_ bytes: [UInt8], credsKey: String? = nil) async -> [String: Any] {
        // LibreChat's CREDS_KEY is 64 hex characters: the AES key of its encrypted TOTP secrets.
        let key = Hex.decode(credsKey ?? String(decoding: engine.configuration.credsKey, as: UTF8.self)).flatMap {
            $0.count == 32 ? $0 : nil
        }
        var imported = 0, skipped = 0, invalid = 0
        var problems: [String] = []
        var lastTicket: UInt64?
        let now = engine.clock.milliseconds
        for (index, document) in UserJSON.documents(bytes).enumerated() {
            do {
                let object = try document.get()
                let user = try UserJSON.imported(object, now: now)
                var record: TwoFactorRecord?
                if let imported = try UserJSON.importedSecondFactor(object, credsKey: key) {
                    var plain: [UInt8]?, sealed: [UInt8]?
                    switch imported.secret {
                    case .plain(let bytes): plain = bytes
                    case .sealed(let bytes): sealed = bytes
                    }
                    record = try service.importedTwoFactorRecord(
                        userId: user.id, plainSecret: plain, sealedSecret: sealed, backupCodes: imported.backupCodes)
                    guard record != nil else {
                        throw UserJSON.ImportError.invalid(
                            "totpSecret was sealed by another deployment (another CREDS_KEY)")
                    }
                }
                if await service.users.user(id: user.id) != nil {
                    skipped += 1
                    continue
                }
                let (outcome, ticket) = await service.users.createDeferringDurability(user, promoteFirstToAdmin: false)
                if let ticket { lastTicket = max(lastTicket ?? 0, ticket) }
                switch outcome {
                case .created:
                    imported += 1
                    if let record { await service.twoFactor.put(record) }
                case .emailTaken: skipped += 1
                }
            } catch {
                invalid += 1
                problems.append("document \(index + 1): \(error)")
            }
        }
        await service.users.waitUntilDurable(lastTicket)
        await service.audit.record(
            .usersImported, actor: AuditEvent.operatorActor,
            detail: "\(imported) imported, \(skipped) skipped, \(invalid) invalid")
        return ["imported": imported, "skipped": skipped, "invalid": invalid, "problems": Array(problems.prefix(100))]
    }
}
