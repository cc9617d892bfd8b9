import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// Portcullis as an OpenID Provider: discovery, JWKS, the authorization endpoint (with the sign-in
/// and consent pages), token, userinfo, revocation, introspection and RP-initiated logout. The
/// decisions are the ``AuthorizationServer``'s; this maps them to HTTP.
extension API {
    var provider: AuthorizationServer { engine.provider }

    func addOpenIDProviderRoutes(_ routes: inout Routes) {
        let discovery: @Sendable (HTTPRequest) async throws -> HTTPResponse = { [self] _ in
            var response = HTTPResponse.json(bytes: UserJSON.data(provider.discoveryDocument))
            response.headers.add(name: "Cache-Control", value: "public, max-age=300")
            return response
        }
        routes.on(.get, "/.well-known/openid-configuration", discovery)
        routes.on(.get, "/.well-known/oauth-authorization-server", discovery)
        routes.on(.get, "/oidc/jwks") { [self] _ in
            // Short: a rotation publishes the new key at once, and clients refetch on an unknown kid.
            var response = HTTPResponse.json(bytes: provider.keys.jwks)
            response.headers.add(name: "Cache-Control", value: "public, max-age=60")
            return response
        }
        routes.on(.get, "/oidc/authorize") { [self] in await authorize($0, parameters: $0.queryItems) }
        routes.on(.post, "/oidc/authorize") { [self] in await authorize($0, parameters: $0.formFields) }
        routes.on(.get, "/oidc/authorize/resume") { [self] in await resumeAuthorization($0) }
        routes.on(.post, "/oidc/authorize/consent") { [self] in await consentForm($0) }
        routes.on(.post, "/oidc/token") { [self] request in
            let parameters = try Self.oauthParameters(request.formFields)
            let client = try provider.authenticateClient(parameters, basic: try Self.basicCredentials(request))
            let tokens = try await provider.token(parameters, client: client)
            return Self.tokenAnswer(UserJSON.data(tokens.json))
        }
        let userinfo: @Sendable (HTTPRequest) async throws -> HTTPResponse = { [self] request in
            guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
                throw ProviderError(.invalidToken, "a Bearer access token is required")
            }
            return Self.tokenAnswer(
                UserJSON.data(try await provider.userinfo(accessToken: String(header.dropFirst(7)))))
        }
        routes.on(.get, "/oidc/userinfo", userinfo)
        routes.on(.post, "/oidc/userinfo", userinfo)
        routes.on(.post, "/oidc/revoke") { [self] request in
            let parameters = try Self.oauthParameters(request.formFields)
            let client = try provider.authenticateClient(parameters, basic: try Self.basicCredentials(request))
            await provider.revoke(parameters["token"], client: client)
            return Self.tokenAnswer(Array("{}".utf8))
        }
        routes.on(.post, "/oidc/introspect") { [self] request in
            let parameters = try Self.oauthParameters(request.formFields)
            let client = try provider.authenticateClient(
                parameters, basic: try Self.basicCredentials(request), allowPublic: false)
            return Self.tokenAnswer(UserJSON.data(await provider.introspect(parameters["token"], client: client)))
        }
        routes.on(.get, "/oidc/logout") { [self] in await logout($0, parameters: $0.queryItems, confirmed: false) }
        routes.on(.post, "/oidc/logout") { [self] request in
            // The confirmation form carries our CSRF token; an application's own POST does not.
            let confirmed = form(request) != nil
            return await logout(request, parameters: request.formFields, confirmed: confirmed)
        }
    }

    // MARK: Authorization

    /// The signed-in browser: its session cookie (same-site requests) or the provider's `Lax`
    /// browser cookie (the cross-site navigation from an application).
    func browserSession(_ request: HTTPRequest) async -> (user: User, session: Session)? {
        if let signedIn = await service.pageSession(refreshToken: request.cookies["refreshToken"]) { return signedIn }
        return await provider.browserSession(cookie: request.cookies[AuthorizationServer.browserCookieName])
    }

    func authorize(
        _ request: HTTPRequest, parameters items: [(name: String, value: String)], requestedAt: Int64? = nil,
        viaForm: Bool = false
    ) async -> HTTPResponse {
        let authorization: AuthorizationRequest
        do throws(ProviderError) {
            authorization = try AuthorizationRequest(
                parameters: try Self.oauthParameters(items), client: provider.store.client(id:))
        } catch {
            return finished(authorizationRefused(request, error))
        }
        do throws(ProviderError) {
            switch try await provider.authorize(
                authorization, browser: await browserSession(request), requestedAt: requestedAt)
            {
            case .signIn:
                guard servesClientPages, let pending = provider.pendingCookie(for: authorization) else {
                    throw authorization.refusalForPages
                }
                var response = Pages.seeOther("/login")
                response.setCookie(pendingCookie(pending))
                return response
            case .consent(let scopes):
                guard let pending = provider.pendingCookie(for: authorization) else {
                    throw authorization.refusalForPages
                }
                var response = consentPage(request, authorization, scopes: scopes)
                response.setCookie(pendingCookie(pending))
                return response
            case .redirect(let location):
                return finished(continueTo(location, viaForm: viaForm))
            }
        } catch {
            return finished(authorizationRefused(request, error, viaForm: viaForm))
        }
    }

    /// An answer that ends an authorization request: no request waits any more (a later sign-in
    /// must not lead back into it).
    func finished(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.setCookie(.clearing(AuthorizationServer.pendingCookieName, secure: configuration.secureCookies))
        return response
    }

    /// After signing in (or on `/` with a request waiting): the pending request, decided again.
    func resumeAuthorization(_ request: HTTPRequest) async -> HTTPResponse {
        guard let (parameters, requestedAt) = provider.pendingRequest(cookie: pendingCookieValue(request)) else {
            return Pages.seeOther("/account")
        }
        return await authorize(
            request, parameters: parameters.map { ($0.key, $0.value) }, requestedAt: requestedAt, viaForm: true)
    }

    func consentForm(_ request: HTTPRequest) async -> HTTPResponse {
        guard let fields = form(request),
            let (parameters, _) = provider.pendingRequest(cookie: pendingCookieValue(request)),
            let authorization = try? AuthorizationRequest(parameters: parameters, client: provider.store.client(id:))
        else {
            return page(
                request, "message", title: "Sign in", values: ["next": "/account", "nextLabel": "Back"],
                error: Self.expiredForm, status: .forbidden)
        }
        guard let browser = await browserSession(request) else { return Pages.seeOther("/login") }
        do throws(ProviderError) {
            let location = try await provider.consent(
                authorization, browser: browser, allowed: fields["decision"] == "allow")
            return finished(continueTo(location, viaForm: true))
        } catch {
            return finished(authorizationRefused(request, error, viaForm: true))
        }
    }

    /// Where a page goes after a sign-in: back into a waiting authorization request, else the account.
    func afterSignIn(_ request: HTTPRequest) -> String {
        provider.pendingRequest(cookie: pendingCookieValue(request)) != nil ? "/oidc/authorize/resume" : "/account"
    }

    func pendingCookieValue(_ request: HTTPRequest) -> String? {
        request.cookies[AuthorizationServer.pendingCookieName]
    }

    func pendingCookie(_ value: String) -> SetCookie {
        SetCookie(
            name: AuthorizationServer.pendingCookieName, value: value,
            maxAge: Int(ProviderConfiguration.pendingLifetime), secure: configuration.secureCookies, sameSite: .lax)
    }

    /// The provider's browser cookie for a sign-in that started a session.
    func browserCookie(_ tokens: AuthService.IssuedTokens) -> SetCookie? {
        guard let sessionId = tokens.sessionId else { return nil }
        return SetCookie(
            name: AuthorizationServer.browserCookieName,
            value: provider.browserCookie(sessionId: sessionId, userId: tokens.user.id), path: "/oidc",
            expires: tokens.refreshExpiresAt / 1000, secure: configuration.secureCookies, sameSite: .lax)
    }

    /// Back to the application. After a form (sign-in, consent) the browser is sent on by a page of
    /// ours rather than a redirect: `form-action 'self'` would stop a redirect to another origin.
    func continueTo(_ location: String, viaForm: Bool) -> HTTPResponse {
        guard viaForm else {
            var response = Self.noStore(.redirect(to: location))
            response.headers.add(name: "Referrer-Policy", value: "no-referrer")
            return response
        }
        return pages.render(
            "continue", title: "Signing you in", values: ["location": location, "refresh": location])
    }

    /// An authorization error: back to the client when its redirect URI was verified, else a page
    /// (never a redirect to an unverified URI: that would be an open redirector).
    func authorizationRefused(_ request: HTTPRequest, _ error: ProviderError, viaForm: Bool = false) -> HTTPResponse {
        if let location = provider.redirect(for: error) { return continueTo(location, viaForm: viaForm) }
        return page(
            request, "message", title: "Sign-in request refused",
            values: ["next": "/account", "nextLabel": "Your account"],
            error: "This application's sign-in request cannot be used: \(error.description).", status: .badRequest)
    }

    func consentPage(_ request: HTTPRequest, _ authorization: AuthorizationRequest, scopes: [String]) -> HTTPResponse {
        let descriptions: [String: String] = [
            "openid": "Know who you are on \(configuration.appTitle)",
            "profile": "Your name, username and picture",
            "email": "Your email address",
            "offline_access": "Stay signed in to it after you sign out here, until you revoke it",
        ]
        return page(
            request, "consent", title: "Allow \(authorization.client.name)?",
            values: [
                "client": authorization.client.name, "redirectHost": URL(string: authorization.redirectURI)?.host ?? "",
                "scopes": scopes.compactMap { descriptions[$0] },
            ])
    }

    // MARK: Logout

    func logout(
        _ request: HTTPRequest, parameters items: [(name: String, value: String)], confirmed: Bool
    ) async -> HTTPResponse {
        let logout: AuthorizationServer.LogoutRequest
        let parameters: [String: String]
        do throws(ProviderError) {
            parameters = try Self.oauthParameters(items)
            logout = try provider.logoutRequest(parameters)
        } catch {
            let text = error.description
            return page(
                request, "message", title: "Sign out", values: ["next": "/account", "nextLabel": "Your account"],
                error: "This sign-out request cannot be used: \(text).", status: .badRequest)
        }
        let browser = await browserSession(request)
        // Without a hint naming the signed-in user (a cross-site request could be anyone's), ask first.
        if let browser, !confirmed, logout.hintedUser != browser.user.id {
            var values: [String: Any] = ["fields": parameters.map { ["name": $0.key, "value": $0.value] }]
            if let client = logout.client { values["client"] = client.name }
            return page(request, "signout", title: "Sign out", values: values)
        }
        if let (user, session) = browser {
            await provider.endGrants(ofBrowserSession: session.id)
            await service.sessions.remove(id: session.id, userId: user.id)
            await service.audit.record(
                .sessionEnded, actor: user.id, subject: user, client: clientInfo(request),
                detail: "signed out through \(logout.client?.name ?? "an application")")
        }
        var response =
            logout.redirect.map { continueTo($0, viaForm: confirmed) }
            ?? page(
                request, "message", title: "Signed out", values: ["next": "/login", "nextLabel": "Sign in"],
                notice: "You are signed out.")
        clearAuthCookies(&response)
        response.setCookie(
            .clearing(
                AuthorizationServer.browserCookieName, path: "/oidc", secure: configuration.secureCookies,
                sameSite: .lax))
        return response
    }

    // MARK: Wire forms

    /// Request parameters as one value each: a repeated parameter is refused (RFC 6749 §3.1).
    static func oauthParameters(_ items: [(name: String, value: String)]) throws(ProviderError) -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in items {
            guard parameters.updateValue(value, forKey: name) == nil else {
                throw ProviderError(.invalidRequest, "\(name.prefix(32)) is repeated")
            }
        }
        return parameters
    }

    /// `Authorization: Basic` credentials, each half form-decoded (RFC 6749 §2.3.1).
    static func basicCredentials(_ request: HTTPRequest) throws(ProviderError) -> (id: String, secret: String)? {
        guard let header = request.headers["Authorization"] else { return nil }
        guard header.count > 6, header.prefix(6).lowercased() == "basic " else {
            throw ProviderError(.invalidClient, "only Basic client authentication is accepted in the header")
        }
        var encoded = Substring(header.dropFirst(6))
        while encoded.last == "=" { encoded = encoded.dropLast() }
        guard encoded.utf8.count <= 1024, let bytes = Base64Alphabet.standard.decode(encoded),
            let text = String(bytes: bytes, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { throw ProviderError(.invalidClient, "the Basic credentials are malformed") }
        return (
            FormURLEncoded.decode(text[..<colon], plusAsSpace: true),
            FormURLEncoded.decode(text[text.index(after: colon)...], plusAsSpace: true)
        )
    }

    /// A token-endpoint answer: JSON, never cached (RFC 6749 §5.1).
    static func tokenAnswer(_ body: [UInt8]) -> HTTPResponse {
        var response = noStore(.json(bytes: body))
        response.headers.add(name: "Pragma", value: "no-cache")
        return response
    }
}

extension AuthorizationRequest {
    /// Signing in is needed but there are no sign-in pages here (or the request is too large to wait).
    var refusalForPages: ProviderError {
        refusal(.loginRequired, "sign in to this provider first")
    }
}
