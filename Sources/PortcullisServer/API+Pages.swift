import Foundation
import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import Synchronization

/// The pages: sign-in (with the 2FA step and the configured social buttons), sign-up, password
/// recovery, email verification and the account page with its sessions. Forms post back to the
/// same paths (no script); every form carries the CSRF token; a failed form re-renders with the
/// message and changes nothing. When `DOMAIN_CLIENT` is another origin (a LibreChat client), only
/// `/account` is served here and the other paths are that client's.
extension API {
    var servesClientPages: Bool {
        configuration.domainClient.withoutTrailingSlash.lowercased()
            == configuration.domainServer.withoutTrailingSlash.lowercased()
    }

    var ownOrigin: String {
        guard let url = URL(string: configuration.domainServer), let scheme = url.scheme, let host = url.host else {
            return configuration.domainServer
        }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    static let twoFactorCookie = "portcullis_2fa"

    /// Form fields (first of a repeated name wins), or `nil` when the CSRF check fails.
    func form(_ request: HTTPRequest) -> [String: String]? {
        var fields: [String: String] = [:]
        for (name, value) in request.formFields where fields[name] == nil { fields[name] = value }
        return Pages.checkCSRF(request, fields: fields, origin: ownOrigin) ? fields : nil
    }

    /// Renders `template` with the CSRF token (setting its cookie when the browser has none). An
    /// error in the validation format (`field: issue`) is shown next to its fields; one that belongs
    /// to one input names it as `field`.
    func page(
        _ request: HTTPRequest, _ template: String, title: String, values: [String: Any] = [:], error: String? = nil,
        field: String? = nil, notice: String? = nil, status: HTTPStatus = .ok
    ) -> HTTPResponse {
        let (csrf, cookie) = Pages.csrfToken(request, secure: configuration.secureCookies)
        var context = values
        context["csrf"] = csrf
        var fieldErrors = error.map(Validation.issuesByField) ?? [:]
        if fieldErrors.isEmpty, let field, let error { fieldErrors[field] = error }
        var response = pages.render(
            template, title: title, values: context, error: error, fieldErrors: fieldErrors, notice: notice,
            status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// A page the same for everyone but its CSRF token (sign-in, recovery): prerendered once, the
    /// token put in per request.
    func staticPage(
        _ request: HTTPRequest, _ template: String, title: String, values: [String: Any] = [:]
    )
        -> HTTPResponse
    {
        let (csrf, cookie) = Pages.csrfToken(request, secure: configuration.secureCookies)
        let parts = pages.prerendered(template, title: title, values: values)
        var body = parts[0]
        for part in parts.dropFirst() { body += Array(csrf.utf8) + part }
        var response = Pages.html(body)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    static let expiredForm = "This form has expired. Please try again."

    /// The text of a refusal, for showing on a page.
    static func text(of error: any Error) -> (String, HTTPStatus) {
        guard let rendered = (error as? any HTTPResponseError)?.response else {
            return ("Something went wrong.", .internalServerError)
        }
        let message =
            (try? JSONSerialization.jsonObject(with: Data(rendered.body)) as? [String: Any])?["message"] as? String
        return (message ?? String(decoding: rendered.body, as: UTF8.self), rendered.status)
    }

    /// `template` again with the refusal `error` (next to its field when it names one).
    func page(
        _ request: HTTPRequest, _ template: String, title: String, values: [String: Any] = [:], refusal error: any Error
    ) -> HTTPResponse {
        let (message, status) = Self.text(of: error)
        return page(
            request, template, title: title, values: values, error: message, field: (error as? APIError)?.field,
            status: status)
    }

    var loginValues: [String: Any] {
        let buttons: [[String: String]] = SocialLogin.providerNames.compactMap { name in
            guard social.providers[name] != nil else { return nil }
            let label =
                name == "openid"
                ? social.openidLabel : "Continue with " + name.prefix(1).uppercased() + name.dropFirst()
            return ["name": name, "label": label]
        }
        return [
            "socialButtons": buttons, "hasSocial": !buttons.isEmpty,
            "registrationEnabled": configuration.allowRegistration,
            "passwordResetEnabled": configuration.allowPasswordReset,
            "passkeys": configuration.relyingParty != nil, "script": configuration.relyingParty != nil,
        ]
    }

    func addPageRoutes(_ routes: inout Routes) {
        routes.on(.get, "/assets/portcullis.css") { _ in Pages.asset("text/css; charset=utf-8", Pages.stylesheet) }
        routes.on(.get, "/assets/passkeys.js") { _ in Pages.asset("text/javascript; charset=utf-8", Pages.script) }
        if let logo = pages.branding.logo {
            routes.immediate(.get, "/assets/logo") { _ in
                var response = Pages.asset(logo.contentType, logo.bytes)
                // An SVG opened on its own is a document: no script, no fetches, sandboxed.
                response.headers.add(
                    name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; sandbox")
                return response
            }
        }
        if pages.branding.accent != nil {
            let theme = pages.branding.themeStylesheet
            routes.immediate(.get, "/assets/theme.css") { _ in Pages.asset("text/css; charset=utf-8", theme) }
        }
        routes.on(.get, "/account") { [self] in await accountPage($0) }
        routes.on(.post, "/account/sessions/end") { [self] in
            try await accountForm($0) { await endSessions($0, $1, $2, $3, others: false) }
        }
        routes.on(.post, "/account/profile") { [self] in try await accountForm($0, profileForm) }
        routes.on(.post, "/account/2fa/enable") { [self] in try await accountForm($0, twoFactorEnableForm) }
        routes.on(.post, "/account/2fa/confirm") { [self] in try await accountForm($0, twoFactorConfirmForm) }
        routes.on(.post, "/account/2fa/disable") { [self] in try await accountForm($0, twoFactorDisableForm) }
        routes.on(.post, "/account/2fa/backup") { [self] in try await accountForm($0, backupCodesForm) }
        routes.on(.post, "/account/password") { [self] in try await accountForm($0, passwordForm) }
        routes.on(.post, "/account/apps/revoke") { [self] in
            try await accountForm($0) { [self] request, user, _, fields in
                guard let id = fields["client"], await provider.revoke(application: id, of: user) else {
                    return await accountPage(
                        request, error: "That application has no access to revoke.", status: .badRequest)
                }
                return await accountPage(request, notice: "The application's access is revoked.")
            }
        }
        routes.on(.post, "/account/sessions/end-others") { [self] in
            try await accountForm($0) { await endSessions($0, $1, $2, $3, others: true) }
        }
        routes.on(.post, "/logout") { [self] request in
            guard form(request) != nil else { return Pages.seeOther("/account") }
            if let (user, session) = await service.pageSession(refreshToken: request.cookies["refreshToken"]) {
                await service.logout(user: user, refreshToken: request.cookies["refreshToken"])
                await provider.endGrants(ofBrowserSession: session.id)
            }
            var response = Pages.seeOther("/login")
            clearAuthCookies(&response)
            return response
        }
        addAccountPasskeyRoutes(&routes)
        addAdminPageRoutes(&routes)
        guard servesClientPages else { return }
        addLoginPasskeyRoutes(&routes)
        routes.on(.get, "/") { [self] request in
            if engine.setupCode.withLock({ $0 }) != nil && service.users.count == 0 { return Pages.seeOther("/setup") }
            // A social login or passkey lands here: an application's sign-in request may be waiting.
            return await service.pageSession(refreshToken: request.cookies["refreshToken"]) != nil
                ? Pages.seeOther(afterSignIn(request)) : Pages.seeOther("/login")
        }
        routes.on(.get, "/setup") { [self] request in
            guard engine.setupCode.withLock({ $0 }) != nil, service.users.count == 0 else {
                throw APIError.message("Not Found", .notFound)
            }
            return page(
                request, "setup", title: "Set up", values: ["minPasswordLength": configuration.minPasswordLength])
        }
        routes.on(.post, "/setup") { [self] in try await setupForm($0) }
        routes.on(.get, "/login") { [self] in staticPage($0, "login", title: "Sign in", values: loginValues) }
        routes.on(.post, "/login") { [self] in await loginForm($0) }
        routes.on(.get, "/login/2fa") { [self] request in
            guard request.cookies[Self.twoFactorCookie] != nil else { return Pages.seeOther("/login") }
            return page(request, "twofactor", title: "Two-factor authentication")
        }
        routes.on(.post, "/login/2fa") { [self] in await twoFactorForm($0) }
        routes.on(.get, "/register") { [self] request in
            page(
                request, "register", title: "Create an account",
                values: [
                    "minPasswordLength": configuration.minPasswordLength, "invite": request.queryItem("token") ?? "",
                ])
        }
        routes.on(.post, "/register") { [self] in await registerForm($0) }
        routes.on(.get, "/forgot-password") { [self] in staticPage($0, "forgot", title: "Reset your password") }
        routes.on(.post, "/forgot-password") { [self] in await forgotForm($0) }
        routes.on(.get, "/reset-password") { [self] request in
            page(
                request, "reset", title: "Choose a new password",
                values: [
                    "token": request.queryItem("token") ?? "", "userId": request.queryItem("userId") ?? "",
                    "minPasswordLength": configuration.minPasswordLength,
                ])
        }
        routes.on(.post, "/reset-password") { [self] in await resetForm($0) }
        routes.on(.get, "/verify") { [self] request in
            // The mailed link itself verifies (the token is single use), as LibreChat's page does on load.
            page(
                request, "message", title: "Verify your email",
                values: ["next": "/login", "nextLabel": "Sign in"], notice: await verifyLink(request))
        }
    }

    /// The first account, with the setup code from the log; the code is spent, the page gone after.
    func setupForm(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let expected = engine.setupCode.withLock({ $0 }), service.users.count == 0 else {
            throw APIError.message("Not Found", .notFound)
        }
        var values: [String: Any] = ["minPasswordLength": configuration.minPasswordLength]
        guard let fields = form(request) else {
            return page(request, "setup", title: "Set up", values: values, error: Self.expiredForm, status: .forbidden)
        }
        values["name"] = fields["name"] ?? ""
        values["email"] = fields["email"] ?? ""
        do {
            // Guessing the code is a login attempt: the login limiter and its violations apply.
            try await moderateLogin(request, email: nil)
            let normalized = { (code: String) in code.uppercased().filter { $0.isLetter || $0.isNumber } }
            guard ConstantTime.equals(Array(normalized(fields["code"] ?? "").utf8), Array(normalized(expected).utf8))
            else {
                throw APIError.invalidField(
                    "That setup code is not the one in the server's log.", field: "code", .forbidden)
            }
            guard fields["password"] == fields["confirm_password"] else {
                throw APIError.message("confirm_password: The passwords did not match", .badRequest)
            }
            let email = fields["email"] ?? ""
            switch try await service.createUser(
                email: email, name: fields["name"] ?? "", username: "", password: fields["password"] ?? "",
                emailVerified: true, provider: "local", actor: AuditEvent.systemActor)
            {
            case .created(let user):
                engine.setupCode.withLock { $0 = nil }
                logger.info(
                    "first account created at /setup", metadata: ["user": "\(user.id)", "role": "\(user.role)"])
                return page(
                    request, "message", title: "Set up", values: ["next": "/login", "nextLabel": "Sign in"],
                    notice: "The administrator account is ready. Sign in with it now.")
            case .exists: throw APIError.message("An account exists already.", .conflict)
            case .invalid(let message): throw APIError.message(message, .badRequest)
            }
        } catch {
            return page(request, "setup", title: "Set up", values: values, refusal: error)
        }
    }

    func verifyLink(_ request: HTTPRequest) async -> String {
        await flows.verifyEmail(email: request.queryItem("email"), token: request.queryItem("token"))
            ? "Your email is verified. You can sign in now." : "This verification link is invalid or has expired."
    }

    func loginForm(_ request: HTTPRequest) async -> HTTPResponse {
        guard let fields = form(request) else {
            return page(
                request, "login", title: "Sign in", values: loginValues, error: Self.expiredForm, status: .forbidden)
        }
        var values = loginValues
        values["email"] = fields["email"] ?? ""
        do {
            try await moderateLogin(request, email: fields["email"])
            switch try await service.login(
                email: fields["email"], password: fields["password"], deviceCookie: request.cookies[DeviceCookie.name],
                client: clientInfo(request))
            {
            case .success(let tokens):
                await notifyNewSignIn(tokens, request)
                var response = Pages.seeOther(afterSignIn(request))
                setSessionCookies(&response, tokens, browser: true)
                return response
            case .twoFactorPending(let tempToken):
                // The temporary token travels in an HttpOnly cookie, never in a URL.
                var response = Pages.seeOther("/login/2fa")
                response.setCookie(
                    SetCookie(
                        name: Self.twoFactorCookie, value: tempToken, path: "/login/2fa",
                        maxAge: Int(TwoFactorTempClaims.lifetime),
                        secure: configuration.secureCookies, sameSite: .strict))
                return response
            case .twoFactorSetupRequired:
                return page(
                    request, "message", title: "Sign in", values: ["next": "/login", "nextLabel": "Back"],
                    error: "Two-factor authentication must be set up first.", status: .forbidden)
            case .lockedOut(let seconds): throw APIError.tooManyRequests(loginLimitMessage, retryAfter: seconds)
            case .missingCredentials: throw APIError.message("Missing credentials", .badRequest)
            case .invalid(let message): throw APIError.message(message, .badRequest)
            case .badCredentials: throw APIError.message("Incorrect email or password.", .unauthorized)
            case .unverified: throw APIError.message("Email not verified.", .forbidden)
            case .emailLoginDisabled: throw APIError.message("Email login is not allowed.", .forbidden)
            }
        } catch {
            return page(request, "login", title: "Sign in", values: values, refusal: error)
        }
    }

    func twoFactorForm(_ request: HTTPRequest) async -> HTTPResponse {
        guard let fields = form(request) else {
            return page(
                request, "twofactor", title: "Two-factor authentication", error: Self.expiredForm, status: .forbidden)
        }
        do {
            let tokens = try await secondStep(
                request, tempToken: request.cookies[Self.twoFactorCookie], factor: Self.secondFactor(fields))
            var response = Pages.seeOther(afterSignIn(request))
            setSessionCookies(&response, tokens, browser: true)
            response.setCookie(.clearing(Self.twoFactorCookie, path: "/login/2fa", secure: configuration.secureCookies))
            return response
        } catch {
            return page(request, "twofactor", title: "Two-factor authentication", refusal: error)
        }
    }

    func registerForm(_ request: HTTPRequest) async -> HTTPResponse {
        let values: [String: Any] = ["minPasswordLength": configuration.minPasswordLength]
        guard let fields = form(request) else {
            return page(
                request, "register", title: "Create an account", values: values, error: Self.expiredForm,
                status: .forbidden)
        }
        var kept = values
        for name in ["name", "username", "email"] { kept[name] = fields[name] ?? "" }
        kept["invite"] = fields["token"] ?? ""
        do {
            let limit = moderation.configuration.register
            try await moderate(
                request, email: fields["email"], limiter: "register", limit: limit, violation: "registrations",
                message: "Too many accounts created, please try again after \(limit.windowMinutes) minutes")
            let registration = AuthService.RegistrationRequest(
                name: fields["name"], username: fields["username"], email: fields["email"],
                password: fields["password"],
                confirmPassword: fields["confirm_password"])
            switch try await flows.register(registration, invite: fields["token"]) {
            case .registered(.accepted):
                let notice =
                    configuration.emailEnabled
                    ? "Please check your email to verify your email address."
                    : "Your account is ready. You can sign in now."
                return page(
                    request, "message", title: "Create an account", values: ["next": "/login", "nextLabel": "Sign in"],
                    notice: notice)
            case .invalidInvite: throw APIError.message("Invalid invite token", .badRequest)
            case .registered(.invalid(let message)): throw APIError.message(message, .badRequest)
            case .registered(.registrationClosed): throw APIError.message("Registration is not allowed.", .forbidden)
            case .registered(.domainNotAllowed):
                throw APIError.invalidField(
                    "The email address provided cannot be used. Please use a different email address.", field: "email",
                    .forbidden)
            }
        } catch {
            return page(request, "register", title: "Create an account", values: kept, refusal: error)
        }
    }

    func forgotForm(_ request: HTTPRequest) async -> HTTPResponse {
        guard let fields = form(request) else {
            return page(request, "forgot", title: "Reset your password", error: Self.expiredForm, status: .forbidden)
        }
        do {
            let limit = moderation.configuration.resetPassword
            try await limitEmailRoute(
                request, email: fields["email"], limiter: "reset_password", limit, violation: "reset_password_limit")
            switch await flows.requestPasswordReset(email: fields["email"]) {
            case .requested, .unsecuredLink:
                // The same answer whether or not the account exists; the link itself only ever goes by mail.
                return page(
                    request, "message", title: "Reset your password",
                    values: ["next": "/login", "nextLabel": "Sign in"],
                    notice: "If an account with that email exists, a password reset link has been sent to it.")
            case .disabled: throw APIError.message("Password reset is not allowed.", .forbidden)
            case .needsEmail: throw APIError.message("Password reset needs email, which is not configured.", .forbidden)
            }
        } catch {
            return page(request, "forgot", title: "Reset your password", refusal: error)
        }
    }

    func resetForm(_ request: HTTPRequest) async -> HTTPResponse {
        guard let fields = form(request) else {
            return page(request, "reset", title: "Choose a new password", error: Self.expiredForm, status: .forbidden)
        }
        let values: [String: Any] = [
            "token": fields["token"] ?? "", "userId": fields["userId"] ?? "",
            "minPasswordLength": configuration.minPasswordLength,
        ]
        do {
            let limit = moderation.configuration.resetPasswordSubmission
            try await limitEmailRoute(
                request, email: nil, limiter: "reset_password_submission", limit, violation: "reset_password_limit")
            switch try await flows.resetPassword(
                userId: fields["userId"], token: fields["token"], password: fields["password"],
                confirmPassword: fields["confirm_password"])
            {
            case .reset:
                return page(
                    request, "message", title: "Choose a new password",
                    values: ["next": "/login", "nextLabel": "Sign in"],
                    notice: "Password reset was successful")
            case .disabled: throw APIError.message("Password reset is not allowed.", .forbidden)
            case .invalidPassword(let message): throw APIError.message(message, .badRequest)
            case .invalidToken: throw APIError.message("Invalid or expired password reset token", .badRequest)
            }
        } catch {
            return page(request, "reset", title: "Choose a new password", values: values, refusal: error)
        }
    }

    /// An `/account` form: the handler gets the signed-in user, their session and the form's fields;
    /// without a session the answer is the sign-in page, with a missing or wrong CSRF token the
    /// account page saying the form expired (nothing changes).
    /// A page's script fetching (`json`) is refused with JSON instead: 401 signed out, 403 expired.
    func accountForm(
        _ request: HTTPRequest, json: Bool = false,
        _ handle: (HTTPRequest, User, Session, [String: String]) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        guard let (user, session) = await service.pageSession(refreshToken: request.cookies["refreshToken"]) else {
            if json { throw APIError.message("Please sign in again.", .unauthorized) }
            return Pages.seeOther("/login")
        }
        guard let fields = form(request) else {
            if json { throw APIError.message(Self.expiredForm, .forbidden) }
            return await accountPage(request, error: Self.expiredForm, status: .forbidden)
        }
        return try await handle(request, user, session, fields)
    }

    /// Enrolment: a pending secret shown as a QR code and as text, with the backup codes, then a code confirms.
    func twoFactorEnableForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        guard !user.twoFactorEnabled else { return Pages.seeOther("/account") }
        do {
            guard
                case .started(let url, let codes) = try await service.enableTwoFactor(
                    user: user, factor: AuthService.SecondFactor(code: nil, backupCode: nil))
            else { return Pages.seeOther("/account") }
            let secret = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
            return page(
                request, "enrol", title: "Two-factor authentication",
                values: ["qr": QRCode.svg(url) ?? "", "secret": secret, "backupCodes": codes])
        } catch {
            let (message, status) = Self.text(of: error)
            return await accountPage(request, error: message, status: status)
        }
    }

    func twoFactorConfirmForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        if let refused = await codeAttemptRefused(request, user) { return refused }
        switch await service.confirmTwoFactor(user: user, code: fields["token"], client: clientInfo(request)) {
        case .done: return await accountPage(request, notice: "Two-factor authentication is on.")
        case .notInitiated: return await accountPage(request, error: "2FA not initiated", status: .badRequest)
        default:
            return await accountPage(
                request, error: "Invalid token. Turn it on again to get a new key.", status: .badRequest)
        }
    }

    func twoFactorDisableForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        if let refused = await codeAttemptRefused(request, user) { return refused }
        switch await service.disableTwoFactor(
            user: user, factor: Self.secondFactor(entered: fields["token"]), client: clientInfo(request))
        {
        case .done: return await accountPage(request, notice: "Two-factor authentication is off.")
        case .codeRequired:
            return await accountPage(
                request, error: "Enter a code to turn it off.", field: "disable_token", status: .badRequest)
        default:
            return await accountPage(
                request, error: "Invalid token or backup code", field: "disable_token", status: .unauthorized)
        }
    }

    func backupCodesForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        if let refused = await codeAttemptRefused(request, user) { return refused }
        switch await service.regenerateBackupCodes(user: user, factor: Self.secondFactor(entered: fields["token"])) {
        case .regenerated(let codes, _):
            return page(request, "backup", title: "New backup codes", values: ["backupCodes": codes])
        case .codeRequired:
            return await accountPage(
                request, error: "Enter a code for new backup codes.", field: "backup_token", status: .badRequest)
        case .notEnabled: return await accountPage(request, error: "2FA is not enabled", status: .badRequest)
        case .invalidCode:
            return await accountPage(
                request, error: "Invalid token or backup code", field: "backup_token", status: .unauthorized)
        }
    }

    /// The account page with the limiter's refusal, when a signed-in code check is over it.
    func codeAttemptRefused(_ request: HTTPRequest, _ user: User) async -> HTTPResponse? {
        do { try await limitSignedInCodeAttempts(request, user) } catch {
            let (message, status) = Self.text(of: error)
            var page = await accountPage(request, error: message, status: status)
            for (name, value) in error.response.headers where name == "Retry-After" {
                page.headers.add(name: name, value: value)
            }
            return page
        }
        return nil
    }

    /// One field of the pages' 2FA forms: six digits are a TOTP code, anything else a backup code.
    static func secondFactor(entered field: String?) -> AuthService.SecondFactor {
        let entered = (field ?? "").trimmingCharacters(in: .whitespaces)
        return entered.count == 6 && entered.allSatisfy(\.isNumber)
            ? AuthService.SecondFactor(code: entered, backupCode: nil)
            : AuthService.SecondFactor(code: nil, backupCode: entered)
    }

    func profileForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        switch await service.updateProfile(
            userId: user.id, name: fields["name"], username: fields["username"], avatar: fields["avatar"])
        {
        case .updated: return await accountPage(request, notice: "Profile saved.")
        case .invalid(let message): return await accountPage(request, error: message, status: .badRequest)
        case .gone: return Pages.seeOther("/login")
        }
    }

    func passwordForm(
        _ request: HTTPRequest, _ user: User, _ session: Session, _ fields: [String: String]
    ) async -> HTTPResponse {
        do {
            // Guessing the current password with a stolen session is still guessing: the login limiter applies.
            try await moderateLogin(request, email: nil)
            switch try await service.changePassword(
                userId: user.id, keepSession: session.id, current: fields["current_password"], new: fields["password"],
                confirm: fields["confirm_password"], client: clientInfo(request))
            {
            case .changed(let ended, let deviceCookie):
                var response = await accountPage(request, notice: "Password changed; \(ended) other session(s) ended.")
                response.setCookie(
                    SetCookie(
                        name: DeviceCookie.name, value: deviceCookie, maxAge: Int(DeviceCookie.lifetime),
                        secure: configuration.secureCookies, sameSite: .strict))
                return response
            case .wrongPassword:
                throw APIError.invalidField("The current password is not right.", field: "current_password", .forbidden)
            case .invalid(let message): throw APIError.message(message, .badRequest)
            case .noPassword:
                throw APIError.message("This account signs in with a provider and has no password.", .badRequest)
            }
        } catch {
            let (message, status) = Self.text(of: error)
            return await accountPage(request, error: message, field: (error as? APIError)?.field, status: status)
        }
    }

    func accountPage(
        _ request: HTTPRequest, notice: String? = nil, error: String? = nil, field: String? = nil,
        status: HTTPStatus = .ok
    ) async
        -> HTTPResponse
    {
        guard let (user, current) = await service.pageSession(refreshToken: request.cookies["refreshToken"]) else {
            return Pages.seeOther("/login")
        }
        let (csrf, _) = Pages.csrfToken(request, secure: configuration.secureCookies)
        let sessions = await service.sessions.sessions(userId: user.id).map { session -> [String: Any] in
            [
                "id": session.id, "createdAt": Pages.readableDate(session.createdAt),
                "expiresAt": Pages.readableDate(session.expiresAt),
                "current": session.id == current.id, "csrf": csrf, "device": Pages.deviceLabel(session.userAgent),
                "ip": session.ip ?? "", "lastUsedAt": Pages.readableDate(session.lastUsedAt),
            ]
        }
        let passkeys = await service.passkeys.passkeys(userId: user.id).enumerated().map { index, passkey in
            [
                "id": passkey.id, "name": passkey.name, "index": index, "csrf": csrf, "synced": passkey.backedUp,
                "createdAt": Pages.readableDate(passkey.createdAt),
                "lastUsedAt": passkey.lastUsedAt.map(Pages.readableDate) ?? "never",
            ] as [String: Any]
        }
        let applications = await provider.applications(of: user.id).map { application -> [String: Any] in
            [
                "id": application.client.id, "name": application.client.name, "csrf": csrf,
                "scopes": application.scopes.joined(separator: ", "), "since": Pages.readableDate(application.since),
                "signedIn": application.grants > 0,
            ]
        }
        let profile: [String: Any] = [
            "name": user.name, "email": user.email, "username": user.username, "role": user.role,
            "avatar": user.avatar ?? "", "twoFactorEnabled": user.twoFactorEnabled,
            "hasPassword": user.passwordHash != nil,
        ]
        return page(
            request, "account", title: "Your account",
            values: [
                "user": profile, "sessions": sessions, "passkeys": passkeys, "hasPasskeys": !passkeys.isEmpty,
                "applications": applications, "hasApplications": !applications.isEmpty,
                "passkeysAvailable": configuration.relyingParty != nil, "script": configuration.relyingParty != nil,
            ], error: error, field: field, notice: notice, status: status)
    }

    func endSessions(
        _ request: HTTPRequest, _ user: User, _ current: Session, _ fields: [String: String], others: Bool
    ) async -> HTTPResponse {
        if others {
            var ended = 0
            for session in await service.sessions.sessions(userId: user.id) where session.id != current.id {
                if await service.sessions.remove(id: session.id, userId: user.id) != nil { ended += 1 }
            }
            await provider.endGrants(ofUser: user.id, keeping: current.id)
            await service.audit.record(
                .signOutEverywhere, actor: user.id, subject: user, client: clientInfo(request),
                detail: "\(ended) other session(s) ended")
        } else if let id = fields["session"], id != current.id,
            let ended = await service.sessions.remove(id: id, userId: user.id)
        {
            await service.audit.record(
                .sessionEnded, actor: user.id, subject: user, client: clientInfo(request),
                detail: "by the user: " + Pages.deviceLabel(ended.userAgent))
        }
        return Pages.seeOther("/account")
    }
}
