import Foundation
import PortcullisCrypto

/// Passkeys (WebAuthn Level 2): registration by a signed-in user, sign-in with a discoverable
/// credential or after the email, rename and removal. User verification is always required, so a
/// passkey sign-in is two factors in one (something held, and the PIN or biometric that unlocked it)
/// and needs no TOTP step. A passkey is not guessable, so the password lockout does not hold it back.
extension AuthService {
    /// The ceremony's timeout the browser is given (the challenge lives a little longer).
    public static let passkeyTimeout: Int64 = 120_000

    /// What `navigator.credentials.create()` is called with.
    public struct PasskeyCreationOptions: Sendable {
        public var challenge: [UInt8]
        public var rpID: String
        public var rpName: String
        /// The WebAuthn user handle: the user id's bytes (no personal data).
        public var userHandle: [UInt8]
        public var userName: String
        public var displayName: String
        /// The account's credentials, so an authenticator that holds one already says so.
        public var excludeCredentials: [[UInt8]]
    }

    /// What `navigator.credentials.get()` is called with.
    public struct PasskeyRequestOptions: Sendable {
        public var challenge: [UInt8]
        public var rpID: String
        /// Empty for a discoverable sign-in; after an email, that account's credentials.
        public var allowCredentials: [[UInt8]]
    }

    /// Options to register a new passkey for `user`; `nil` when passkeys are unavailable (RP ID an IP address).
    public func passkeyRegistrationOptions(user: User) async -> PasskeyCreationOptions? {
        guard let party = configuration.relyingParty else { return nil }
        let existing = await passkeys.passkeys(userId: user.id).map(\.credentialID)
        return PasskeyCreationOptions(
            challenge: passkeyChallenges.issue(.registration, subject: user.id), rpID: party.id,
            rpName: configuration.appTitle, userHandle: Array(user.id.utf8), userName: user.email,
            displayName: user.name.isEmpty ? user.email : user.name, excludeCredentials: existing)
    }

    public enum PasskeyRegistrationOutcome: Sendable {
        case added(Passkey)
        case unavailable
        /// The response failed a check: the reason is for logs, not for users.
        case refused(WebAuthnError)
        case invalidName
        case exists
        case tooMany
    }

    /// Verifies a `create()` response for `user` and keeps the credential, durably.
    public func registerPasskey(
        user: User, name: String?, clientDataJSON: [UInt8], attestationObject: [UInt8], client: ClientInfo? = nil
    ) async -> PasskeyRegistrationOutcome {
        guard let party = configuration.relyingParty else { return .unavailable }
        guard let trimmed = Validation.singleLine(name, maximumLength: Passkey.maximumNameLength) else {
            return .invalidName
        }
        let registration: WebAuthnRelyingParty.Registration
        do {
            let clientData = try ClientData(json: clientDataJSON)
            guard passkeyChallenges.redeem(clientData.challenge, .registration, subject: user.id) else {
                return .refused(.clientDataMismatch("challenge unknown, expired or used"))
            }
            registration = try party.verifyRegistration(
                clientData: clientData, attestationObject: attestationObject, challenge: clientData.challenge)
        } catch {
            return .refused(error)
        }
        let count = await passkeys.passkeys(userId: user.id).count
        let passkey = Passkey(
            credentialID: registration.credentialID, userId: user.id, publicKey: registration.publicKeyBytes,
            name: trimmed.isEmpty ? "Passkey \(count + 1)" : trimmed, signCount: registration.signCount,
            backupEligible: registration.backupEligible, backedUp: registration.backedUp,
            aaguid: registration.aaguid, createdAt: nowMilliseconds())
        switch await passkeys.add(passkey) {
        case .added:
            await audit.record(.passkeyAdded, actor: user.id, subject: user, client: client, detail: passkey.name)
            return .added(passkey)
        case .exists: return .exists
        case .tooMany: return .tooMany
        }
    }

    /// Options to sign in with a passkey. With an email, the account's credentials are listed — and
    /// for an email without an account or without passkeys, one stable made-up credential, so the
    /// answer does not tell which emails have accounts.
    public func passkeyLoginOptions(email: String?) async -> PasskeyRequestOptions? {
        guard let party = configuration.relyingParty else { return nil }
        let subject = email.map(User.normalizeEmail) ?? ""
        var allowed: [[UInt8]] = []
        if !subject.isEmpty {
            if let user = await users.user(email: subject) {
                allowed = await passkeys.passkeys(userId: user.id).map(\.credentialID)
            }
            if allowed.isEmpty { allowed = [decoyCredentialID(subject)] }
        }
        return PasskeyRequestOptions(
            challenge: passkeyChallenges.issue(.authentication, subject: subject), rpID: party.id,
            allowCredentials: allowed)
    }

    func decoyCredentialID(_ email: String) -> [UInt8] {
        HMAC<SHA256>.authenticationCode(
            for: Array(("portcullis passkey decoy v1 " + email).utf8),
            using: SymmetricKey(data: configuration.jwtSecret)
        ).bytes
    }

    /// Whether `REQUIRE_2FA` still holds `user` back: neither TOTP nor a passkey (a passkey sign-in
    /// is two factors in one). A password login asks for TOTP enrolment regardless (it is one factor).
    public func needsSecondFactor(_ user: User) async -> Bool {
        guard configuration.requireTwoFactor.requiresSetup(user) else { return false }
        return await passkeys.passkeys(userId: user.id).isEmpty
    }

    /// A `get()` response as a sign-in form posts it.
    public struct PasskeyAssertion: Sendable {
        public var credentialID: [UInt8]
        public var clientDataJSON: [UInt8]
        public var authenticatorData: [UInt8]
        public var signature: [UInt8]
        /// Present for discoverable credentials: the user id's bytes.
        public var userHandle: [UInt8]?
        /// The email a sign-in started with, if it did.
        public var email: String?

        public init(
            credentialID: [UInt8], clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8],
            userHandle: [UInt8]?, email: String?
        ) {
            self.credentialID = credentialID
            self.clientDataJSON = clientDataJSON
            self.authenticatorData = authenticatorData
            self.signature = signature
            self.userHandle = userHandle.flatMap { $0.isEmpty ? nil : $0 }
            self.email = email.flatMap { $0.isEmpty ? nil : User.normalizeEmail($0) }
        }
    }

    public enum PasskeyLoginOutcome: Sendable {
        case success(IssuedTokens)
        case unavailable
        /// A check failed (the reason is for logs; the user is told the passkey was not accepted).
        case refused(WebAuthnError)
        case unverified
        /// The account is banned until then (ms).
        case banned(until: Int64)
    }

    /// Verifies a passkey assertion and starts a session.
    /// - Parameter banExpiry: the end of a ban on the account the passkey proved, checked before any
    ///   session starts (as for social logins).
    public func passkeyLogin(
        _ assertion: PasskeyAssertion, client: ClientInfo? = nil, deviceCookie: String? = nil,
        banExpiry: @Sendable (String) async -> Int64? = { _ in nil }
    ) async throws(AuthError) -> PasskeyLoginOutcome {
        guard let party = configuration.relyingParty else { return .unavailable }
        let outcome = await verifyPasskeyAssertion(assertion, party: party)
        guard case .success(let user) = outcome else {
            metrics.passkeyLoginsFailed.increment()
            let reason: WebAuthnError = if case .failure(let error) = outcome { error } else { .invalidSignature }
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, email: assertion.email, client: client,
                detail: "passkey: \(reason)")
            return .refused(reason)
        }
        if !user.emailVerified && !configuration.allowUnverifiedEmailLogin {
            metrics.passkeyLoginsFailed.increment()
            await audit.record(
                .signIn, .failed, actor: AuditEvent.anonymousActor, subject: user, client: client, detail: "unverified")
            return .unverified
        }
        if let expiry = await banExpiry(user.id) { return .banned(until: expiry) }
        metrics.passkeyLoginsSucceeded.increment()
        return .success(try await completeSignIn(user, client: client, deviceCookie: deviceCookie, method: "passkey"))
    }

    func verifyPasskeyAssertion(
        _ assertion: PasskeyAssertion, party: WebAuthnRelyingParty
    ) async -> Result<User, WebAuthnError> {
        do throws(WebAuthnError) {
            let clientData = try ClientData(json: assertion.clientDataJSON)
            guard passkeyChallenges.redeem(clientData.challenge, .authentication, subject: assertion.email ?? "") else {
                throw .clientDataMismatch("challenge unknown, expired or used")
            }
            var user: User?
            if let handle = assertion.userHandle {
                guard handle.count <= 64, let id = String(validating: handle, as: UTF8.self) else {
                    throw .malformed("user handle")
                }
                user = await users.user(id: id)
            }
            if let email = assertion.email {
                // A sign-in that started with an email ends with that account or not at all.
                let named = await users.user(email: email)
                if assertion.userHandle == nil { user = named } else if named?.id != user?.id { user = nil }
            }
            guard let user, let passkey = await passkeys.passkey(userId: user.id, credentialID: assertion.credentialID)
            else { throw .clientDataMismatch("no such credential for the account") }
            let key = try COSEKey(bytes: passkey.publicKey)
            let verified = try party.verifyAssertion(
                clientData: clientData, authenticatorData: assertion.authenticatorData,
                signature: assertion.signature, challenge: clientData.challenge, publicKey: key,
                storedSignCount: passkey.signCount, backupEligible: passkey.backupEligible)
            guard
                await passkeys.recordUse(
                    userId: user.id, credentialID: passkey.credentialID, signCount: verified.signCount,
                    backedUp: verified.backedUp, at: nowMilliseconds()) != nil
            else { throw .counterRegression(stored: passkey.signCount, presented: verified.signCount) }
            return .success(user)
        } catch {
            return .failure(error)
        }
    }

    public enum PasskeyChangeOutcome: Sendable, Equatable {
        case done
        case notFound
        case invalidName
    }

    /// Renames one of `user`'s passkeys.
    public func renamePasskey(user: User, id: String, name: String?) async -> PasskeyChangeOutcome {
        guard let trimmed = Validation.singleLine(name, maximumLength: Passkey.maximumNameLength), !trimmed.isEmpty
        else { return .invalidName }
        guard let credentialID = Base64URL.decode(id),
            await passkeys.rename(userId: user.id, credentialID: credentialID, to: trimmed) != nil
        else { return .notFound }
        return .done
    }

    /// Removes one of `user`'s passkeys.
    public func removePasskey(
        user: User, id: String, actor: String? = nil, client: ClientInfo? = nil
    ) async -> PasskeyChangeOutcome {
        guard let credentialID = Base64URL.decode(id),
            let removed = await passkeys.remove(userId: user.id, credentialID: credentialID)
        else { return .notFound }
        await audit.record(
            .passkeyRemoved, actor: actor ?? user.id, subject: user, client: client, detail: removed.name)
        return .done
    }
}
