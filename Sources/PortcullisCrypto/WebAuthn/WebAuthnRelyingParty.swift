/// The relying party's side of WebAuthn Level 2 ceremonies (§7.1 registration, §7.2 assertion):
/// every check that needs no stored state. The caller finds the challenge it issued (from
/// ``ClientData/challenge``), the credential and its counter, and keeps what these return.
///
/// ```swift
/// let party = WebAuthnRelyingParty(id: "example.com", origins: ["https://example.com"])
/// let clientData = try ClientData(json: clientDataJSON)
/// // … look up and spend the challenge clientData.challenge names …
/// let credential = try party.verifyRegistration(clientData: clientData, attestationObject: object, challenge: issued)
/// ```
public struct WebAuthnRelyingParty: Sendable {
    /// The RP ID: a domain the origins are equal to or under.
    public let id: String
    /// The page origins ceremonies may run on (`https://host[:port]`), compared exactly.
    public let origins: [String]
    let idHash: [UInt8]

    public init(id: String, origins: [String]) {
        self.id = id
        self.origins = origins
        idHash = SHA256.hash(data: Array(id.utf8)).bytes
    }

    /// A credential as registration leaves it.
    public struct Registration: Sendable {
        public var credentialID: [UInt8]
        public var publicKey: COSEKey
        public var publicKeyBytes: [UInt8]
        public var signCount: UInt32
        public var backupEligible: Bool
        public var backedUp: Bool
        public var aaguid: [UInt8]
        public var attestationFormat: String
    }

    /// What an assertion changes in the stored credential.
    public struct Assertion: Sendable {
        public var signCount: UInt32
        public var backedUp: Bool
    }

    /// Checks a `navigator.credentials.create()` response against the challenge that was issued.
    /// User verification is required; only ES256 and RS256 keys are accepted.
    public func verifyRegistration(
        clientData: ClientData, attestationObject: [UInt8], challenge: [UInt8]
    ) throws(WebAuthnError) -> Registration {
        try check(clientData, type: "webauthn.create", challenge: challenge)
        let object = try AttestationObject(bytes: attestationObject)
        let data = object.authenticatorData
        try check(data)
        guard let credential = data.attestedCredential else {
            throw .malformed("registration without attested credential data")
        }
        return Registration(
            credentialID: credential.credentialID, publicKey: credential.publicKey,
            publicKeyBytes: credential.publicKeyBytes, signCount: data.signCount,
            backupEligible: data.isBackupEligible, backedUp: data.isBackedUp, aaguid: credential.aaguid,
            attestationFormat: object.format)
    }

    /// Checks a `navigator.credentials.get()` response: the challenge, origin, RP ID, user presence
    /// and verification, the signature over `authenticatorData ‖ SHA-256(clientDataJSON)` with the
    /// credential's key, and that the counter grew (when either side counts at all).
    /// - Parameter backupEligible: as registered; the flag may not change afterwards (§6.1.3).
    public func verifyAssertion(
        clientData: ClientData, authenticatorData: [UInt8], signature: [UInt8], challenge: [UInt8],
        publicKey: COSEKey, storedSignCount: UInt32, backupEligible: Bool
    ) throws(WebAuthnError) -> Assertion {
        try check(clientData, type: "webauthn.get", challenge: challenge)
        let data = try AuthenticatorData(bytes: authenticatorData)
        guard data.attestedCredential == nil else { throw .malformed("assertion with attested credential data") }
        try check(data)
        guard data.isBackupEligible == backupEligible else {
            throw .authenticatorDataMismatch("backup eligibility changed")
        }
        guard signature.count <= 1024,
            publicKey.isValidSignature(signature, for: authenticatorData + SHA256.hash(data: clientData.bytes).bytes)
        else { throw .invalidSignature }
        guard Self.counterAdvances(from: storedSignCount, to: data.signCount) else {
            throw .counterRegression(stored: storedSignCount, presented: data.signCount)
        }
        return Assertion(signCount: data.signCount, backedUp: data.isBackedUp)
    }

    /// Whether a signature counter may follow `stored`: it grows, or the authenticator counts not at
    /// all (zero both times, as synced passkeys do).
    public static func counterAdvances(from stored: UInt32, to presented: UInt32) -> Bool {
        presented > stored || (presented == 0 && stored == 0)
    }

    func check(_ clientData: ClientData, type: String, challenge: [UInt8]) throws(WebAuthnError) {
        guard clientData.type == type else { throw .clientDataMismatch("type \(clientData.type.prefix(32))") }
        guard ConstantTime.equals(clientData.challenge, challenge) else { throw .clientDataMismatch("challenge") }
        guard origins.contains(clientData.origin) else {
            throw .clientDataMismatch("origin \(clientData.origin.prefix(64))")
        }
        guard !clientData.crossOrigin else { throw .clientDataMismatch("cross-origin frame") }
    }

    func check(_ data: AuthenticatorData) throws(WebAuthnError) {
        guard ConstantTime.equals(data.rpIDHash, idHash) else { throw .authenticatorDataMismatch("RP ID hash") }
        guard data.isUserPresent else { throw .authenticatorDataMismatch("user not present") }
        guard data.isUserVerified else { throw .authenticatorDataMismatch("user not verified") }
    }
}
