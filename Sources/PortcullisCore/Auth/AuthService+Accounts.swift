import Foundation

extension AuthService {
    /// Whether `user` may delete their own account (`ALLOW_ACCOUNT_DELETION`, admins always).
    public func mayDeleteAccount(_ user: User) -> Bool {
        configuration.allowAccountDeletion || user.role == Role.admin
    }

    /// Deletes a user and every session of theirs.
    @discardableResult
    /// - Parameter actor: who deleted it (audited): the user themself, an admin's id, `operator`.
    public func deleteUser(id: String, actor: String? = nil) async -> User? {
        guard let removed = await users.delete(id: id) else { return nil }
        await sessions.removeAll(userId: id)
        await passkeys.removeAll(userId: id)
        await audit.record(.userDeleted, actor: actor ?? id, subject: removed)
        return removed
    }

    public enum AdminCreateOutcome: Sendable, Equatable {
        case created(User)
        case exists
        case invalid(String)
    }

    /// `create-user`: validation and the first-user rule as registration, but not gated by
    /// `ALLOW_REGISTRATION`, with a trusted provider and verification flag.
    /// - Parameter actor: who created it (audited): an admin's id, `operator`, or `system` (first run).
    public func createUser(
        email: String, name: String, username: String, password: String, emailVerified: Bool, provider: String,
        actor: String = AuditEvent.operatorActor
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
            await audit.record(.userCreated, actor: actor, subject: created)
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
        return try await setPassword(id: user.id, password: password, actor: AuditEvent.operatorActor)
    }

    /// Sets a new password (registration rules), ends every session of the user and revokes the
    /// trust of every device cookie issued so far.
    /// - Parameter actor: who set it (audited as a reset): the user (a mailed link), an admin, `operator`.
    public func setPassword(
        id: String, password: String, actor: String? = nil, client: ClientInfo? = nil
    ) async throws(AuthError) -> PasswordChangeOutcome {
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
        let ended = await sessions.removeAll(userId: user.id)
        await audit.record(
            .passwordReset, actor: actor ?? user.id, subject: user, client: client, detail: "\(ended) session(s) ended")
        return .changed(sessionsEnded: ended)
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

// MARK: The account page

extension AuthService {
    public enum ProfileOutcome: Sendable, Equatable {
        case updated(User)
        case invalid(String)
        case gone
    }

    /// Name and username, with registration's rules, and the avatar URL (`nil` leaves it, empty clears it).
    public func updateProfile(
        userId: String, name: String?, username: String?, avatar: String? = nil
    ) async -> ProfileOutcome {
        let name = (name ?? "").trimmingCharacters(in: .whitespaces)
        let username = (username ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let avatar = avatar?.trimmingCharacters(in: .whitespaces)
        var issues = Validation.nameIssues(name: name, username: username)
        if let avatar, !avatar.isEmpty, !Validation.isAvatarURL(avatar) {
            issues.append("avatar: Expected an https URL of at most 2048 characters")
        }
        if !issues.isEmpty { return .invalid(issues.joined(separator: " ")) }
        let now = nowMilliseconds()
        guard
            let user = await users.update(
                id: userId,
                {
                    $0.name = name
                    $0.username = username
                    if let avatar { $0.avatar = avatar.isEmpty ? nil : avatar }
                    $0.updatedAt = now
                })
        else {
            return .gone
        }
        return .updated(user)
    }

    public enum ChangePasswordOutcome: Sendable, Equatable {
        /// Changed: every other session ended, every device cookie revoked (the caller gets a new one).
        case changed(sessionsEnded: Int, deviceCookie: String)
        case wrongPassword
        case invalid(String)
        /// A social-only account has no password to change.
        case noPassword
    }

    /// Changes the password of a signed-in user who proves the current one; the session that asked
    /// stays, every other ends.
    public func changePassword(
        userId: String, keepSession sessionId: String, current: String?, new password: String?,
        confirm: String?, client: ClientInfo? = nil
    ) async throws(AuthError) -> ChangePasswordOutcome {
        guard let user = await users.user(id: userId), let stored = user.passwordHash else { return .noPassword }
        let password = password ?? ""
        var issues = Validation.passwordIssues("password", password, min: configuration.minPasswordLength)
        if let confirm, confirm != password { issues.append("confirm_password: The passwords did not match") }
        if !issues.isEmpty { return .invalid(issues.joined(separator: " ")) }
        guard try await verify(current ?? "", against: stored) else {
            await audit.record(
                .passwordChanged, .failed, actor: user.id, subject: user, client: client,
                detail: "wrong current password")
            return .wrongPassword
        }
        let hash = try await hash(password)
        let now = nowMilliseconds()
        _ = await users.update(id: userId) {
            $0.passwordHash = hash
            $0.updatedAt = now
            $0.devicesRevokedAt = now
        }
        var ended = 0
        for session in await sessions.sessions(userId: userId) where session.id != sessionId {
            if await sessions.remove(id: session.id, userId: userId) != nil { ended += 1 }
        }
        metrics.deviceCookiesIssued.increment()
        await audit.record(
            .passwordChanged, actor: user.id, subject: user, client: client, detail: "\(ended) other session(s) ended")
        return .changed(sessionsEnded: ended, deviceCookie: deviceCookies.issue(userId: userId, now: now + 1))
    }
}
