import Foundation
import PortcullisCrypto

/// An application that signs its users in through Portcullis (an OpenID relying party).
public struct ProviderClient: Sendable, Equatable {
    public var id: String
    public var name: String
    /// SHA-256 of the client secret (secrets are 256 random bits, so a fast hash is enough); empty
    /// for a public client.
    public var secretHash: [UInt8]
    /// Where codes may be sent: compared exactly (RFC 8252 §7.3's any-port loopback rule aside).
    public var redirectURIs: [String]
    /// Where RP-initiated logout may return to, compared exactly.
    public var postLogoutRedirectURIs: [String]
    /// A public client (a browser or native app) has no secret and must use PKCE.
    public var isPublic: Bool
    /// The operator's own application: no consent page.
    public var firstParty: Bool
    /// `RS256` (the default, what openid-client expects) or `ES256`: how its id_tokens and access
    /// tokens are signed.
    public var signingAlgorithm: String
    public var createdAt: Int64
    /// Declared in `OIDC_CLIENTS_FILE` (not journaled; the file is read at every start).
    public var declared: Bool

    public init(
        id: String, name: String, secretHash: [UInt8], redirectURIs: [String], postLogoutRedirectURIs: [String],
        isPublic: Bool, firstParty: Bool, signingAlgorithm: String, createdAt: Int64, declared: Bool = false
    ) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.isPublic = isPublic
        self.firstParty = firstParty
        self.signingAlgorithm = signingAlgorithm
        self.createdAt = createdAt
        self.declared = declared
    }

    public static let signingAlgorithms = ["RS256", "ES256"]
    /// The most redirect (or post-logout) URIs a client may register, and their longest length.
    public static let maximumURIs = 16
    public static let maximumURILength = 1024

    /// A new client secret: 32 random bytes, base64url (43 characters).
    public static func makeSecret() -> String { Base64URL.encode(SecureRandom.bytes(count: 32)) }

    public static func hashSecret(_ secret: String) -> [UInt8] { SHA256.hash(data: Array(secret.utf8)).bytes }

    /// Whether `secret` is this client's (constant time; a public client has none).
    public func accepts(secret: String) -> Bool {
        guard !isPublic, !secretHash.isEmpty, secret.utf8.count <= 512 else { return false }
        return ConstantTime.equals(Self.hashSecret(secret), secretHash)
    }

    /// Whether `uri` is one of the registered redirect URIs: byte for byte, except that a public
    /// client's loopback IP literal (`http://127.0.0.1/cb`, `http://[::1]/cb`) accepts any port,
    /// as RFC 8252 §7.3 asks for native apps.
    public func allowsRedirect(_ uri: String) -> Bool {
        if redirectURIs.contains(uri) { return true }
        guard isPublic, let presented = URLComponents(string: uri), presented.scheme == "http",
            let host = presented.host, ["127.0.0.1", "::1", "[::1]"].contains(host)
        else { return false }
        return redirectURIs.contains { registered in
            guard var components = URLComponents(string: registered), components.scheme == "http",
                components.host == host, components.port == nil
            else { return false }
            components.port = presented.port
            return components.string == uri
        }
    }

    /// Why a redirect URI cannot be registered, or `nil`: it must be absolute, without a fragment or
    /// user info, `https` — or `http` only to a loopback host —, or a native app's private-use
    /// scheme (`com.example.app:/callback`, public clients only).
    public static func problem(withRedirect uri: String, isPublic: Bool) -> String? {
        guard uri.utf8.count <= maximumURILength, Validation.singleLine(uri, maximumLength: maximumURILength) == uri,
            !uri.contains(" "), let components = URLComponents(string: uri),
            let scheme = components.scheme?.lowercased()
        else { return "\(uri.prefix(80)) is not a URI" }
        guard components.fragment == nil else { return "\(uri.prefix(80)) has a fragment" }
        guard components.user == nil, components.password == nil else { return "\(uri.prefix(80)) has user info" }
        switch scheme {
        case "https":
            guard components.host?.isEmpty == false else { return "\(uri.prefix(80)) has no host" }
        case "http":
            guard let host = components.host?.lowercased(), ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
            else { return "\(uri.prefix(80)): plain http is only allowed to a loopback host" }
        default:
            guard isPublic, scheme.contains(".") else {
                return "\(uri.prefix(80)): only https, loopback http or (public clients) a private-use scheme"
            }
        }
        return nil
    }
}
