import PortcullisCrypto

extension AuthService {
    /// Tokens for a session: the access token, the refresh token and when the session ends.
    public struct IssuedTokens: Sendable {
        public var accessToken: String
        public var refreshToken: String
        public var refreshExpiresAt: Int64
        public var user: User
        /// A new device cookie (every login issues one; a refresh none).
        public var deviceCookie: String?
        /// The login came from a client without a valid device cookie for the account.
        public var newDevice = false
        /// The session a sign-in started (a refresh leaves it `nil`): the OpenID provider's
        /// browser cookie names it.
        public var sessionId: String?
    }

    public enum LoginOutcome: Sendable {
        case success(IssuedTokens)
        case missingCredentials
        case invalid(String)
        /// Unknown email, social-only account or wrong password: one answer for all.
        case badCredentials
        case unverified
        case emailLoginDisabled
        /// Too many failed passwords for this account from untrusted clients, or from this device:
        /// refused before the password is looked at, right or wrong alike. Seconds to wait.
        case lockedOut(retryAfter: Int64)
        /// The password was right and 2FA is on: the second step needs this temporary token.
        case twoFactorPending(tempToken: String)
        /// The password was right but `REQUIRE_2FA` needs enrolment first: this token opens the
        /// enrolment routes only.
        case twoFactorSetupRequired(setupToken: String)
    }

    /// A password login. `deviceCookie` is the client's device cookie, if any: valid for this
    /// account, the client meets its own device's limit; otherwise the account's shared lockout.
    public func login(
        email: String?, password: String?, deviceCookie: String? = nil, client: ClientInfo? = nil
    ) async throws(AuthError) -> LoginOutcome {
        guard configuration.allowEmailLogin || configuration.allowEmailLoginOverride else { return .emailLoginDisabled }
        guard let email, let password, !email.isEmpty, !password.isEmpty else { return .missingCredentials }
        if let problem = Validation.loginErrors(
            email: email, password: password, minPasswordLength: configuration.minPasswordLength)
        {
            return .invalid(problem)
        }
        let user = await users.user(email: email)
        let now = nowMilliseconds()
        let requester: AccountLockout.Client =
            user.flatMap { deviceCookies.trustedNonce(deviceCookie, for: $0, now: now) }
            .map { .trustedDevice(nonce: $0) } ?? .untrusted(email: email)
        if let lockout, let wait = await lockout.retryAfter(requester, now: now) {
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, subject: user, email: email, client: client,
                detail: "locked_out")
            return .lockedOut(retryAfter: wait)
        }
        let stored = user?.passwordHash ?? dummyHash
        let verified = try await verify(password, against: stored)
        guard verified, var user, user.passwordHash != nil else {
            metrics.loginsFailed.increment()
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, subject: user, email: email, client: client,
                detail: "bad_credentials")
            if let lockout {
                if await lockout.recordFailure(requester, now: now) {
                    let scope = if case .untrusted = requester { "untrusted clients" } else { "a trusted device" }
                    await audit.record(
                        .lockoutStarted, actor: AuditEvent.systemActor, subject: user, email: email, client: client,
                        detail: scope)
                }
            }
            return .badCredentials
        }
        if !user.emailVerified && !configuration.allowUnverifiedEmailLogin {
            metrics.loginsFailed.increment()
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, subject: user, client: client, detail: "unverified")
            return .unverified
        }
        if configuration.passwordHasher.needsRehash(stored) {
            // Upgrade outdated hashes (bcrypt, old parameters) now that the password is known; a
            // busy pool only postpones it to the next login.
            if let fresh = try? await hash(password) {
                user = await users.update(id: user.id) { $0.passwordHash = fresh } ?? user
            }
        }
        if user.twoFactorEnabled { return .twoFactorPending(tempToken: try twoFactorTempToken(for: user)) }
        if configuration.requireTwoFactor.requiresSetup(user) {
            return .twoFactorSetupRequired(setupToken: try twoFactorSetupToken(for: user))
        }
        metrics.loginsSucceeded.increment()
        var tokens = try await startSession(for: user, client: client)
        if case .untrusted = requester { tokens.newDevice = true }
        return .success(tokens)
    }

    /// Creates a session for `user` and signs its tokens and a new device cookie (password login,
    /// social login, 2FA). `idToken`: an OpenID provider's id_token, kept for logout's `id_token_hint`.
    /// A sign-in that passed every factor it needs: the session, and whether the client's device
    /// cookie was new to the account (for the new-sign-in mail).
    func completeSignIn(
        _ user: User, client: ClientInfo?, deviceCookie: String?, method: String
    ) async throws(AuthError) -> IssuedTokens {
        metrics.loginsSucceeded.increment()
        var tokens = try await startSession(for: user, client: client, method: method)
        tokens.newDevice = deviceCookies.trustedNonce(deviceCookie, for: user, now: nowMilliseconds()) == nil
        return tokens
    }

    /// The sign-in is audited (`method`: `password`, `password+totp`, `passkey`, `provider:<name>`, …).
    public func startSession(
        for user: User, idToken: String? = nil, client: ClientInfo? = nil, method: String = "password"
    ) async throws(AuthError)
        -> IssuedTokens
    {
        let now = nowMilliseconds()
        var session = Session(
            id: ObjectID.generate(), userId: user.id, currentHash: [], previousHash: nil, generation: 0,
            rotatedAt: now, createdAt: now, expiresAt: now + configuration.refreshTokenExpiry, idToken: idToken)
        session.note(client, at: now)
        session.method = method
        let refresh = try refreshToken(for: session)
        let access = try accessToken(for: user, now: now)
        session.currentHash = SHA256.hash(data: refresh.utf8).bytes
        // Appended first, made durable by the session's own journal wait just after (one group commit).
        _ = await audit.append(
            AuditEvent(
                time: now, kind: user.role == Role.admin ? .adminSignIn : .signIn, actor: user.id, subject: user.id,
                email: user.email, ip: client?.ip, device: client?.userAgent, detail: method))
        await sessions.insert(session)
        metrics.deviceCookiesIssued.increment()
        return IssuedTokens(
            accessToken: access, refreshToken: refresh, refreshExpiresAt: session.expiresAt, user: user,
            deviceCookie: deviceCookies.issue(userId: user.id, now: now), sessionId: session.id)
    }
}
