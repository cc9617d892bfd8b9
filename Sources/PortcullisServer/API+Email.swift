import Foundation
import PortcullisCore
import PortcullisHTTP
import PortcullisMail

/// Email verification, password reset and invites (LibreChat §2.1, §2.2, §3.5, §4). Links are built
/// from `DOMAIN_CLIENT` only, never from `Host` or `X-Forwarded-Host`.
extension API {
    static let resetRequested = "If an account with that email exists, a password reset link has been sent to it."
    static let checkEmail = "Please check your email to verify your email address."

    var clientBase: String {
        configuration.domainClient.withoutTrailingSlash
    }

    func query(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\(FormURLEncoded.encode($0.1))" }.joined(separator: "&")
    }

    /// Issues a verification token and queues the mail (only when email is configured).
    func sendVerification(to user: User) async {
        guard outbox.isEnabled else { return }
        let token = await tokens.issue(.verifyEmail, userId: user.id, email: user.email, lifetime: configuration.emailVerificationTokenExpiry)
        let link = clientBase + "/verify?" + query([("token", token), ("email", user.email)])
        let (subject, text, html) = MailTemplates.verifyEmail(appTitle: configuration.appTitle, name: user.name, link: link)
        await outbox.enqueue(to: user.email, subject: subject, text: text, html: html)
    }

    /// LibreChat's refusal text for the verification and reset limiters.
    static func tooManyAttempts(_ limit: ModerationConfiguration.Limit) -> String {
        "Too many attempts, please try again after \(limit.windowMinutes) minute(s)"
    }

    func addEmailRoutes(_ router: inout Router) {
        route(&router, .post, "/api/user/verify") { [self] request in
            guard let body = Self.fields(request) else { return Self.badJSON }
            let config = moderationConfiguration
            if let refusal = await moderate(request, email: body["email"], limiter: "verify_email_submission", limit: config.verifyEmailSubmission,
                                            violation: "verify_email_limit",
                                            message: Self.tooManyAttempts(config.verifyEmailSubmission)) {
                return refusal
            }
            let invalid = HTTPResponse.message("Invalid or expired email verification token", status: .badRequest)
            guard let email = body["email"], let raw = body["token"] else { return invalid }
            guard let token = await tokens.redeem(raw, kind: .verifyEmail, email: email),
                  await service.users.update(id: token.userId, { $0.emailVerified = true }) != nil else { return invalid }
            return .json(bytes: UserJSON.data(["message": "Email verification was successful", "status": "success"]))
        }
        route(&router, .post, "/api/user/verify/resend") { [self] request in
            guard let body = Self.fields(request) else { return Self.badJSON }
            let config = moderationConfiguration
            if let refusal = await moderate(request, email: body["email"], limiter: "verify_email", limit: config.verifyEmail,
                                            violation: "verify_email_limit",
                                            message: Self.tooManyAttempts(config.verifyEmail)) {
                return refusal
            }
            if let email = body["email"], let user = await service.users.user(email: email), !user.emailVerified {
                await sendVerification(to: user)
            }
            return .message(Self.checkEmail, status: .ok)
        }
        route(&router, .post, "/api/auth/requestPasswordReset") { [self] in await requestPasswordReset($0) }
        route(&router, .post, "/api/auth/resetPassword") { [self] in await resetPassword($0) }
    }

    func requestPasswordReset(_ request: HTTPRequest) async -> HTTPResponse {
        guard let body = Self.fields(request) else { return Self.badJSON }
        let config = moderationConfiguration
        if let refusal = await moderate(request, email: body["email"], limiter: "reset_password", limit: config.resetPassword,
                                        violation: "reset_password_limit",
                                        message: Self.tooManyAttempts(config.resetPassword)) {
            return refusal
        }
        guard configuration.allowPasswordReset else { return Self.expressText("Password reset is not allowed.", status: .forbidden) }
        if !outbox.isEnabled && !configuration.allowUnsecuredPasswordReset {
            return .message("Password reset needs email, which is not configured.", status: .forbidden)
        }
        guard let email = body["email"], let user = await service.users.user(email: email), user.passwordHash != nil || !outbox.isEnabled else {
            return .message(Self.resetRequested, status: .ok)
        }
        let token = await tokens.issue(.resetPassword, userId: user.id, email: user.email, lifetime: configuration.passwordResetTokenExpiry)
        let link = clientBase + "/reset-password?" + query([("token", token), ("userId", user.id)])
        if !outbox.isEnabled {
            // ALLOW_UNSECURED_PASSWORD_RESET: LibreChat's behaviour, kept only when asked for explicitly.
            return .json(bytes: UserJSON.data(["link": link]))
        }
        let (subject, text, html) = MailTemplates.passwordReset(appTitle: configuration.appTitle, name: user.name, link: link)
        await outbox.enqueue(to: user.email, subject: subject, text: text, html: html)
        return .message(Self.resetRequested, status: .ok)
    }

    func resetPassword(_ request: HTTPRequest) async -> HTTPResponse {
        guard let body = Self.fields(request) else { return Self.badJSON }
        let config = moderationConfiguration
        if let refusal = await moderate(request, email: nil, limiter: "reset_password_submission", limit: config.resetPasswordSubmission,
                                        violation: "reset_password_limit",
                                        message: Self.tooManyAttempts(config.resetPasswordSubmission)) {
            return refusal
        }
        guard configuration.allowPasswordReset else { return Self.expressText("Password reset is not allowed.", status: .forbidden) }
        let password = body["password"] ?? ""
        // The new password obeys the registration rules (LibreChat applies none); checked before the
        // token is spent, so a typo does not burn the link.
        var issues = Validation.passwordIssues("password", password, min: configuration.minPasswordLength)
        if let confirm = body["confirm_password"], confirm != password { issues.append("confirm_password: The passwords did not match") }
        if !issues.isEmpty { return .message(issues.joined(separator: " "), status: .badRequest) }
        let invalid = HTTPResponse.message("Invalid or expired password reset token", status: .badRequest)
        guard let userId = body["userId"], let raw = body["token"],
              let token = await tokens.redeem(raw, kind: .resetPassword), token.userId == userId else { return invalid }
        switch await service.setPassword(id: userId, password: password) {
        case .changed:
            if let user = await service.users.user(id: userId) {
                let (subject, text, html) = MailTemplates.passwordChanged(appTitle: configuration.appTitle, name: user.name)
                await outbox.enqueue(to: user.email, subject: subject, text: text, html: html)
            }
            return .message("Password reset was successful", status: .ok)
        case .noSuchUser:
            return invalid
        case .invalid(let message):
            return .message(message, status: .badRequest)
        case .overloaded:
            return Self.overloaded
        }
    }

    /// `invite-user`: a 7-day token bound to the email, mailed as `DOMAIN_CLIENT/register?token=…`.
    func invite(email rawEmail: String) async -> HTTPResponse {
        let email = User.normalizeEmail(rawEmail)
        guard Validation.isValidEmail(email) else { return .message("Invalid email", status: .badRequest) }
        guard outbox.isEnabled else { return .message("Email is not configured; invites are sent by email.", status: .conflict) }
        guard await service.users.user(email: email) == nil else { return .message("A user with that email already exists.", status: .conflict) }
        let token = await tokens.issue(.invite, userId: "", email: email, lifetime: 7 * 86_400_000)
        let link = clientBase + "/register?" + query([("token", token)])
        let (subject, text, html) = MailTemplates.invite(appTitle: configuration.appTitle, link: link)
        await outbox.enqueue(to: email, subject: subject, text: text, html: html)
        return .message("Invite sent to \(email)", status: .ok)
    }
}
