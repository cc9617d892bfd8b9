import Foundation
import PortcullisCrypto
import PortcullisSupport

/// LibreChat's two-factor authentication, made safer: TOTP codes are accepted at most once, the
/// secret is sealed at rest, backup codes are single use and compared in constant time.
extension AuthService {
    /// A second factor as a request carries it: a TOTP code or a backup code.
    public struct SecondFactor: Sendable, Equatable {
        public var code: String?
        public var backupCode: String?

        public init(code: String?, backupCode: String?) {
            self.code = code.flatMap { $0.isEmpty ? nil : $0 }
            self.backupCode = backupCode.flatMap { $0.isEmpty ? nil : $0 }
        }

        public var isEmpty: Bool { code == nil && backupCode == nil }
    }

    /// Checks a second factor against the user's active (or pending) secret and codes; a TOTP step
    /// or a backup code that passes is spent unless `consume` is false. Durable before it answers.
    func check(
        _ factor: SecondFactor, userId: String, target: SecondFactorTarget = .active, consume: Bool = true
    ) async -> Bool {
        let shard = twoFactor.shard(userId)
        let now = nowMilliseconds()
        if let code = factor.code, code.utf8.count <= 16 {
            let (accepted, replay, ticket) = await shard.acceptCode(
                userId, code: code, target: target, key: secretSealingKey, now: now)
            await twoFactor.durable(ticket)
            if replay { metrics.twoFactorReplays.increment() }
            if accepted { return true }
        }
        if let backup = factor.backupCode, backup.utf8.count <= 64 {
            let (accepted, ticket) = await shard.acceptBackupCode(
                userId, code: backup, target: target, consume: consume, now: now)
            await twoFactor.durable(ticket)
            if accepted && consume { metrics.backupCodesUsed.increment() }
            return accepted
        }
        return false
    }

    /// Checks and spends a second factor against the user's active secret and codes (account deletion).
    public func verifySecondFactor(user: User, factor: SecondFactor) async -> Bool {
        user.twoFactorEnabled && !factor.isEmpty ? await check(factor, userId: user.id) : false
    }

    /// Ten backup codes of 8 hex characters, and how they are kept.
    static func makeBackupCodes() -> (plain: [String], stored: [BackupCode]) {
        let plain = (0..<10).map { _ in Hex.encode(SecureRandom.bytes(count: 4)) }
        return (plain, plain.map { BackupCode(hash: BackupCode.hash(of: $0)) })
    }

    func seal(_ secret: [UInt8], userId: String) throws(AuthError) -> [UInt8] {
        do { return try ChaChaPoly.seal(secret, key: secretSealingKey, authenticating: Array(userId.utf8)) } catch {
            throw .signingFailed
        }
    }

    // MARK: Enrolment

    public enum EnableOutcome: Sendable, Equatable {
        case started(otpauthURL: String, backupCodes: [String])
        /// 2FA is on and no valid code was given.
        case verificationRequired
        case invalidCode
    }

    /// `enable`: a new pending secret and backup codes (the live ones stay until `confirm`). When 2FA
    /// is already on, a valid TOTP or backup code is needed first (a backup code is not spent here).
    public func enableTwoFactor(user: User, factor: SecondFactor) async throws(AuthError) -> EnableOutcome {
        if user.twoFactorEnabled {
            guard !factor.isEmpty else { return .verificationRequired }
            let backupOnly = SecondFactor(code: nil, backupCode: factor.backupCode)
            let passed =
                factor.code != nil
                ? await check(factor, userId: user.id) : await check(backupOnly, userId: user.id, consume: false)
            guard passed else { return .invalidCode }
        }
        let secret = SecureRandom.bytes(count: 10)
        let codes = Self.makeBackupCodes()
        var record = await twoFactor.record(userId: user.id) ?? TwoFactorRecord(userId: user.id)
        record.pendingSealedSecret = try seal(secret, userId: user.id)
        record.pendingBackupCodes = codes.stored
        await twoFactor.put(record)
        let issuer = configuration.appTitle.replacingOccurrences(of: " ", with: "")
        let label = PercentEncodingForOTPAuth.label(issuer + ":" + user.email)
        let url =
            "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(PercentEncodingForOTPAuth.label(issuer))"
        return .started(otpauthURL: url, backupCodes: codes.plain)
    }

    public enum TwoFactorStepOutcome: Sendable, Equatable {
        case done
        case notInitiated
        case notEnabled
        case codeRequired
        case invalidCode
    }

    /// `verify`: checks a code against the pending secret, or the live one when nothing is pending.
    public func verifyTwoFactor(user: User, factor: SecondFactor) async -> TwoFactorStepOutcome {
        guard let record = await twoFactor.record(userId: user.id),
            record.pendingSealedSecret != nil || record.sealedSecret != nil
        else { return .notInitiated }
        let target: SecondFactorTarget = record.pendingSealedSecret != nil ? .pending : .active
        return await check(factor, userId: user.id, target: target, consume: target == .active) ? .done : .invalidCode
    }

    /// `confirm`: a TOTP from the pending secret promotes it and its backup codes; 2FA is on.
    public func confirmTwoFactor(user: User, code: String?, client: ClientInfo? = nil) async -> TwoFactorStepOutcome {
        guard var record = await twoFactor.record(userId: user.id), let pending = record.pendingSealedSecret else {
            return .notInitiated
        }
        guard let code, await check(SecondFactor(code: code, backupCode: nil), userId: user.id, target: .pending) else {
            return .invalidCode
        }
        // Re-read: the check above spent the confirming code's step (it cannot sign in afterwards).
        record = await twoFactor.record(userId: user.id) ?? record
        record.sealedSecret = pending
        record.backupCodes = record.pendingBackupCodes
        record.pendingSealedSecret = nil
        record.pendingBackupCodes = []
        await twoFactor.put(record)
        _ = await users.update(id: user.id) { $0.twoFactorEnabled = true }
        await audit.record(.twoFactorEnabled, actor: user.id, subject: user, client: client)
        return .done
    }

    /// `disable`: with a valid code, clears the secret, the codes, the flag and anything pending.
    public func disableTwoFactor(
        user: User, factor: SecondFactor, client: ClientInfo? = nil
    ) async -> TwoFactorStepOutcome {
        guard user.twoFactorEnabled else { return .notEnabled }
        guard !factor.isEmpty else { return .codeRequired }
        guard await check(factor, userId: user.id) else { return .invalidCode }
        await removeTwoFactor(userId: user.id)
        await audit.record(.twoFactorDisabled, actor: user.id, subject: user, client: client)
        return .done
    }

    /// The operator's recovery (`disable-2fa`): 2FA off without a code, and every session ended.
    @discardableResult
    public func resetTwoFactor(email: String, actor: String = AuditEvent.operatorActor) async -> User? {
        guard let user = await users.user(email: email) else { return nil }
        await removeTwoFactor(userId: user.id)
        await sessions.removeAll(userId: user.id)
        await audit.record(.twoFactorDisabled, actor: actor, subject: user, detail: "reset; every session ended")
        return user
    }

    func removeTwoFactor(userId: String) async {
        await twoFactor.remove(userId: userId)
        _ = await users.update(id: userId) { $0.twoFactorEnabled = false }
    }

    public enum RegenerateOutcome: Sendable, Equatable {
        case regenerated(plain: [String], stored: [BackupCode])
        case codeRequired
        case invalidCode
        case notEnabled
    }

    /// New backup codes for an enrolled user, after a valid code.
    public func regenerateBackupCodes(user: User, factor: SecondFactor) async -> RegenerateOutcome {
        guard user.twoFactorEnabled, var record = await twoFactor.record(userId: user.id) else { return .notEnabled }
        guard !factor.isEmpty else { return .codeRequired }
        guard await check(factor, userId: user.id) else { return .invalidCode }
        record = await twoFactor.record(userId: user.id) ?? record
        let codes = Self.makeBackupCodes()
        record.backupCodes = codes.stored
        await twoFactor.put(record)
        return .regenerated(plain: codes.plain, stored: codes.stored)
    }

    // MARK: The second step of a login

    /// The temporary token a login with 2FA on answers with (LibreChat's shape, five minutes).
    func twoFactorTempToken(for user: User) throws(AuthError) -> String {
        let now = nowMilliseconds() / 1000
        return try signAccessSecret(
            TwoFactorTempClaims(userId: user.id, twoFAPending: true, iat: now, exp: now + TwoFactorTempClaims.lifetime))
    }

    /// The enrolment-only token of a user `REQUIRE_2FA` holds back.
    func twoFactorSetupToken(for user: User) throws(AuthError) -> String {
        let now = nowMilliseconds() / 1000
        return try signAccessSecret(
            TwoFactorSetupClaims(
                userId: user.id, twoFASetupRequired: true, iat: now, exp: now + TwoFactorSetupClaims.lifetime))
    }

    /// The user behind `Authorization: Bearer <setup token>`, if it verifies.
    public func authenticateSetup(authorization: String?) async -> User? {
        guard let authorization, authorization.hasPrefix("Bearer "), authorization.utf8.count <= 4096,
            let claims = verifyAccessSecret(
                String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces),
                as: TwoFactorSetupClaims.self),
            claims.twoFASetupRequired
        else { return nil }
        return await users.user(id: claims.userId)
    }

    /// The user a temporary token names, if it verifies (signature, expiry, `twoFAPending`).
    public func twoFactorTempUserId(_ token: String?) -> String? {
        guard let token, token.utf8.count <= 2048, let claims = verifyAccessSecret(token, as: TwoFactorTempClaims.self),
            claims.twoFAPending
        else { return nil }
        return claims.userId
    }

    public enum SecondStepOutcome: Sendable {
        case success(IssuedTokens)
        case missingToken
        case invalidToken
        case notEnabled
        case invalidCode
    }

    /// `verify-temp`: the temporary token and a valid second factor start the session.
    public func completeTwoFactorLogin(
        tempToken: String?, factor: SecondFactor, client: ClientInfo? = nil, deviceCookie: String? = nil
    ) async throws(AuthError) -> SecondStepOutcome {
        guard let tempToken, !tempToken.isEmpty else { return .missingToken }
        guard let userId = twoFactorTempUserId(tempToken), let user = await users.user(id: userId) else {
            return .invalidToken
        }
        guard user.twoFactorEnabled else { return .notEnabled }
        guard await check(factor, userId: user.id) else {
            metrics.twoFactorLoginsFailed.increment()
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, subject: user, client: client, detail: "2fa_code")
            return .invalidCode
        }
        metrics.twoFactorLoginsSucceeded.increment()
        let usedBackup = factor.code == nil
        await audit.record(
            usedBackup ? .backupCodeUsed : .twoFactorUsed, actor: user.id, subject: user, client: client,
            detail: "sign-in")
        return .success(
            try await completeSignIn(
                user, client: client, deviceCookie: deviceCookie,
                method: usedBackup ? "password+backup_code" : "password+totp"))
    }
}

/// Percent-encoding of an otpauth label or issuer (`:` kept, as authenticator apps expect).
enum PercentEncodingForOTPAuth {
    static func label(_ text: String) -> String {
        text.split(separator: ":", omittingEmptySubsequences: false).map { PercentEncoding.component(String($0)) }
            .joined(separator: ":")
    }
}

// MARK: Import

extension AuthService {
    /// An imported user's second factor as it will be kept: a secret in clear (read from another
    /// deployment) is sealed now; one already sealed (an export of this deployment) must open with
    /// this deployment's key. `nil` when it does not.
    public func importedTwoFactorRecord(
        userId: String, plainSecret: [UInt8]?, sealedSecret: [UInt8]?, backupCodes: [BackupCode]
    )
        throws(AuthError) -> TwoFactorRecord?
    {
        let sealed: [UInt8]
        if let plainSecret {
            sealed = try seal(plainSecret, userId: userId)
        } else if let sealedSecret,
            (try? ChaChaPoly.open(sealedSecret, key: secretSealingKey, authenticating: Array(userId.utf8))) != nil
        {
            sealed = sealedSecret
        } else {
            return nil
        }
        return TwoFactorRecord(userId: userId, sealedSecret: sealed, backupCodes: backupCodes)
    }
}
