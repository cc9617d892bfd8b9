import Foundation
import PortcullisCore
import PortcullisHTTP

/// Registration, login, refresh, logout, the signed-in user, account deletion and the terms.
extension API {
    func addSessionRoutes(_ routes: inout Routes) {
        routes.on(.post, "/api/auth/register") { [self] in try await register($0) }
        routes.on(.post, "/api/auth/login") { [self] in try await login($0) }
        routes.on(.post, "/api/auth/refresh") { [self] in try await refresh($0) }
        routes.authenticated(.post, "/api/auth/logout") { [self] in await logout($0, $1) }
        routes.authenticated(.get, "/api/user") { _, user in
            .json(bytes: UserPayload(user: user, withProviderIds: false).bytes)
        }
        routes.authenticated(.delete, "/api/user/delete") { [self] request, user in
            guard service.mayDeleteAccount(user) else {
                throw APIError.message("You do not have permission to delete this account", .forbidden)
            }
            if user.twoFactorEnabled { try await requireSecondFactor(request, user) }
            await service.deleteUser(id: user.id)
            var response = HTTPResponse.message("User deleted", status: .ok)
            clearAuthCookies(&response)
            return response
        }
        routes.authenticated(.get, "/api/user/terms") { _, user in
            let acceptedAt: Any = user.termsAcceptedAt.map(UserJSON.isoDate) ?? NSNull()
            return .json(bytes: UserJSON.data(["termsAccepted": user.termsAccepted, "termsAcceptedAt": acceptedAt]))
        }
        routes.authenticated(.post, "/api/user/terms/accept") { [self] _, user in
            guard let accepted = await service.acceptTerms(userId: user.id), let at = accepted.termsAcceptedAt else {
                throw APIError.message("User not found", .notFound)
            }
            return .json(
                bytes: UserJSON.data([
                    "message": "Terms accepted successfully", "termsAcceptedAt": UserJSON.isoDate(at),
                ]))
        }
    }

    func register(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try Self.body(request)
        let limit = moderation.configuration.register
        try await moderate(
            request, email: body["email"], limiter: "register", limit: limit, violation: "registrations",
            message: "Too many accounts created, please try again after \(limit.windowMinutes) minutes")
        let registration = AuthService.RegistrationRequest(
            name: body["name"], username: body["username"], email: body["email"], password: body["password"],
            confirmPassword: body["confirm_password"])
        switch try await flows.register(registration, invite: body["token"]) {
        case .invalidInvite:
            throw APIError.message("Invalid invite token", .badRequest)
        case .registered(.accepted):
            return .message("Please check your email to verify your email address.", status: .ok)
        case .registered(.invalid(let message)):
            throw APIError.message(message, .notFound)  // LibreChat answers validation errors with 404
        case .registered(.registrationClosed):
            throw APIError.message("Registration is not allowed.", .forbidden)
        case .registered(.domainNotAllowed):
            throw APIError.message(
                "The email address provided cannot be used. Please use a different email address.", .forbidden)
        }
    }

    func login(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try Self.body(request)
        try await moderateLogin(request, email: body["email"])
        switch try await service.login(
            email: body["email"], password: body["password"], deviceCookie: request.cookies[DeviceCookie.name],
            client: clientInfo(request))
        {
        case .success(let tokens):
            await notifyNewSignIn(tokens, request)
            return sessionResponse(tokens)
        case .twoFactorPending(let tempToken):
            // No cookie yet: the session starts at /api/auth/2fa/verify-temp.
            return .json(bytes: UserJSON.data(["twoFAPending": true, "tempToken": tempToken]))
        case .twoFactorSetupRequired(let setupToken):
            // REQUIRE_2FA: no session until enrolment (with this token on the 2FA routes) is done.
            return .json(bytes: UserJSON.data(["twoFASetupRequired": true, "setupToken": setupToken]))
        case .lockedOut(let seconds): throw APIError.tooManyRequests(loginLimitMessage, retryAfter: seconds)
        case .missingCredentials: throw APIError.message("Missing credentials", .notFound)
        case .invalid(let message): throw APIError.message(message, .notFound)
        case .badCredentials: throw APIError.message("Incorrect email or password.", .notFound)
        case .unverified: throw APIError.message("Email not verified.", .unprocessableContent)
        case .emailLoginDisabled: throw APIError.message("Email login is not allowed.", .forbidden)
        }
    }

    /// `{token, user}` with the session cookies (`browser`: a sign-in on our pages, see ``setSessionCookies``).
    func sessionResponse(_ tokens: AuthService.IssuedTokens, browser: Bool = false) -> HTTPResponse {
        var response = HTTPResponse.json(
            bytes: SessionPayload(
                token: tokens.accessToken, user: UserPayload(user: tokens.user, withProviderIds: true)
            ).bytes)
        setSessionCookies(&response, tokens, browser: browser)
        return response
    }

    /// The `refreshToken` and `token_provider` cookies of a new or rotated session, and the device
    /// cookie a login issues (HttpOnly, SameSite=Strict, Secure by the same rule, one year).
    /// A sign-in on our own pages (`browser`) also gets the OpenID provider's browser cookie; the
    /// LibreChat API's answers keep exactly LibreChat's cookies.
    func setSessionCookies(_ response: inout HTTPResponse, _ tokens: AuthService.IssuedTokens, browser: Bool = false) {
        let expires = tokens.refreshExpiresAt / 1000
        let secure = configuration.secureCookies
        if let device = tokens.deviceCookie {
            response.setCookie(
                SetCookie(
                    name: DeviceCookie.name, value: device, maxAge: Int(DeviceCookie.lifetime), secure: secure,
                    sameSite: .strict))
        }
        // token_provider first: tools that keep only the last Set-Cookie (wrk's Lua API) then see the token.
        response.setCookie(
            SetCookie(name: "token_provider", value: "librechat", expires: expires, secure: secure, sameSite: .strict))
        response.setCookie(
            SetCookie(
                name: "refreshToken", value: tokens.refreshToken, expires: expires, secure: secure, sameSite: .strict))
        if browser, let cookie = browserCookie(tokens) { response.setCookie(cookie) }
    }

    func refresh(_ request: HTTPRequest) async throws -> HTTPResponse {
        let retry = request.queryItem("retry") == "true"
        switch try await service.refresh(
            token: request.cookies["refreshToken"], retry: retry, client: clientInfo(request))
        {
        case .success(let tokens): return sessionResponse(tokens)
        case .missingToken: return APIError.text("Refresh token not provided", .ok).response
        case .invalidToken: throw APIError.text("Invalid refresh token", .forbidden)
        case .userGone: return .redirect(to: "/login")
        case .noSession(let retry):
            throw retry
                ? APIError.text("No session found", .forbidden)
                : APIError.text("Refresh token expired or not found for this user", .unauthorized)
        }
    }

    func logout(_ request: HTTPRequest, _ user: User) async -> HTTPResponse {
        let ended = await service.logout(user: user, refreshToken: request.cookies["refreshToken"])
        if let ended { await provider.endGrants(ofBrowserSession: ended.id) }
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
        response.setCookie(
            .clearing(AuthorizationServer.browserCookieName, path: "/oidc", secure: secure, sameSite: .lax))
    }
}
