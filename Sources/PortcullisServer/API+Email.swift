import PortcullisCore
import PortcullisHTTP

/// Email verification and password reset over HTTP; the flows themselves are ``AccountFlows``.
extension API {
    /// LibreChat's refusal text for the verification and reset limiters.
    static func tooManyAttempts(_ limit: ModerationConfiguration.Limit) -> String {
        "Too many attempts, please try again after \(limit.windowMinutes) minute(s)"
    }

    func addEmailRoutes(_ routes: inout Routes) {
        routes.on(.post, "/api/user/verify") { [self] request in
            let body = try Self.body(request)
            let limit = moderation.configuration.verifyEmailSubmission
            try await moderate(
                request, email: body["email"], limiter: "verify_email_submission", limit: limit,
                violation: "verify_email_limit", message: Self.tooManyAttempts(limit))
            guard await flows.verifyEmail(email: body["email"], token: body["token"]) else {
                throw APIError.message("Invalid or expired email verification token", .badRequest)
            }
            return .json(bytes: UserJSON.data(["message": "Email verification was successful", "status": "success"]))
        }
        routes.on(.post, "/api/user/verify/resend") { [self] request in
            let body = try Self.body(request)
            let limit = moderation.configuration.verifyEmail
            try await moderate(
                request, email: body["email"], limiter: "verify_email", limit: limit,
                violation: "verify_email_limit", message: Self.tooManyAttempts(limit))
            await flows.resendVerification(email: body["email"])
            return .message("Please check your email to verify your email address.", status: .ok)
        }
        routes.on(.post, "/api/auth/requestPasswordReset") { [self] request in
            let body = try Self.body(request)
            let limit = moderation.configuration.resetPassword
            try await moderate(
                request, email: body["email"], limiter: "reset_password", limit: limit,
                violation: "reset_password_limit", message: Self.tooManyAttempts(limit))
            switch await flows.requestPasswordReset(email: body["email"]) {
            case .requested:
                return .message(
                    "If an account with that email exists, a password reset link has been sent to it.", status: .ok)
            case .disabled: throw APIError.text("Password reset is not allowed.", .forbidden)
            case .needsEmail: throw APIError.message("Password reset needs email, which is not configured.", .forbidden)
            // ALLOW_UNSECURED_PASSWORD_RESET: LibreChat's behaviour, kept only when asked for explicitly.
            case .unsecuredLink(let link): return .json(bytes: UserJSON.data(["link": link]))
            }
        }
        routes.on(.post, "/api/auth/resetPassword") { [self] request in
            let body = try Self.body(request)
            let limit = moderation.configuration.resetPasswordSubmission
            try await moderate(
                request, email: nil, limiter: "reset_password_submission", limit: limit,
                violation: "reset_password_limit", message: Self.tooManyAttempts(limit))
            switch try await flows.resetPassword(
                userId: body["userId"], token: body["token"], password: body["password"],
                confirmPassword: body["confirm_password"])
            {
            case .reset: return .message("Password reset was successful", status: .ok)
            case .disabled: throw APIError.text("Password reset is not allowed.", .forbidden)
            case .invalidPassword(let message): throw APIError.message(message, .badRequest)
            case .invalidToken: throw APIError.message("Invalid or expired password reset token", .badRequest)
            }
        }
    }
}
