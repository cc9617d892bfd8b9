import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisOAuth
import PortcullisSupport

/// `/oauth/*`: start a provider's code flow, finish it at the callback with
/// the same cookies as a password login, and send every failure to the client's login page with
/// `error=auth_failed`. Redirects only ever go to the provider's configured (or discovered)
/// authorization endpoint or to `DOMAIN_CLIENT`: no request parameter chooses a target.
extension API {
    func addOAuthRoutes(_ routes: inout Routes) {
        routes.on(.get, "/oauth/error") { [self] _ in .redirect(to: authFailedURL) }
        for name in SocialLogin.providerNames {
            routes.on(.get, "/oauth/\(name)") { [self] in try await startSocialLogin(name, $0) }
            routes.on(name == "apple" ? .post : .get, "/oauth/\(name)/callback") { [self] in
                try await finishSocialLogin(name, $0)
            }
        }
    }

    var authFailedURL: String { clientURL + "/login?redirect=false&error=auth_failed" }
    var clientURL: String { configuration.domainClient.withoutTrailingSlash }

    static let notEnabled = APIError.message("This login provider is not enabled", .notFound)

    func startSocialLogin(_ name: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        guard let provider = social.providers[name] else { throw Self.notEnabled }
        try await moderateLogin(request, email: nil)
        let flow = FlowState(provider: name, now: service.clock.seconds)
        do {
            let url = try await provider.authorizationURL(for: flow)
            var response = Self.noStore(.redirect(to: url))
            response.setCookie(
                flowCookie(
                    try social.flowCookies.seal(flow), provider: provider, maxAge: Int(social.flowCookies.lifetime)))
            return response
        } catch {
            logger.warning("social login could not start", metadata: ["provider": "\(name)", "reason": "\(error)"])
            return .redirect(to: authFailedURL)
        }
    }

    func finishSocialLogin(_ name: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        guard let provider = social.providers[name] else { throw Self.notEnabled }
        try await moderateLogin(request, email: nil)
        var fields: [String: String] = [:]
        for (key, value) in (provider.usesFormPost ? request.formFields : request.queryItems) where fields[key] == nil {
            fields[key] = value
        }
        func fail(_ reason: String) -> HTTPResponse {
            logger.warning(
                "social login failed",
                metadata: ["provider": "\(name)", "reason": "\(reason)", "ip": "\(clientIP(request))"])
            var response = HTTPResponse.redirect(to: authFailedURL)
            response.setCookie(flowCookie("", provider: provider, maxAge: 0))
            return response
        }
        let flow: FlowState
        do {
            flow = try social.flowCookies.open(
                request.cookies[FlowCookieSealer.cookieName], provider: name, state: fields["state"],
                now: service.clock.seconds)
        } catch {
            return fail("flow cookie: \(error)")
        }
        if let error = fields["error"] {
            return fail(SocialLoginError.providerDenied(ErrorCode.sanitize(error)).description)
        }
        guard let code = fields["code"], !code.isEmpty, code.utf8.count <= 4096 else {
            return fail(SocialLoginError.missingCode.description)
        }
        // The state is spent before the code is exchanged: a replayed callback fails even if the
        // first one is still in flight. Kept until the flow cookie itself would have expired.
        let spentUntil = (flow.issuedAt + social.flowCookies.lifetime + 60) * 1000
        guard await tokens.spend(flow.state, kind: .oauthState, expiresAt: spentUntil) else {
            return fail("state already used")
        }
        let identity: SocialIdentity
        do { identity = try await provider.profile(code: code, flow: flow, fields: fields) } catch {
            return fail(error.description)
        }
        let moderation = moderation
        switch try await service.socialLogin(
            identity, policy: social.policy(for: name),
            banExpiry: { await moderation.banExpiry(userId: $0, ip: nil) }, client: clientInfo(request))
        {
        case .success(let tokens):
            var response = Self.noStore(.redirect(to: clientURL))
            setSessionCookies(&response, tokens, browser: true)
            response.setCookie(flowCookie("", provider: provider, maxAge: 0))
            logger.info("social login", metadata: ["provider": "\(name)", "user": "\(tokens.user.id)"])
            return response
        case .refused(let reason):
            return fail(reason)
        case .twoFactorPending(let tempToken):
            // The account has 2FA: the login ends at the client's second-step page, not at a session.
            var response = Self.noStore(
                .redirect(to: clientURL + "/login/2fa?tempToken=" + FormURLEncoded.encode(tempToken)))
            response.setCookie(flowCookie("", provider: provider, maxAge: 0))
            return response
        case .banned(let expiry):
            var response = APIError.banned(retryAfter: secondsUntil(expiry)).response
            response.setCookie(flowCookie("", provider: provider, maxAge: 0))
            return response
        }
    }

    /// The flow cookie: HttpOnly, only sent to `/oauth`, SameSite=Lax so the provider's redirect
    /// back (a top-level GET) carries it. Apple's callback is a cross-site POST, which only a
    /// SameSite=None cookie survives, and browsers take those only when Secure.
    func flowCookie(_ value: String, provider: any SocialProvider, maxAge: Int) -> SetCookie {
        let crossSite = provider.usesFormPost
        let secure =
            configuration.secureCookies || (crossSite && configuration.domainServer.lowercased().hasPrefix("https://"))
        return SetCookie(
            name: FlowCookieSealer.cookieName, value: value, path: "/oauth", maxAge: maxAge, httpOnly: true,
            secure: secure, sameSite: crossSite && secure ? SetCookie.SameSite.none : .lax)
    }

    /// `redirect` for a logging-out OpenID user when `OPENID_USE_END_SESSION_ENDPOINT=true` and the
    /// provider publishes an end-session endpoint. As LibreChat: `post_logout_redirect_uri` always;
    /// `id_token_hint` with the session's id_token when the URL stays within
    /// `OPENID_MAX_LOGOUT_URL_LENGTH`; otherwise `client_id` and a `logout_hint` (email, username or
    /// the OpenID subject, in that order).
    func openIDLogoutRedirect(for user: User, idToken: String?) async -> String? {
        guard user.provider == "openid", social.openidEndSession,
            let provider = social.providers["openid"] as? OpenIDProvider,
            let endpoint = try? await provider.metadata().endSessionEndpoint
        else { return nil }
        let target = social.openidPostLogoutRedirect ?? clientURL + "/login"
        let base = endpoint + (endpoint.contains("?") ? "&" : "?")
        if let idToken {
            let url = base + PercentEncoding.form([("post_logout_redirect_uri", target), ("id_token_hint", idToken)])
            if url.utf8.count <= social.openidMaxLogoutURLLength { return url }
        }
        var pairs = [("post_logout_redirect_uri", target), ("client_id", provider.settings.client.clientID)]
        let hint = [user.email, user.username, user.providerIds["openidId"] ?? ""].first { !$0.isEmpty }
        if let hint { pairs.append(("logout_hint", hint)) }
        return base + PercentEncoding.form(pairs)
    }
}
