import PortcullisCrypto

/// A WebAuthn credential registered to an account: its public key (COSE, as the authenticator gave
/// it), the counter and backup flags the last assertion reported, the name the user gave it.
public struct Passkey: Sendable, Equatable {
    public var credentialID: [UInt8]
    public var userId: String
    /// The COSE_Key bytes (ES256 or RS256).
    public var publicKey: [UInt8]
    public var name: String
    public var signCount: UInt32
    public var backupEligible: Bool
    public var backedUp: Bool
    /// The authenticator model (all zero when the authenticator does not say).
    public var aaguid: [UInt8]
    public var createdAt: Int64
    public var lastUsedAt: Int64?

    public init(
        credentialID: [UInt8], userId: String, publicKey: [UInt8], name: String, signCount: UInt32,
        backupEligible: Bool, backedUp: Bool, aaguid: [UInt8], createdAt: Int64, lastUsedAt: Int64? = nil
    ) {
        self.credentialID = credentialID
        self.userId = userId
        self.publicKey = publicKey
        self.name = name
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.aaguid = aaguid
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The credential ID as WebAuthn's JSON carries it (base64url): how pages and routes name it.
    public var id: String { Base64URL.encode(credentialID) }

    /// A passkey's name is at most this many characters.
    public static let maximumNameLength = 64
    /// Passkeys one account may register.
    public static let maximumPerUser = 20
}
