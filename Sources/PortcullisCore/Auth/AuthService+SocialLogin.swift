/// A user as a social or OpenID provider vouches for it, mapped to LibreChat's fields as its
/// social-login strategies do.
public struct SocialIdentity: Sendable, Equatable {
    /// `google`, `github`, ..., `openid`.
    public var provider: String
    public var id: String
    /// OpenID: the issuer the id belongs to.
    public var issuer: String?
    public var email: String?
    public var emailVerified: Bool
    public var username: String
    public var name: String
    public var avatar: String?
    /// true: grant ADMIN, false: take it away, nil: leave the role alone (`OPENID_ADMIN_ROLE`).
    public var admin: Bool?
    /// OpenID: the validated id_token, kept with the session for logout's `id_token_hint`.
    public var idToken: String?

    public init(
        provider: String, id: String, issuer: String? = nil, email: String?, emailVerified: Bool,
        username: String, name: String, avatar: String? = nil, admin: Bool? = nil, idToken: String? = nil
    ) {
        self.provider = provider
        self.id = id
        self.issuer = issuer
        self.email = email
        self.emailVerified = emailVerified
        self.username = username
        self.name = name
        self.avatar = avatar
        self.admin = admin
        self.idToken = idToken
    }

    /// Names cut to registration's 80 characters; an avatar kept only if ``Validation/isAvatarURL(_:)``.
    var bounded: SocialIdentity {
        var copy = self
        copy.name = String(name.prefix(80))
        copy.username = String(username.prefix(80))
        if let avatar, !Validation.isAvatarURL(avatar) { copy.avatar = nil }
        return copy
    }

    /// The user field holding this provider's id (`googleId`).
    public var field: String { provider + "Id" }
}

/// What a social login may do besides signing in an account that already belongs to the provider.
public struct SocialLoginPolicy: Sendable {
    /// `ALLOW_SOCIAL_REGISTRATION`: create accounts for unknown users.
    public var allowRegistration: Bool
    /// `<PROVIDER>_ALLOW_ACCOUNT_LINKING`: attach the provider to an account of another kind with the
    /// same email, when both the provider's email and the account's are verified.
    public var allowLinking: Bool

    public init(allowRegistration: Bool, allowLinking: Bool) {
        self.allowRegistration = allowRegistration
        self.allowLinking = allowLinking
    }
}

extension AuthService {
    /// How a social login ended; every refusal is `auth_failed` for the browser, the reason goes to the log.
    public enum SocialLoginOutcome: Sendable {
        case success(IssuedTokens)
        case refused(String)
        /// The account is banned until then (ms): no session was started.
        case banned(until: Int64)
        /// The account has 2FA on: the login ends at the second step, with this temporary token.
        case twoFactorPending(tempToken: String)
    }

    /// Finds the account for a provider's identity (by provider id, then by email), links or creates
    /// it when the policy allows, updates what the provider owns, and starts a session.
    /// The first user is never promoted to ADMIN this way (LibreChat's rule for social users).
    /// - Parameter banExpiry: the end of a ban on the account, checked before any session starts.
    public func socialLogin(
        _ identity: SocialIdentity, policy: SocialLoginPolicy,
        banExpiry: @escaping @Sendable (String) async -> Int64? = { _ in nil }, client: ClientInfo? = nil
    ) async throws(AuthError)
        -> SocialLoginOutcome
    {
        // Profile text is the provider's (or, for Apple's first-login name, the browser's): bounded
        // like registration's fields, and an oversized avatar URL is dropped rather than stored.
        let identity = identity.bounded
        guard !identity.id.isEmpty, identity.id.utf8.count <= 256 else {
            return .refused("provider id missing or too long")
        }
        let signIn: @Sendable (User) async throws(AuthError) -> SocialLoginOutcome = { [self] user throws(AuthError) in
            if let expiry = await banExpiry(user.id) { return .banned(until: expiry) }
            if user.twoFactorEnabled { return .twoFactorPending(tempToken: try twoFactorTempToken(for: user)) }
            metrics.loginsSucceeded.increment()
            return .success(
                try await startSession(
                    for: user, idToken: identity.idToken, client: client, method: "provider:" + identity.provider))
        }
        let email = identity.email.map(User.normalizeEmail)
        if let email, !Self.isUsableEmailKey(email) { return .refused("provider sent an unusable email") }
        if let email, !isDomainAllowed(email) { return .refused("Email domain not allowed") }
        let now = nowMilliseconds()
        let refresh: @Sendable (inout User) -> Void = { user in
            // The provider's picture replaces the avatar of its own accounts (or fills an empty one),
            // never a linked account's own or a manually chosen one.
            if let avatar = identity.avatar, user.provider == identity.provider || user.avatar == nil,
                !(user.avatar ?? "").contains("?manual=true")
            {
                user.avatar = avatar
            }
            if identity.provider == "openid" && user.provider == "openid" {
                // Every OpenID login rewrites what the provider owns.
                user.username = identity.username
                user.name = identity.name
                user.openidIssuer = identity.issuer
            }
            switch identity.admin {
            case true?: user.role = Role.admin
            case false? where user.role == Role.admin: user.role = Role.user
            default: break
            }
            user.updatedAt = now
        }

        if let found = await users.user(providerField: identity.field, value: identity.id) {
            if identity.provider == "openid", let stored = found.openidIssuer, let issuer = identity.issuer,
                Self.normalizedIssuer(stored) != Self.normalizedIssuer(issuer)
            {
                return .refused("account belongs to another OpenID issuer")
            }
            guard let user = await users.update(id: found.id, refresh) else { return .refused("account vanished") }
            return try await signIn(user)
        }
        guard let email else { return .refused("provider sent no email") }
        if let found = await users.user(email: email) {
            if let held = found.providerIds[identity.field], held != identity.id {
                return .refused("account holds another \(identity.field)")
            }
            let sameProvider = found.provider == identity.provider
            guard sameProvider || (policy.allowLinking && identity.emailVerified && found.emailVerified) else {
                return .refused("account of provider \(found.provider); linking not allowed")
            }
            let link: @Sendable (inout User) -> Void = { user in
                refresh(&user)
                if identity.provider == "openid" { user.openidIssuer = identity.issuer }
            }
            guard let user = await users.link(id: found.id, field: identity.field, value: identity.id, link) else {
                return .refused("provider id taken")
            }
            return try await signIn(user)
        }
        guard policy.allowRegistration else { return .refused("Social registration is disabled") }
        let user = User(
            id: ObjectID.generate(), name: identity.name, username: identity.username, email: email,
            emailVerified: identity.emailVerified, passwordHash: nil, avatar: identity.avatar,
            provider: identity.provider,
            role: identity.admin == true ? Role.admin : Role.user, providerIds: [identity.field: identity.id],
            openidIssuer: identity.provider == "openid" ? identity.issuer : nil, createdAt: now, updatedAt: now)
        guard case .created(let created) = await users.create(user, promoteFirstToAdmin: false) else {
            return .refused("email or provider id taken meanwhile")
        }
        metrics.registrations.increment()
        return try await signIn(created)
    }

    /// An OpenID email claim may fall back to `preferred_username`, so it need not look like an
    /// address; it must still be a sane index key (no controls or spaces, bounded).
    static func isUsableEmailKey(_ email: String) -> Bool {
        !email.isEmpty && email.utf8.count <= 254
            && !email.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7f }
    }

    /// Trailing slashes and a discovery suffix do not make another issuer (LibreChat's rule).
    static func normalizedIssuer(_ issuer: String) -> Substring {
        var value = Substring(issuer)
        if value.hasSuffix("/.well-known/openid-configuration") {
            value = value.dropLast("/.well-known/openid-configuration".count)
        }
        while value.hasSuffix("/") { value = value.dropLast() }
        return value
    }
}
