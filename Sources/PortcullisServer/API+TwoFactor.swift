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
        try await limitSignedInCodeAttempts(request, user)
        guard await service.verifySecondFactor(user: user, factor: factor) else {
            throw .message("Invalid token or backup code", .unauthorized)
        }
    }

    func addTwoFactorRoutes(_ routes: inout Routes) {
        routes.enrolment(.post, "/api/auth/2fa/enable") { [self] request, user in
            let factor = Self.secondFactor(try Self.body(request))
            if !factor.isEmpty { try await limitSignedInCodeAttempts(request, user) }
            switch try await service.enableTwoFactor(user: user, factor: factor) {
            case .started(let url, let codes):
                return .json(bytes: UserJSON.data(["otpauthUrl": url, "backupCodes": codes]))
            case .verificationRequired: throw APIError.message("Either token or backup code is required", .badRequest)
            case .invalidCode: throw APIError.message("Invalid token or backup code", .unauthorized)
            }
        }
        routes.enrolment(.post, "/api/auth/2fa/verify") { [self] request, user in
            let factor = Self.secondFactor(try Self.body(request))
            try await limitSignedInCodeAttempts(request, user)
            switch await service.verifyTwoFactor(user: user, factor: factor) {
            case .done: return HTTPResponse(status: .ok)
            case .notInitiated: throw APIError.message("2FA not initiated", .badRequest)
            default: throw APIError.message("Invalid token or backup code.", .badRequest)
            }
        }
        routes.enrolment(.post, "/api/auth/2fa/confirm") { [self] request, user in
            let code = try Self.body(request)["token"]
            try await limitSignedInCodeAttempts(request, user)
            switch await service.confirmTwoFactor(user: user, code: code, client: clientInfo(request)) {
            case .done: return HTTPResponse(status: .ok)
            case .notInitiated: throw APIError.message("2FA not initiated", .badRequest)
            default: throw APIError.message("Invalid token.", .badRequest)
            }
        }
        routes.authenticated(.post, "/api/auth/2fa/disable") { [self] request, user in
            let factor = Self.secondFactor(try Self.body(request))
            try await limitSignedInCodeAttempts(request, user)
            switch await service.disableTwoFactor(user: user, factor: factor, client: clientInfo(request)) {
            case .done: return HTTPResponse(status: .ok)
            case .notEnabled, .notInitiated: throw APIError.message("2FA is not setup for this user", .badRequest)
            case .codeRequired:
                throw APIError.message("Either token or backup code is required to disable 2FA", .badRequest)
            case .invalidCode: throw APIError.message("Invalid token or backup code", .unauthorized)
            }
        }
        routes.authenticated(.post, "/api/auth/2fa/backup/regenerate") { [self] request, user in
            let factor = Self.secondFactor(try Self.body(request))
            try await limitSignedInCodeAttempts(request, user)
            switch await service.regenerateBackupCodes(user: user, factor: factor) {
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

    /// The 2FA limiter (`TWO_FACTOR_TEMP_*`) on `keys`; over it, a violation against the account and
    /// the address, then 429 (or the ban it led to).
    func limitCodeAttempts(ip: String, userId: String?, keys: [String]) async throws(APIError) {
        let limit = moderation.configuration.twoFactorTemp
        let message = "Too many verification attempts, please try again after \(limit.windowMinutes) minutes."
        for key in keys {
            guard let wait = await moderation.limit("two_factor_temp", key: key, limit) else { continue }
            if await moderation.violation(
                "logins", score: moderation.configuration.score("two_factor_temp"), userId: userId, ip: ip),
                let expiry = await moderation.banExpiry(userId: userId, ip: ip)
            {
                throw .banned(retryAfter: secondsUntil(expiry))
            }
            throw .tooManyRequests(message, retryAfter: wait)
        }
    }

    /// A signed-in user's code check (enable when on, verify, confirm, disable, new backup codes,
    /// account deletion) meets the same limiter per account: a stolen session cannot try every code.
    func limitSignedInCodeAttempts(_ request: HTTPRequest, _ user: User) async throws(APIError) {
        // Its own budget: enrolling does not use up the next sign-in's second step.
        try await limitCodeAttempts(ip: clientIP(request), userId: user.id, keys: ["signed-in:" + user.id])
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
        try await limitCodeAttempts(ip: ip, userId: userId, keys: [ip] + (userId.map { ["user:" + $0] } ?? []))
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
        case .invalidCode: throw APIError.invalidField("Invalid 2FA code or backup code", field: "token", .unauthorized)
        }
    }
}
