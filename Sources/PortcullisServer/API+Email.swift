import PortcullisCore
import PortcullisHTTP

/// Email verification and password reset over HTTP; the flows themselves are ``AccountFlows``.
extension API {
    /// The verification and reset limiters (`VERIFY_EMAIL_*`, `RESET_PASSWORD_*` and their
    /// `_SUBMISSION_` variants), with LibreChat's refusal text.
    func limitEmailRoute(
        _ request: HTTPRequest, email: String?, limiter: String, _ limit: ModerationConfiguration.Limit,
        violation: String
    ) async throws(APIError) {
        try await moderate(
            request, email: email, limiter: limiter, limit: limit, violation: violation,
            message: "Too many attempts, please try again after \(limit.windowMinutes) minute(s)")
    }

    func addEmailRoutes(_ routes: inout Routes) {
        routes.on(.post, "/api/user/verify") { [self] request in
            let body = try Self.body(request)
            try await limitEmailRoute(
                request, email: body["email"], limiter: "verify_email_submission",
                moderation.configuration.verifyEmailSubmission, violation: "verify_email_limit")
            guard await flows.verifyEmail(email: body["email"], token: body["token"]) else {
                throw APIError.message("Invalid or expired email verification token", .badRequest)
            }
            return .json(bytes: UserJSON.data(["message": "Email verification was successful", "status": "success"]))
        }
        routes.on(.post, "/api/user/verify/resend") { [self] request in
            let body = try Self.body(request)
            try await limitEmailRoute(
                request, email: body["email"], limiter: "verify_email", moderation.configuration.verifyEmail,
                violation: "verify_email_limit")
            await flows.resendVerification(email: body["email"])
            return .message("Please check your email to verify your email address.", status: .ok)
        }
        routes.on(.post, "/api/auth/requestPasswordReset") { [self] request in
            let body = try Self.body(request)
            try await limitEmailRoute(
                request, email: body["email"], limiter: "reset_password", moderation.configuration.resetPassword,
                violation: "reset_password_limit")
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
            try await limitEmailRoute(
                request, email: nil, limiter: "reset_password_submission",
                moderation.configuration.resetPasswordSubmission, violation: "reset_password_limit")
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
