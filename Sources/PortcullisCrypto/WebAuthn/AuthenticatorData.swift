/// The authenticator data a WebAuthn signature covers (WebAuthn Level 2 §6.1): the RP ID hash,
/// flags, the signature counter and, at registration, the new credential with its public key.
/// Parsed whole: a byte left over, a flag without its data or data without its flag is refused.
public struct AuthenticatorData: Sendable {
    public var rpIDHash: [UInt8]
    public var flags: UInt8
    public var signCount: UInt32
    public var attestedCredential: AttestedCredential?
    /// The raw bytes, as signed.
    public var bytes: [UInt8]

    /// A credential created at registration.
    public struct AttestedCredential: Sendable {
        public var aaguid: [UInt8]
        public var credentialID: [UInt8]
        public var publicKey: COSEKey
        /// The COSE_Key bytes, as kept with the credential.
        public var publicKeyBytes: [UInt8]
    }

    public static let userPresent: UInt8 = 0x01
    public static let userVerified: UInt8 = 0x04
    public static let backupEligible: UInt8 = 0x08
    public static let backedUp: UInt8 = 0x10
    static let attestedCredentialIncluded: UInt8 = 0x40
    static let extensionsIncluded: UInt8 = 0x80
    /// Credential IDs are at most 1023 bytes (§5.8.3).
    public static let maximumCredentialIDLength = 1023

    public var isUserPresent: Bool { flags & Self.userPresent != 0 }
    public var isUserVerified: Bool { flags & Self.userVerified != 0 }
    public var isBackupEligible: Bool { flags & Self.backupEligible != 0 }
    public var isBackedUp: Bool { flags & Self.backedUp != 0 }

    public init(bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37, bytes.count <= 4096 else {
            throw .malformed("authenticator data of \(bytes.count) bytes")
        }
        self.bytes = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = bytes[32]
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        guard flags & Self.backedUp == 0 || flags & Self.backupEligible != 0 else {
            throw .malformed("backed up but not backup eligible")
        }
        var offset = 37
        if flags & Self.attestedCredentialIncluded != 0 {
            guard bytes.count >= offset + 18 else { throw .malformed("attested credential data cut short") }
            let aaguid = Array(bytes[offset..<offset + 16])
            let length = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard length >= 1, length <= Self.maximumCredentialIDLength, bytes.count >= offset + length else {
                throw .malformed("credential ID of \(length) bytes")
            }
            let credentialID = Array(bytes[offset..<offset + length])
            offset += length
            let (key, end) = try CBOR.decodePrefix(bytes, from: offset)
            attestedCredential = AttestedCredential(
                aaguid: aaguid, credentialID: credentialID, publicKey: try COSEKey(key),
                publicKeyBytes: Array(bytes[offset..<end]))
            offset = end
        }
        if flags & Self.extensionsIncluded != 0 {
            let (extensions, end) = try CBOR.decodePrefix(bytes, from: offset)
            guard extensions.mapEntries != nil else { throw .malformed("extensions are not a map") }
            offset = end
        }
        guard offset == bytes.count else { throw .malformed("\(bytes.count - offset) bytes after authenticator data") }
    }
}

/// What `navigator.credentials.create()` returns the authenticator's statement in (§6.5): the
/// format, the statement and the authenticator data. Attestation is not relied on (the options ask
/// for `none`): the statement of another format is read as CBOR and then set aside, as §7.1 allows a
/// relying party that does not need attestation.
public struct AttestationObject: Sendable {
    public var format: String
    public var authenticatorData: AuthenticatorData

    public init(bytes: [UInt8]) throws(WebAuthnError) {
        let item = try CBOR.decode(bytes, limits: CBOR.Limits(maximumDepth: 8, maximumItems: 1024))
        guard let entries = item.mapEntries, entries.count == 3, let format = item[text: "fmt"]?.textString,
            let statement = item[text: "attStmt"]?.mapEntries, let data = item[text: "authData"]?.byteString
        else { throw .malformed("attestation object is not {fmt, attStmt, authData}") }
        guard format != "none" || statement.isEmpty else { throw .malformed("attestation none with a statement") }
        self.format = format
        authenticatorData = try AuthenticatorData(bytes: data)
    }
}
