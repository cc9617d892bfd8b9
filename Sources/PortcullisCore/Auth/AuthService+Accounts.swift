extension AuthService {
    /// Whether `user` may delete their own account (`ALLOW_ACCOUNT_DELETION`, admins always).
    public func mayDeleteAccount(_ user: User) -> Bool {
        configuration.allowAccountDeletion || user.role == Role.admin
    }

    /// Deletes a user and every session of theirs.
    @discardableResult
    public func deleteUser(id: String) async -> User? {
        guard let removed = await users.delete(id: id) else { return nil }
        await sessions.removeAll(userId: id)
        return removed
    }

    public enum AdminCreateOutcome: Sendable, Equatable {
        case created(User)
        case exists
        case invalid(String)
    }

    /// `create-user`: validation and the first-user rule as registration, but not gated by
    /// `ALLOW_REGISTRATION`, with a trusted provider and verification flag.
    public func createUser(
        email: String, name: String, username: String, password: String, emailVerified: Bool, provider: String
    ) async throws(AuthError) -> AdminCreateOutcome {
        if let problem = Validation.registrationErrors(
            name: name, username: username, email: email, password: password, confirmPassword: password,
            minPasswordLength: configuration.minPasswordLength)
        {
            return .invalid(problem)
        }
        let hash = try await hash(password)
        let now = nowMilliseconds()
        let user = User(
            id: ObjectID.generate(), name: name, username: username.lowercased(), email: User.normalizeEmail(email),
            emailVerified: emailVerified || !configuration.emailEnabled, passwordHash: hash, provider: provider,
            createdAt: now, updatedAt: now)
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
    }

    /// `reset-password`: sets a new password (registration rules) and ends every session.
    public func setPassword(email: String, password: String) async throws(AuthError) -> PasswordChangeOutcome {
        guard let user = await users.user(email: email) else { return .noSuchUser }
        return try await setPassword(id: user.id, password: password)
    }

    /// Sets a new password (registration rules), ends every session of the user and revokes the
    /// trust of every device cookie issued so far.
    public func setPassword(id: String, password: String) async throws(AuthError) -> PasswordChangeOutcome {
        if let problem = Validation.passwordIssues("password", password, min: configuration.minPasswordLength).first {
            return .invalid(problem)
        }
        guard let user = await users.user(id: id) else { return .noSuchUser }
        let hash = try await hash(password)
        let now = nowMilliseconds()
        _ = await users.update(id: user.id) {
            $0.passwordHash = hash
            $0.updatedAt = now
            $0.devicesRevokedAt = now
        }
        return .changed(sessionsEnded: await sessions.removeAll(userId: user.id))
    }

    /// Records that the user accepted the terms now; the updated user, or `nil` when gone.
    public func acceptTerms(userId: String) async -> User? {
        let now = nowMilliseconds()
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
