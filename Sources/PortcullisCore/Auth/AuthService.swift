import PortcullisCrypto
import Synchronization

/// The authentication flows, independent of HTTP: registration, login, refresh with rotation and
/// reuse detection, logout, token checks, and the operator's user management.
public final class AuthService: Sendable {
    public let configuration: AuthConfiguration
    public let users: UserStore
    public let sessions: SessionStore
    /// Second factors (TOTP secrets sealed, backup codes hashed).
    public let twoFactor: TwoFactorStore
    /// The security events (sign-ins, factor and password changes, account actions).
    public let audit: AuditLog
    /// WebAuthn credentials, and the challenges their ceremonies sign.
    public let passkeys: PasskeyStore
    public let passkeyChallenges: PasskeyChallenges
    /// The key TOTP secrets are sealed with: derived from `CREDS_KEY` for this purpose alone.
    let secretSealingKey: [UInt8]
    public let hashing: HashingPool
    public let metrics: AuthMetrics
    /// Failed-password windows per account and per trusted device; `nil`: no lockout.
    public let lockout: AccountLockout?
    public let deviceCookies: DeviceCookie
    /// Where every expiry and token time is read.
    public let clock: any WallClock
    private let accessSigner: HS256Signer
    private let refreshSigner: HS256Signer
    /// Verified for unknown emails so that they cost what a wrong password costs.
    let dummyHash: String
    /// Access tokens already verified, with their claims: a client presents the same token for its
    /// whole lifetime, so the signature check and claim parsing are done once. A hit needs the exact
    /// token string and is re-checked against `exp`; the user is still loaded on every request, so a
    /// deleted user's token fails at once. Bounded: cleared when full.
    let verifiedTokens = Mutex<[String: AccessClaims]>([:])
    static let verifiedTokenCapacity = 16_384

    /// - Parameter journal: where changes are made durable before they are acknowledged; `nil` keeps
    ///   everything in memory only (tests, benchmarks of the engine alone).
    /// - Parameter lockout: account protection for password logins (see ``AccountLockout``).
    public init(
        configuration: AuthConfiguration, journal: (any MutationJournal)? = nil, metrics: AuthMetrics = AuthMetrics(),
        lockout: AccountLockout? = nil, clock: any WallClock = SystemClock()
    ) throws(PasswordHashError) {
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.lockout = lockout
        deviceCookies = DeviceCookie(secret: configuration.jwtRefreshSecret)
        users = UserStore(shardCount: configuration.shardCount, journal: journal)
        sessions = SessionStore(shardCount: configuration.shardCount, journal: journal)
        twoFactor = TwoFactorStore(shardCount: configuration.shardCount, journal: journal)
        passkeys = PasskeyStore(shardCount: configuration.shardCount, journal: journal)
        audit = AuditLog(
            capacity: configuration.auditMaxEntries, retentionDays: configuration.auditRetentionDays,
            shardCount: configuration.shardCount, journal: journal, clock: clock)
        passkeyChallenges = PasskeyChallenges(secret: configuration.jwtSecret, clock: clock)
        secretSealingKey = SymmetricKey(derivedFrom: configuration.credsKey, purpose: "portcullis totp secret v1")
            .withUnsafeBytes { Array($0) }
        hashing = HashingPool(workers: configuration.hashWorkers, queueLimit: configuration.hashQueueLimit)
        accessSigner = HS256Signer(secret: configuration.jwtSecret)
        refreshSigner = HS256Signer(secret: configuration.jwtRefreshSecret)
        dummyHash = try configuration.passwordHasher.hash(Hex.encode(SecureRandom.bytes(count: 16)))
    }

    func nowMilliseconds() -> Int64 { clock.milliseconds }

    // MARK: Hashing and signing

    /// Hashes a password on the hashing pool.
    func hash(_ password: String) async throws(AuthError) -> String {
        let hasher = configuration.passwordHasher
        let outcome: Result<String, PasswordHashError>
        do {
            outcome = try await hashing.run {
                do throws(PasswordHashError) { return .success(try hasher.hash(password)) } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .overloaded
        }
        guard case .success(let hash) = outcome else { throw .hashingFailed }
        return hash
    }

    /// Verifies a password against a stored hash on the hashing pool. A stored hash that cannot be
    /// read (a damaged import) counts as a mismatch, as a wrong password would: the answer tells nothing.
    func verify(_ password: String, against stored: String) async throws(AuthError) -> Bool {
        let hasher = configuration.passwordHasher
        do {
            return try await hashing.run { (try? hasher.verify(password, against: stored)) ?? false }
        } catch {
            throw .overloaded
        }
    }

    func accessToken(for user: User, now: Int64) throws(AuthError) -> String {
        let issued = now / 1000
        let claims = AccessClaims(
            id: user.id, username: user.username, provider: user.provider, email: user.email,
            iat: issued, exp: issued + configuration.sessionExpiry / 1000)
        do { return try accessSigner.sign(claims) } catch { throw .signingFailed }
    }

    /// Deterministic for a given session state, so the current token can be re-derived instead of stored.
    func refreshToken(for session: Session) throws(AuthError) -> String {
        let claims = RefreshClaims(
            id: session.userId, sessionId: session.id, gen: session.generation,
            iat: session.rotatedAt / 1000, exp: session.expiresAt / 1000)
        do { return try refreshSigner.sign(claims) } catch { throw .signingFailed }
    }

    /// Signs claims with `JWT_SECRET` (access tokens, 2FA temporary tokens).
    func signAccessSecret(_ claims: some Encodable) throws(AuthError) -> String {
        do { return try accessSigner.sign(claims) } catch { throw .signingFailed }
    }

    /// Claims signed with `JWT_SECRET` that verify now, else `nil`.
    func verifyAccessSecret<Claims: Decodable>(_ token: String, as type: Claims.Type) -> Claims? {
        try? accessSigner.verify(token, as: type, now: clock.seconds)
    }

    /// The claims of a refresh token that verifies (signature, expiry), else `nil`.
    func refreshClaims(_ token: String) -> RefreshClaims? {
        try? refreshSigner.verify(token, as: RefreshClaims.self, now: clock.seconds)
    }

    /// The claims of an access token that verifies at `now` (seconds), else `nil`.
    func accessClaims(_ token: String, now: Int64) -> AccessClaims? {
        try? accessSigner.verify(token, as: AccessClaims.self, now: now)
    }

}
