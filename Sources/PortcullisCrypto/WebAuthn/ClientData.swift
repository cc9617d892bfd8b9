import FoundationEssentials

/// The client data a browser hashes into every WebAuthn signature (WebAuthn Level 2 §5.8.1): the
/// ceremony type, the challenge as the relying party sent it, the page's origin and whether it ran
/// in a cross-origin frame.
public struct ClientData: Sendable {
    public var type: String
    /// The challenge bytes (the JSON carries them base64url-encoded).
    public var challenge: [UInt8]
    public var origin: String
    public var crossOrigin: Bool
    /// The raw JSON, as hashed.
    public var bytes: [UInt8]

    static let maximumLength = 4096

    struct Fields: Decodable {
        struct TokenBinding: Decodable {
            var status: String
        }
        var type: String
        var challenge: String
        var origin: String
        var crossOrigin: Bool?
        var tokenBinding: TokenBinding?
    }

    public init(json bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count <= Self.maximumLength else { throw .malformed("client data of \(bytes.count) bytes") }
        let fields: Fields
        do { fields = try JSONDecoder().decode(Fields.self, from: Data(bytes)) } catch {
            throw .malformed("client data is not the expected JSON")
        }
        guard fields.challenge.utf8.count <= 256, let challenge = Base64URL.decode(fields.challenge) else {
            throw .malformed("client data challenge is not base64url")
        }
        // Token binding is not used here; a client that says it is bound expects a check we cannot make.
        guard fields.tokenBinding?.status != "present" else { throw .clientDataMismatch("token binding present") }
        type = fields.type
        self.challenge = challenge
        origin = fields.origin
        crossOrigin = fields.crossOrigin ?? false
        self.bytes = bytes
    }
}
