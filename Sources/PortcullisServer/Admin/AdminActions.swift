import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import PortcullisMail

/// What an administrator can do to an account, for the dashboard's forms and the admin API alike:
/// each checks its input (a refusal is an ``APIError`` and changes nothing), acts, and is audited
/// with the administrator as the actor. The answer is the sentence the page shows.
enum AdminAction: Sendable, Equatable {
    case endSessions
    case endSession(id: String)
    case disableTwoFactor
    case setRole(String)
    case ban(minutes: Int64, reason: String)
    case unban
    case resetPassword
    case resendVerification
    case delete

    /// The longest ban an administrator can set (ten years, as the command line).
    static let maximumBanMinutes: Int64 = 525_600 * 10
    static let maximumReasonLength = 200

    /// Reads an action from form or JSON fields (`action` names it for the forms).
    init(name: String, fields: [String: String]) throws(APIError) {
        switch name {
        case "end-sessions": self = .endSessions
        case "end-session":
            guard let id = fields["session"], !id.isEmpty, id.utf8.count <= 64 else {
                throw .invalidField("Which session?", field: "session", .badRequest)
            }
            self = .endSession(id: id)
        case "disable-2fa": self = .disableTwoFactor
        case "role":
            guard let role = fields["role"], [Role.admin, Role.user].contains(role) else {
                throw .invalidField("The role is ADMIN or USER.", field: "role", .badRequest)
            }
            self = .setRole(role)
        case "ban":
            guard let minutes = fields["minutes"].flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }),
                (1...Self.maximumBanMinutes).contains(minutes)
            else {
                throw .invalidField(
                    "A ban lasts 1 to \(Self.maximumBanMinutes) minutes.", field: "minutes", .badRequest)
            }
            guard let reason = Validation.singleLine(fields["reason"], maximumLength: Self.maximumReasonLength),
                !reason.isEmpty
            else {
                throw .invalidField(
                    "Give a reason of 1 to \(Self.maximumReasonLength) characters on one line.", field: "reason",
                    .badRequest)
            }
            self = .ban(minutes: minutes, reason: reason)
        case "unban": self = .unban
        case "reset-password": self = .resetPassword
        case "resend-verification": self = .resendVerification
        case "delete": self = .delete
        default: throw .message("Unknown action.", .badRequest)
        }
    }
}

extension API {
    /// Carries out `action` on `user` for `admin`; returns what happened, in a sentence.
    func perform(
        _ action: AdminAction, on user: User, by admin: User, client: ClientInfo
    ) async throws(APIError)
        -> String
    {
        let audit = service.audit
        switch action {
        case .endSessions:
            let ended = await service.sessions.removeAll(userId: user.id)
            await engine.provider.endGrants(ofUser: user.id)
            await audit.record(
                .sessionEnded, actor: admin.id, subject: user, client: client,
                detail: "all \(ended) session(s), by an administrator")
            return "\(ended) session(s) of \(user.email) ended."
        case .endSession(let id):
            guard let ended = await service.sessions.remove(id: id, userId: user.id) else {
                throw .message("No such session.", .notFound)
            }
            await audit.record(
                .sessionEnded, actor: admin.id, subject: user, client: client,
                detail: "by an administrator: " + Pages.deviceLabel(ended.userAgent))
            return "The session ended."
        case .disableTwoFactor:
            guard user.twoFactorEnabled else { throw .message("2FA is not on for this user.", .conflict) }
            _ = await service.resetTwoFactor(email: user.email, actor: admin.id)
            return "2FA is off for \(user.email); their sessions ended."
        case .setRole(let role):
            guard user.id != admin.id || role == Role.admin else {
                throw .message("You cannot take your own ADMIN role; another administrator can.", .conflict)
            }
            guard user.role != role else { return "\(user.email) is \(role) already." }
            guard let updated = await service.users.update(id: user.id, { $0.role = role }) else {
                throw .message("No such user.", .notFound)
            }
            await audit.record(
                .roleChanged, actor: admin.id, subject: updated, client: client, detail: "\(user.role) → \(role)")
            return "\(user.email) is now \(role)."
        case .ban(let minutes, let reason):
            guard user.id != admin.id else { throw .message("You cannot ban yourself.", .conflict) }
            await engine.ban(user, minutes: minutes, reason: reason, actor: admin.id, client: client)
            return "\(user.email) is banned for \(minutes) minute(s); their sessions ended."
        case .unban:
            guard await engine.liftBan(Moderation.userSubject(user.id), actor: admin.id, client: client) else {
                throw .message("This user is not banned.", .notFound)
            }
            return "The ban on \(user.email) is lifted."
        case .resetPassword:
            switch await flows.requestPasswordReset(email: user.email) {
            case .requested: break
            case .unsecuredLink: throw .message("Email is not configured: no link can be mailed.", .conflict)
            case .disabled: throw .message("Password reset is off (ALLOW_PASSWORD_RESET).", .conflict)
            case .needsEmail: throw .message("Email is not configured: no link can be mailed.", .conflict)
            }
            await audit.record(
                .passwordReset, actor: admin.id, subject: user, client: client,
                detail: "link mailed by an administrator")
            return "A password reset link was mailed to \(user.email)."
        case .resendVerification:
            guard !user.emailVerified else { throw .message("This email is verified already.", .conflict) }
            guard engine.email.mode != .none else { throw .message("Email is not configured.", .conflict) }
            await flows.resendVerification(email: user.email)
            return "A verification link was mailed to \(user.email)."
        case .delete:
            guard user.id != admin.id else {
                throw .message("You cannot delete your own account here; use your account page.", .conflict)
            }
            _ = await service.deleteUser(id: user.id, actor: admin.id)
            return "\(user.email) is deleted."
        }
    }

    /// Creates an account for an administrator: the registration rules, no registration gate. Without
    /// a password the account gets an unguessable one and, with email, a link to choose their own.
    func createAccount(
        email: String?, name: String?, username: String?, password: String?, by admin: User
    ) async throws(APIError) -> (User, String) {
        let email = (email ?? "").trimmingCharacters(in: .whitespaces)
        let given = (password ?? "").isEmpty ? nil : password
        let outcome: AuthService.AdminCreateOutcome
        do {
            outcome = try await service.createUser(
                email: email, name: (name ?? "").trimmingCharacters(in: .whitespaces),
                username: (username ?? "").trimmingCharacters(in: .whitespaces),
                password: given ?? Base64URL.encode(SecureRandom.bytes(count: 24)), emailVerified: true,
                provider: "local", actor: admin.id)
        } catch {
            throw .message("Server is busy, please retry.", .serviceUnavailable)
        }
        switch outcome {
        case .created(let user):
            guard given == nil else { return (user, "\(user.email) is created.") }
            if case .requested = await flows.requestPasswordReset(email: user.email) {
                return (user, "\(user.email) is created; a link to choose a password was mailed.")
            }
            return (user, "\(user.email) is created without a usable password; send them an invite or a reset.")
        case .exists: throw .invalidField("An account with this email exists.", field: "email", .conflict)
        case .invalid(let message): throw .message(message, .badRequest)
        }
    }
}
