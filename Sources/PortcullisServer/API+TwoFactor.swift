import Foundation
import PortcullisCore
import PortcullisHTTP

/// LibreChat's 2FA routes, its shapes and messages; the engine decides (``AuthService``).
extension API {
    /// "New sign-in" mail for a login from a device without its device cookie.
    func notifyNewSignIn(_ tokens: AuthService.IssuedTokens, _ request: HTTPRequest) async {
        let client = clientInfo(request)
        await flows.notifyNewSignIn(
            tokens, client: client, device: Pages.deviceLabel(client.userAgent),
            time: Pages.readableDate(service.clock.milliseconds))
    }

    /// The `{token, backupCode}` a 2FA request carries (non-string values count as absent).
    static func secondFactor(_ body: [String: String]) -> AuthService.SecondFactor {
        AuthService.SecondFactor(
            code: body["token"]?.trimmingCharacters(in: .whitespaces), backupCode: body["backupCode"])
    }

    /// Deleting a 2FA account needs a valid TOTP or backup code, as in LibreChat.
    func requireSecondFactor(_ request: HTTPRequest, _ user: User) async throws(APIError) {
        let factor = Self.secondFactor(try Self.body(request))
        guard !factor.isEmpty else { throw .message("Either token or backup code is required", .badRequest) }
        guard await service.verifySecondFactor(user: user, factor: factor) else {
            throw .message("Invalid token or backup code", .unauthorized)
        }
    }

    func addTwoFactorRoutes(_ routes: inout Routes) {
        routes.enrolment(.post, "/api/auth/2fa/enable") { [self] request, user in
            switch try await service.enableTwoFactor(user: user, factor: Self.secondFactor(try Self.body(request))) {
            case .started(let url, let codes):
                return .json(bytes: UserJSON.data(["otpauthUrl": url, "backupCodes": codes]))
            case .verificationRequired: throw APIError.message("Either token or backup code is required", .badRequest)
            case .invalidCode: throw APIError.message("Invalid token or backup code", .unauthorized)
            }
        }
        routes.enrolment(.post, "/api/auth/2fa/verify") { [self] request, user in
            switch await service.verifyTwoFactor(user: user, factor: Self.secondFactor(try Self.body(request))) {
            case .done: return HTTPResponse(status: .ok)
            case .notInitiated: throw APIError.message("2FA not initiated", .badRequest)
            default: throw APIError.message("Invalid token or backup code.", .badRequest)
            }
        }
        routes.enrolment(.post, "/api/auth/2fa/confirm") { [self] request, user in
            switch await service.confirmTwoFactor(user: user, code: try Self.body(request)["token"]) {
            case .done: return HTTPResponse(status: .ok)
            case .notInitiated: throw APIError.message("2FA not initiated", .badRequest)
            default: throw APIError.message("Invalid token.", .badRequest)
            }
        }
        routes.authenticated(.post, "/api/auth/2fa/disable") { [self] request, user in
            switch await service.disableTwoFactor(user: user, factor: Self.secondFactor(try Self.body(request))) {
            case .done: return HTTPResponse(status: .ok)
            case .notEnabled, .notInitiated: throw APIError.message("2FA is not setup for this user", .badRequest)
            case .codeRequired:
                throw APIError.message("Either token or backup code is required to disable 2FA", .badRequest)
            case .invalidCode: throw APIError.message("Invalid token or backup code", .unauthorized)
            }
        }
        routes.authenticated(.post, "/api/auth/2fa/backup/regenerate") { [self] request, user in
            switch await service.regenerateBackupCodes(user: user, factor: Self.secondFactor(try Self.body(request))) {
            case .regenerated(let plain, let stored):
                let hashes = stored.map { ["codeHash": $0.hash, "used": false, "usedAt": NSNull()] as [String: Any] }
                return .json(bytes: UserJSON.data(["backupCodes": plain, "backupCodesHash": hashes]))
            case .notEnabled: throw APIError.message("2FA is not setup for this user", .badRequest)
            case .codeRequired: throw APIError.message("Either token or backup code is required", .badRequest)
            case .invalidCode: throw APIError.message("Invalid token or backup code", .unauthorized)
            }
        }
        routes.on(.post, "/api/auth/2fa/verify-temp") { [self] in try await completeTwoFactorLogin($0) }
    }

    /// `verify-temp`: the temporary token names the user first, then the limiter (per IP and per
    /// that user) and the ban check, as LibreChat's chain; since the caller proved the password,
    /// these violations count against the account too.
    func completeTwoFactorLogin(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try Self.body(request)
        return sessionResponse(
            try await secondStep(request, tempToken: body["tempToken"], factor: Self.secondFactor(body)))
    }

    /// The second step for the API and the pages alike; throws the refusal.
    func secondStep(
        _ request: HTTPRequest, tempToken: String?, factor: AuthService.SecondFactor
    ) async throws
        -> AuthService.IssuedTokens
    {
        let ip = clientIP(request)
        let userId = service.twoFactorTempUserId(tempToken)
        let limit = moderation.configuration.twoFactorTemp
        let message = "Too many verification attempts, please try again after \(limit.windowMinutes) minutes."
        for key in [ip] + (userId.map { ["user:" + $0] } ?? []) {
            guard let wait = await moderation.limit("two_factor_temp", key: key, limit) else { continue }
            if await moderation.violation(
                "logins", score: moderation.configuration.score("two_factor_temp"), userId: userId, ip: ip),
                let expiry = await moderation.banExpiry(userId: userId, ip: ip)
            {
                throw APIError.banned(retryAfter: secondsUntil(expiry))
            }
            throw APIError.tooManyRequests(message, retryAfter: wait)
        }
        if let expiry = await moderation.banExpiry(userId: userId, ip: ip) {
            throw APIError.banned(retryAfter: secondsUntil(expiry))
        }
        switch try await service.completeTwoFactorLogin(
            tempToken: tempToken, factor: factor, client: clientInfo(request),
            deviceCookie: request.cookies[DeviceCookie.name])
        {
        case .success(let tokens):
            await notifyNewSignIn(tokens, request)
            return tokens
        case .missingToken: throw APIError.message("Missing temporary token", .badRequest)
        case .invalidToken: throw APIError.message("Invalid or expired temporary token", .unauthorized)
        case .notEnabled: throw APIError.message("2FA is not enabled for this user", .badRequest)
        case .invalidCode: throw APIError.message("Invalid 2FA code or backup code", .unauthorized)
        }
    }
}
