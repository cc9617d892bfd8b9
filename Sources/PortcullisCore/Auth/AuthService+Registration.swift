extension AuthService {
    public enum RegisterOutcome: Sendable, Equatable {
        /// New or already registered: the same answer either way (`created` is for the server's own
        /// follow-up, such as the verification mail, never for the client).
        case accepted(created: User?)
        case invalid(String)
        case registrationClosed
        case domainNotAllowed
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
    public func register(
        _ request: RegistrationRequest, bypassRegistrationGate: Bool = false
    ) async throws(AuthError)
        -> RegisterOutcome
    {
        guard configuration.allowRegistration || bypassRegistrationGate else { return .registrationClosed }
        if let problem = Validation.registrationErrors(
            name: request.name, username: request.username, email: request.email, password: request.password,
            confirmPassword: request.confirmPassword, minPasswordLength: configuration.minPasswordLength)
        {
            return .invalid(problem)
        }
        let email = User.normalizeEmail(request.email ?? "")
        guard isDomainAllowed(email) else { return .domainNotAllowed }
        let hash = try await hash(request.password ?? "")
        let now = nowMilliseconds()
        let user = User(
            id: ObjectID.generate(), name: request.name ?? "", username: (request.username ?? "").lowercased(),
            email: email,
            emailVerified: !configuration.emailEnabled, passwordHash: hash, createdAt: now, updatedAt: now)
        if case .created(let created) = await users.create(user) {
            metrics.registrations.increment()
            await audit.record(.userCreated, actor: created.id, subject: created, detail: "registration")
            return .accepted(created: created)
        }
        return .accepted(created: nil)
    }

    public func isDomainAllowed(_ email: String) -> Bool {
        guard !configuration.allowedEmailDomains.isEmpty else { return true }
        guard let at = email.lastIndex(of: "@") else { return false }
        return configuration.allowedEmailDomains.contains(String(email[email.index(after: at)...]).lowercased())
    }
}
