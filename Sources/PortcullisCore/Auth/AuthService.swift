import Foundation
import PortcullisCrypto
import Synchronization

/// Carries the token signed inside a session shard back to the caller.
final class IssuedToken: Sendable {
    let value = Mutex<String?>(nil)
}

/// The authentication flows, independent of HTTP: registration, login, refresh with rotation and
/// reuse detection, logout, token checks, and the operator's user management.
public final class AuthService: Sendable {
    public let configuration: AuthConfiguration
    public let users: UserStore
    public let sessions: SessionStore
    public let hashing: HashingPool
    public let metrics: AuthMetrics
    /// Failed-password windows per account and per trusted device; `nil`: no lockout.
    public let lockout: AccountLockout?
    public let deviceCookies: DeviceCookie
    private let accessSigner: HS256Signer
    private let refreshSigner: HS256Signer
    /// Verified for unknown emails so that they cost what a wrong password costs.
    private let dummyHash: String
    /// Access tokens already verified, with their claims: a client presents the same token for its
    /// whole lifetime, so the signature check and claim parsing are done once. A hit needs the exact
    /// token string and is re-checked against `exp`; the user is still loaded on every request, so a
    /// deleted user's token fails at once. Bounded: cleared when full.
    private let verifiedTokens = Mutex<[String: AccessClaims]>([:])
    static let verifiedTokenCapacity = 16_384

    /// - Parameter journal: where changes are made durable before they are acknowledged; `nil` keeps
    ///   everything in memory only (tests, benchmarks of the engine alone).
    /// - Parameter lockout: account protection for password logins (see ``AccountLockout``).
    public init(configuration: AuthConfiguration, journal: (any MutationJournal)? = nil, metrics: AuthMetrics = AuthMetrics(),
                lockout: AccountLockout? = nil) throws(PasswordHashError) {
        self.configuration = configuration
        self.metrics = metrics
        self.lockout = lockout
        deviceCookies = DeviceCookie(secret: configuration.jwtRefreshSecret)
        users = UserStore(shardCount: configuration.shardCount, journal: journal)
        sessions = SessionStore(shardCount: configuration.shardCount, journal: journal)
        hashing = HashingPool(workers: configuration.hashWorkers, queueLimit: configuration.hashQueueLimit)
        accessSigner = HS256Signer(secret: configuration.jwtSecret)
        refreshSigner = HS256Signer(secret: configuration.jwtRefreshSecret)
        dummyHash = try configuration.passwordHasher.hash(Hex.encode(SecureRandom.bytes(count: 16)))
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Registration

    public enum RegisterOutcome: Sendable, Equatable {
        /// New or already registered: the same answer either way (`created` is for the server's own
        /// follow-up, such as the verification mail, never for the client).
        case accepted(created: User?)
        case invalid(String)
        case registrationClosed
        case domainNotAllowed
        case overloaded
    }

    public struct RegistrationRequest: Sendable {
        public var name: String?
        public var username: String?
        public var email: String?
        public var password: String?
        public var confirmPassword: String?

        public init(name: String?, username: String?, email: String?, password: String?, confirmPassword: String?) {
            self.name = name
            self.username = username
            self.email = email
            self.password = password
            self.confirmPassword = confirmPassword
        }
    }

    /// Registers a user. An email that is already taken gets the same answer after the same work
    /// (the password is hashed either way), so neither the message nor the timing tells.
    public func register(_ request: RegistrationRequest, bypassRegistrationGate: Bool = false) async -> RegisterOutcome {
        guard configuration.allowRegistration || bypassRegistrationGate else { return .registrationClosed }
        if let problem = Validation.registrationErrors(
            name: request.name, username: request.username, email: request.email, password: request.password,
            confirmPassword: request.confirmPassword, minPasswordLength: configuration.minPasswordLength) {
            return .invalid(problem)
        }
        let email = User.normalizeEmail(request.email ?? "")
        guard isDomainAllowed(email) else { return .domainNotAllowed }
        let password = request.password ?? ""
        let hasher = configuration.passwordHasher
        guard let hash = try? await hashing.run({ try? hasher.hash(password) }) else { return .overloaded }
        let now = Self.nowMilliseconds()
        let user = User(
            id: ObjectID.generate(), name: request.name ?? "", username: (request.username ?? "").lowercased(), email: email,
            emailVerified: !configuration.emailEnabled, passwordHash: hash, createdAt: now, updatedAt: now)
        if case .created(let created) = await users.create(user) {
            metrics.registrations.increment()
            return .accepted(created: created)
        }
        return .accepted(created: nil)
    }

    public func isDomainAllowed(_ email: String) -> Bool {
        guard !configuration.allowedEmailDomains.isEmpty else { return true }
        guard let at = email.lastIndex(of: "@") else { return false }
        return configuration.allowedEmailDomains.contains(String(email[email.index(after: at)...]).lowercased())
    }

    // MARK: Login

    /// Tokens for a session: the access token, the refresh token and when the session ends.
    public struct IssuedTokens: Sendable {
        public var accessToken: String
        public var refreshToken: String
        public var refreshExpiresAt: Int64
        public var user: User
        /// A new device cookie (every login issues one; a refresh none).
        public var deviceCookie: String?
    }

    public enum LoginOutcome: Sendable {
        case success(IssuedTokens)
        case missingCredentials
        case invalid(String)
        /// Unknown email, social-only account or wrong password: one answer for all.
        case badCredentials
        case unverified
        case emailLoginDisabled
        case overloaded
        /// Too many failed passwords for this account from untrusted clients, or from this device:
        /// refused before the password is looked at, right or wrong alike. Seconds to wait.
        case lockedOut(retryAfter: Int64)
    }

    /// A password login. `deviceCookie` is the client's device cookie, if any: valid for this
    /// account, the client meets its own device's limit; otherwise the account's shared lockout.
    public func login(email: String?, password: String?, deviceCookie: String? = nil) async -> LoginOutcome {
        guard configuration.allowEmailLogin || configuration.allowEmailLoginOverride else { return .emailLoginDisabled }
        guard let email, let password, !email.isEmpty, !password.isEmpty else { return .missingCredentials }
        if let problem = Validation.loginErrors(email: email, password: password, minPasswordLength: configuration.minPasswordLength) {
            return .invalid(problem)
        }
        let user = await users.user(email: email)
        let now = Self.nowMilliseconds()
        let client: AccountLockout.Client = user.flatMap { deviceCookies.trustedNonce(deviceCookie, for: $0, now: now) }
            .map { .trustedDevice(nonce: $0) } ?? .untrusted(email: email)
        if let lockout, let wait = await lockout.retryAfter(client, now: now) { return .lockedOut(retryAfter: wait) }
        let stored = user?.passwordHash ?? dummyHash
        let hasher = configuration.passwordHasher
        guard let verified = try? await hashing.run({ (try? hasher.verify(password, against: stored)) ?? false }) else {
            return .overloaded
        }
        guard verified, var user, user.passwordHash != nil else {
            metrics.loginsFailed.increment()
            await lockout?.recordFailure(client, now: now)
            return .badCredentials
        }
        if !user.emailVerified && !configuration.allowUnverifiedEmailLogin {
            metrics.loginsFailed.increment()
            return .unverified
        }
        if hasher.needsRehash(stored) {
            // Upgrade outdated hashes (bcrypt, old parameters) now that the password is known.
            if let fresh = try? await hashing.run({ try? hasher.hash(password) }) {
                user = await users.update(id: user.id) { $0.passwordHash = fresh } ?? user
            }
        }
        metrics.loginsSucceeded.increment()
        return .success(await startSession(for: user))
    }

    /// Creates a session for `user` and signs its tokens and a new device cookie (password login,
    /// social login, 2FA). `idToken`: an OpenID provider's id_token, kept for logout's `id_token_hint`.
    public func startSession(for user: User, idToken: String? = nil) async -> IssuedTokens {
        let now = Self.nowMilliseconds()
        var session = Session(
            id: ObjectID.generate(), userId: user.id, currentHash: [], previousHash: nil, generation: 0,
            rotatedAt: now, createdAt: now, expiresAt: now + configuration.refreshTokenExpiry, idToken: idToken)
        let refresh = refreshToken(for: session)
        session.currentHash = SHA256.hash(data: refresh.utf8).bytes
        await sessions.insert(session)
        metrics.deviceCookiesIssued.increment()
        return IssuedTokens(accessToken: accessToken(for: user, now: now), refreshToken: refresh,
                            refreshExpiresAt: session.expiresAt, user: user,
                            deviceCookie: deviceCookies.issue(userId: user.id, now: now))
    }

    func accessToken(for user: User, now: Int64) -> String {
        let issued = now / 1000
        let claims = AccessClaims(id: user.id, username: user.username, provider: user.provider, email: user.email,
                                  iat: issued, exp: issued + configuration.sessionExpiry / 1000)
        return (try? accessSigner.sign(claims)) ?? ""
    }

    /// Deterministic for a given session state, so the current token can be re-derived instead of stored.
    func refreshToken(for session: Session) -> String {
        let claims = RefreshClaims(id: session.userId, sessionId: session.id, gen: session.generation,
                                   iat: session.rotatedAt / 1000, exp: session.expiresAt / 1000)
        return (try? refreshSigner.sign(claims)) ?? ""
    }

    // MARK: Refresh

    public enum RefreshResult: Sendable {
        case success(IssuedTokens)
        case missingToken
        case invalidToken
        case userGone
        case noSession(retry: Bool)
    }

    public func refresh(token: String?, retry: Bool) async -> RefreshResult {
        guard let token, !token.isEmpty else { return .missingToken }
        guard let claims = try? refreshSigner.verify(token, as: RefreshClaims.self) else { return .invalidToken }
        guard let user = await users.user(id: claims.id) else { return .userGone }
        let now = Self.nowMilliseconds()
        let issued = IssuedToken()
        let outcome = await sessions.refresh(
            id: claims.sessionId, userId: claims.id, presentedHash: SHA256.hash(data: token.utf8).bytes, now: now,
            grace: configuration.refreshReuseGrace
        ) { [self] next in
            let fresh = refreshToken(for: next)
            issued.value.withLock { $0 = fresh }
            return SHA256.hash(data: fresh.utf8).bytes
        }
        switch outcome {
        case .rotated(let session), .replayedWithinGrace(let session):
            metrics.refreshes.increment()
            // The rotated token was signed inside the shard; a grace replay re-derives the current one.
            let refresh = issued.value.withLock { $0 } ?? refreshToken(for: session)
            return .success(IssuedTokens(accessToken: accessToken(for: user, now: now), refreshToken: refresh,
                                         refreshExpiresAt: session.expiresAt, user: user))
        case .reuseDetected:
            metrics.refreshReuse.increment()
            return .noSession(retry: retry)
        case .notFound, .expired:
            return .noSession(retry: retry)
        }
    }

    // MARK: Access tokens, logout, deletion

    /// The user behind `Authorization: Bearer <token>`, if the token verifies and the user exists.
    public func authenticate(authorization: String?) async -> User? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        // Byte-level trim: Foundation's trimmingCharacters bridges through NSString on Linux.
        var token = authorization.utf8.dropFirst(7)
        while token.first == 0x20 || token.first == 0x09 { token = token.dropFirst() }
        while token.last == 0x20 || token.last == 0x09 { token = token.dropLast() }
        guard let token = String(token) else { return nil }
        let now = Self.nowMilliseconds() / 1000
        if let cached = verifiedTokens.withLock({ $0[token] }) {
            guard now < cached.exp else {
                verifiedTokens.withLock { _ = $0.removeValue(forKey: token) }
                return nil
            }
            return await users.user(id: cached.id)
        }
        guard let claims = try? accessSigner.verify(token, as: AccessClaims.self, now: now) else { return nil }
        verifiedTokens.withLock { cache in
            if cache.count >= Self.verifiedTokenCapacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = claims
        }
        return await users.user(id: claims.id)
    }

    /// Ends the session of `refreshToken` if it belongs to `user` and returns it. Unlike LibreChat,
    /// a missing cookie ends no session at all (rather than an arbitrary one).
    @discardableResult
    public func logout(user: User, refreshToken: String?) async -> Session? {
        guard let refreshToken, let claims = try? refreshSigner.verify(refreshToken, as: RefreshClaims.self),
              claims.id == user.id else { return nil }
        return await sessions.remove(id: claims.sessionId, userId: user.id)
    }

    /// Whether `user` may delete their own account (`ALLOW_ACCOUNT_DELETION`, admins always).
    public func mayDeleteAccount(_ user: User) -> Bool {
        configuration.allowAccountDeletion || user.role == "ADMIN"
    }

    /// Deletes a user and every session of theirs.
    @discardableResult
    public func deleteUser(id: String) async -> User? {
        guard let removed = await users.delete(id: id) else { return nil }
        await sessions.removeAll(userId: id)
        return removed
    }

    // MARK: Operator commands

    public enum AdminCreateOutcome: Sendable, Equatable {
        case created(User)
        case exists
        case invalid(String)
        case overloaded
    }

    /// `create-user`: validation and the first-user rule as registration, but not gated by
    /// `ALLOW_REGISTRATION`, with a trusted provider and verification flag.
    public func createUser(email: String, name: String, username: String, password: String,
                           emailVerified: Bool, provider: String) async -> AdminCreateOutcome {
        if let problem = Validation.registrationErrors(name: name, username: username, email: email, password: password,
                                                       confirmPassword: password, minPasswordLength: configuration.minPasswordLength) {
            return .invalid(problem)
        }
        let hasher = configuration.passwordHasher
        guard let hash = try? await hashing.run({ try? hasher.hash(password) }) else { return .overloaded }
        let now = Self.nowMilliseconds()
        let user = User(id: ObjectID.generate(), name: name, username: username.lowercased(), email: User.normalizeEmail(email),
                        emailVerified: emailVerified || !configuration.emailEnabled, passwordHash: hash,
                        provider: provider, createdAt: now, updatedAt: now)
        switch await users.create(user) {
        case .created(let created):
            metrics.registrations.increment()
            return .created(created)
        case .emailTaken:
            return .exists
        }
    }

    public enum PasswordChangeOutcome: Sendable, Equatable {
        case changed(sessionsEnded: Int)
        case noSuchUser
        case invalid(String)
        case overloaded
    }

    /// `reset-password`: sets a new password (registration rules) and ends every session.
    public func setPassword(email: String, password: String) async -> PasswordChangeOutcome {
        guard let user = await users.user(email: email) else { return .noSuchUser }
        return await setPassword(id: user.id, password: password)
    }

    /// Sets a new password (registration rules), ends every session of the user and revokes the
    /// trust of every device cookie issued so far.
    public func setPassword(id: String, password: String) async -> PasswordChangeOutcome {
        if let problem = Validation.passwordIssues("password", password, min: configuration.minPasswordLength).first {
            return .invalid(problem)
        }
        guard let user = await users.user(id: id) else { return .noSuchUser }
        let hasher = configuration.passwordHasher
        guard let hash = try? await hashing.run({ try? hasher.hash(password) }) else { return .overloaded }
        let now = Self.nowMilliseconds()
        _ = await users.update(id: user.id) {
            $0.passwordHash = hash
            $0.updatedAt = now
            $0.devicesRevokedAt = now
        }
        return .changed(sessionsEnded: await sessions.removeAll(userId: user.id))
    }
}

// MARK: Terms of service

extension AuthService {
    /// Records that the user accepted the terms now; the updated user, or `nil` when gone.
    public func acceptTerms(userId: String) async -> User? {
        let now = Self.nowMilliseconds()
        return await users.update(id: userId) {
            $0.termsAccepted = true
            $0.termsAcceptedAt = now
            $0.updatedAt = now
        }
    }

    /// `reset-terms`: every user back to not having accepted the terms; returns how many changed.
    public func resetTerms() async -> Int {
        var changed = 0
        for user in await users.all() where user.termsAccepted || user.termsAcceptedAt != nil {
            let reset = await users.update(id: user.id) {
                $0.termsAccepted = false
                $0.termsAcceptedAt = nil
            }
            if reset != nil { changed += 1 }
        }
        return changed
    }
}
