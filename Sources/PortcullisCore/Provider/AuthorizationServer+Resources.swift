import Foundation

extension AuthorizationServer {
    /// An access token's claims as this provider signs them (RFC 9068).
    struct AccessTokenClaims: Decodable {
        var iss: String
        var sub: String
        var client_id: String
        var scope: String
        var gid: String
        var exp: Int64
        var iat: Int64
    }

    /// The id_token claims logout reads from `id_token_hint`.
    struct HintClaims: Decodable {
        var iss: String
        var sub: String
        var aud: String
    }

    /// A verified access token whose grant is still live, with its user.
    func liveAccess(_ token: String?) async -> (AccessTokenClaims, User, ProviderGrant)? {
        guard let token, let claims = verify(token, as: AccessTokenClaims.self), claims.iss == issuer,
            let grant = await store.grant(id: claims.gid), grant.userId == claims.sub,
            let user = await liveUser(of: grant)
        else { return nil }
        return (claims, user, grant)
    }

    /// The userinfo endpoint (OpenID Connect Core §5.3): the claims the token's scopes release.
    /// A token whose grant was revoked (logout, code replay, ban) is refused here at once.
    public func userinfo(accessToken: String?) async throws(ProviderError) -> [String: Any] {
        guard let (claims, user, _) = await liveAccess(accessToken) else {
            throw ProviderError(.invalidToken, "the access token is invalid, expired or revoked")
        }
        return userClaims(user, scopes: claims.scope.split(separator: " ").map(String.init))
    }

    /// Token introspection (RFC 7662) for an authenticated confidential client: access tokens of any
    /// client (a resource server checks what it is shown), refresh tokens only of the asking client.
    public func introspect(_ token: String?, client: ProviderClient) async -> [String: Any] {
        if let (claims, user, _) = await liveAccess(token) {
            return [
                "active": true, "iss": issuer, "sub": claims.sub, "client_id": claims.client_id,
                "aud": claims.client_id,
                "scope": claims.scope, "exp": claims.exp, "iat": claims.iat, "token_type": "Bearer",
                "username": user.username,
            ]
        }
        if let (grantId, generation) = parseRefreshToken(token), let grant = await store.grant(id: grantId),
            grant.clientId == client.id, grant.generation == generation, await liveUser(of: grant) != nil
        {
            return [
                "active": true, "iss": issuer, "sub": grant.userId, "client_id": grant.clientId, "scope": grant.scope,
                "exp": grant.expiresAt / 1000, "iat": grant.rotatedAt / 1000, "token_type": "refresh_token",
            ]
        }
        return ["active": false]
    }

    /// Token revocation (RFC 7009): a refresh token or access token of `client` ends its grant (and
    /// with it every token of the grant). Unknown tokens are not an error.
    public func revoke(_ token: String?, client: ProviderClient) async {
        if let (grantId, _) = parseRefreshToken(token), let grant = await store.grant(id: grantId),
            grant.clientId == client.id
        {
            await store.removeGrant(id: grantId)
        } else if let token, let claims = verify(token, as: AccessTokenClaims.self, ignoringExpiry: true),
            claims.client_id == client.id
        {
            await store.removeGrant(id: claims.gid)
        }
    }

    /// What RP-initiated logout may do (OpenID Connect RP-Initiated Logout 1.0).
    public struct LogoutRequest: Sendable, Equatable {
        /// The client the request names, if any.
        public var client: ProviderClient?
        /// Where to send the browser afterwards (exactly one of the client's), with `state`.
        public var redirect: String?
        /// The user the `id_token_hint` was issued to.
        public var hintedUser: String?
    }

    /// Checks a logout request: a tampered `id_token_hint`, a client that differs from the hint's,
    /// or a `post_logout_redirect_uri` that is not exactly one of the client's is refused.
    public func logoutRequest(_ parameters: [String: String]) throws(ProviderError) -> LogoutRequest {
        var client: ProviderClient?
        var hinted: String?
        if let hint = parameters["id_token_hint"], !hint.isEmpty {
            guard let claims = verify(hint, as: HintClaims.self, ignoringExpiry: true), claims.iss == issuer else {
                throw ProviderError(.invalidRequest, "id_token_hint is not an id_token of this provider")
            }
            client = store.client(id: claims.aud)
            hinted = claims.sub
        }
        if let id = parameters["client_id"] {
            guard let named = store.client(id: id), client == nil || client?.id == id else {
                throw ProviderError(.invalidRequest, "client_id is unknown or differs from the id_token_hint's")
            }
            client = named
        }
        var redirect: String?
        if let uri = parameters["post_logout_redirect_uri"] {
            guard let client, client.postLogoutRedirectURIs.contains(uri) else {
                throw ProviderError(
                    .invalidRequest,
                    "post_logout_redirect_uri is not registered for the client (name it by id_token_hint or client_id)")
            }
            redirect = Self.redirect(uri, ["state": parameters["state"]])
        }
        return LogoutRequest(client: client, redirect: redirect, hintedUser: hinted)
    }

    /// An application a user let in: what it may see, since when, how many live grants it holds.
    public struct Application: Sendable, Equatable {
        public var client: ProviderClient
        public var scopes: [String]
        public var since: Int64
        public var grants: Int
    }

    /// The applications a user allowed (consent) or signed in to (grants), by name (the account page).
    public func applications(of userId: String) async -> [Application] {
        var byClient: [String: Application] = [:]
        for consent in await store.consents(userId: userId) {
            guard let client = store.client(id: consent.clientId) else { continue }
            byClient[client.id] = Application(
                client: client, scopes: consent.scope.split(separator: " ").map(String.init), since: consent.grantedAt,
                grants: 0)
        }
        for grant in await store.grants(userId: userId) {
            guard let client = store.client(id: grant.clientId) else { continue }
            var application =
                byClient[client.id]
                ?? Application(client: client, scopes: [], since: grant.createdAt, grants: 0)
            application.grants += 1
            application.since = min(application.since, grant.createdAt)
            for scope in grant.scope.split(separator: " ").map(String.init) where !application.scopes.contains(scope) {
                application.scopes.append(scope)
            }
            byClient[client.id] = application
        }
        let order = AuthorizationRequest.supportedScopes
        return byClient.values.map { application in
            var application = application
            application.scopes.sort {
                (order.firstIndex(of: $0) ?? order.count) < (order.firstIndex(of: $1) ?? order.count)
            }
            return application
        }.sorted { ($0.client.name, $0.client.id) < ($1.client.name, $1.client.id) }
    }

    /// The user takes an application's access back: its grants end and its consent is forgotten
    /// (the next sign-in asks again). Returns whether there was anything.
    @discardableResult
    public func revoke(application clientId: String, of user: User) async -> Bool {
        let ended = await store.removeGrants { $0.userId == user.id && $0.clientId == clientId }
        let hadConsent = await store.consent(userId: user.id, clientId: clientId) != nil
        await store.removeConsents(userId: user.id, clientId: clientId)
        guard ended > 0 || hadConsent else { return false }
        await service.audit.record(
            .appRevoked, actor: user.id, subject: user,
            detail: "\(store.client(id: clientId)?.name ?? clientId): access revoked by the user")
        return true
    }

    /// Ends the grants a browser session made (signing out of Portcullis ends them).
    public func endGrants(ofBrowserSession sessionId: String) async {
        await store.removeGrants { $0.browserSession == sessionId && !$0.isOffline }
    }

    /// Ends every grant of a user (sign out everywhere, a ban), but those of the browser session
    /// `keeping` (the one that signed out the others).
    public func endGrants(ofUser userId: String, keeping: String? = nil) async {
        await store.removeGrants { $0.userId == userId && $0.browserSession != keeping }
    }
}
