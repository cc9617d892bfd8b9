import PortcullisSupport

/// The flows that go through the user's mailbox: email verification, password reset and invites.
/// Links are built from `DOMAIN_CLIENT` only, never from anything a request says.
public final class AccountFlows: Sendable {
    public let service: AuthService
    public let tokens: OneTimeTokens
    public let mailer: any AccountMailer
    /// Invitations stay valid this long (ms).
    public static let inviteLifetime: Int64 = 7 * 86_400_000

    public init(service: AuthService, tokens: OneTimeTokens, mailer: any AccountMailer) {
        self.service = service
        self.tokens = tokens
        self.mailer = mailer
    }

    private var configuration: AuthConfiguration { service.configuration }
    private var clientBase: String { configuration.domainClient.withoutTrailingSlash }

    private func link(_ path: String, _ pairs: [(String, String)]) -> String {
        clientBase + path + "?" + pairs.map { "\($0.0)=\(PercentEncoding.component($0.1))" }.joined(separator: "&")
    }

    // MARK: Verification

    /// Issues a verification token and mails the link (only when email is configured).
    public func sendVerification(to user: User) async {
        guard mailer.isEnabled else { return }
        let token = await tokens.issue(
            .verifyEmail, userId: user.id, email: user.email, lifetime: configuration.emailVerificationTokenExpiry)
        await mailer.sendVerification(to: user, link: link("/verify", [("token", token), ("email", user.email)]))
    }

    /// Marks the email verified when `token` is a live verification token for it.
    public func verifyEmail(email: String?, token: String?) async -> Bool {
        guard let email, let token, let redeemed = await tokens.redeem(token, kind: .verifyEmail, email: email) else {
            return false
        }
        guard let user = await service.users.update(id: redeemed.userId, { $0.emailVerified = true }) else {
            return false
        }
        await service.audit.record(.emailVerified, actor: user.id, subject: user)
        return true
    }

    /// Sends a new verification mail to an unverified account; says nothing about whether it exists.
    public func resendVerification(email: String?) async {
        if let email, let user = await service.users.user(email: email), !user.emailVerified {
            await sendVerification(to: user)
        }
    }

    // MARK: New sign-ins

    /// Mails the user about a sign-in from a device without its device cookie (`NOTIFY_NEW_LOGIN`);
    /// `time` and `device` are as people read them.
    public func notifyNewSignIn(
        _ tokens: AuthService.IssuedTokens, client: ClientInfo?, device: String, time: String
    ) async {
        guard tokens.newDevice, configuration.notifyNewLogin, mailer.isEnabled else { return }
        await mailer.sendNewSignIn(
            to: tokens.user, at: time, device: device, ip: client?.ip ?? "unknown",
            link: configuration.domainServer.withoutTrailingSlash + "/account")
    }

    // MARK: Password reset

    public enum ResetRequestOutcome: Sendable, Equatable {
        /// The generic answer, whether or not a mail was sent.
        case requested
        /// `ALLOW_PASSWORD_RESET` is off.
        case disabled
        /// No email and no `ALLOW_UNSECURED_PASSWORD_RESET`.
        case needsEmail
        /// `ALLOW_UNSECURED_PASSWORD_RESET` without email: LibreChat's behaviour, the link itself.
        case unsecuredLink(String)
    }

    /// Starts a password reset: mails a link to an account with a password (or, with email off and
    /// the unsecured mode asked for, returns the link).
    public func requestPasswordReset(email: String?) async -> ResetRequestOutcome {
        guard configuration.allowPasswordReset else { return .disabled }
        if !mailer.isEnabled && !configuration.allowUnsecuredPasswordReset { return .needsEmail }
        guard let email, let user = await service.users.user(email: email),
            user.passwordHash != nil || !mailer.isEnabled
        else {
            return .requested
        }
        let token = await tokens.issue(
            .resetPassword, userId: user.id, email: user.email, lifetime: configuration.passwordResetTokenExpiry)
        let url = link("/reset-password", [("token", token), ("userId", user.id)])
        guard mailer.isEnabled else { return .unsecuredLink(url) }
        await mailer.sendPasswordReset(to: user, link: url)
        return .requested
    }

    public enum ResetOutcome: Sendable, Equatable {
        case reset
        case disabled
        /// The new password breaks a rule (the token is not spent).
        case invalidPassword(String)
        case invalidToken
    }

    /// Sets a new password with a reset token: the registration rules apply (checked before the
    /// token is spent, so a typo does not burn the link), every session ends, a notice is mailed.
    public func resetPassword(
        userId: String?, token: String?, password: String?, confirmPassword: String?
    )
        async throws(AuthError) -> ResetOutcome
    {
        guard configuration.allowPasswordReset else { return .disabled }
        let password = password ?? ""
        var issues = Validation.passwordIssues("password", password, min: configuration.minPasswordLength)
        if let confirmPassword, confirmPassword != password {
            issues.append("confirm_password: The passwords did not match")
        }
        if !issues.isEmpty { return .invalidPassword(issues.joined(separator: " ")) }
        guard let userId, let token, let redeemed = await tokens.redeem(token, kind: .resetPassword),
            redeemed.userId == userId
        else { return .invalidToken }
        switch try await service.setPassword(id: userId, password: password) {
        case .changed:
            if let user = await service.users.user(id: userId) { await mailer.sendPasswordChanged(to: user) }
            return .reset
        case .noSuchUser:
            return .invalidToken
        case .invalid(let message):
            return .invalidPassword(message)
        }
    }

    // MARK: Invites

    public enum InviteOutcome: Sendable, Equatable {
        case sent(email: String)
        case invalidEmail
        case needsEmail
        case exists
    }

    /// `invite-user`: a 7-day token bound to the email, mailed as `DOMAIN_CLIENT/register?token=…`.
    public func invite(email rawEmail: String) async -> InviteOutcome {
        let email = User.normalizeEmail(rawEmail)
        guard Validation.isValidEmail(email) else { return .invalidEmail }
        guard mailer.isEnabled else { return .needsEmail }
        guard await service.users.user(email: email) == nil else { return .exists }
        let token = await tokens.issue(.invite, userId: "", email: email, lifetime: Self.inviteLifetime)
        await mailer.sendInvite(to: email, link: link("/register", [("token", token)]))
        return .sent(email: email)
    }

    public enum RegistrationOutcome: Sendable, Equatable {
        case registered(AuthService.RegisterOutcome)
        case invalidInvite
    }

    /// Registration, opened by a valid invite (bound to its email) even when `ALLOW_REGISTRATION`
    /// is off; the verification mail follows a new unverified account.
    public func register(
        _ request: AuthService.RegistrationRequest, invite: String?
    ) async throws(AuthError)
        -> RegistrationOutcome
    {
        var invited = false
        if let invite, !invite.isEmpty, invite != "undefined" {
            guard await tokens.redeem(invite, kind: .invite, email: request.email ?? "") != nil else {
                return .invalidInvite
            }
            invited = true
        }
        let outcome = try await service.register(request, bypassRegistrationGate: invited)
        if case .accepted(let created?) = outcome, !created.emailVerified { await sendVerification(to: created) }
        return .registered(outcome)
    }
}
