import FoundationEssentials

/// The parts of an OpenID provider's discovery document (`<issuer>/.well-known/openid-configuration`,
/// OpenID Connect Discovery 1.0 §3) that the code flow uses, checked before anything trusts them.
public struct OpenIDProviderMetadata: Sendable, Equatable, Decodable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var userinfoEndpoint: String?
    public var jwksURI: String
    public var endSessionEndpoint: String?
    public var codeChallengeMethodsSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case jwksURI = "jwks_uri"
        case endSessionEndpoint = "end_session_endpoint"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
    }

    /// Why a discovery document was refused.
    public enum Problem: Error, Equatable, Sendable {
        case notJSON
        /// The document's `issuer` is not the configured one (Discovery §4.3: they must be identical).
        case issuerMismatch
        /// An endpoint is not an absolute https URL (http only for loopback hosts, as in tests).
        case insecureEndpoint(String)
    }

    /// The largest discovery document accepted.
    public static let maximumByteCount = 64 * 1024

    /// Parses and checks a discovery document against the configured `OPENID_ISSUER`. A trailing
    /// slash is the only difference tolerated, as openid-client does.
    public init(json: [UInt8], expectedIssuer: String) throws(Problem) {
        guard json.count <= Self.maximumByteCount,
            let decoded = try? JSONDecoder().decode(Self.self, from: Data(json))
        else { throw .notJSON }
        func trimmed(_ value: String) -> Substring { value.hasSuffix("/") ? value.dropLast() : Substring(value) }
        guard trimmed(decoded.issuer) == trimmed(expectedIssuer) else { throw .issuerMismatch }
        let endpoints: [(String, String?)] = [
            ("authorization_endpoint", decoded.authorizationEndpoint), ("token_endpoint", decoded.tokenEndpoint),
            ("userinfo_endpoint", decoded.userinfoEndpoint), ("jwks_uri", decoded.jwksURI),
            ("end_session_endpoint", decoded.endSessionEndpoint),
        ]
        for (name, value) in endpoints {
            if let value, !Self.isAcceptableEndpoint(value) { throw .insecureEndpoint(name) }
        }
        self = decoded
    }

    /// Whether the provider accepts PKCE with S256 (absent list: assume yes, as most do).
    public var supportsS256: Bool { codeChallengeMethodsSupported?.contains("S256") ?? true }

    /// https with a host and no credentials, or http to a loopback host (tests, local peers).
    public static func isAcceptableEndpoint(_ value: String) -> Bool {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            url.user == nil, url.password == nil
        else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }
}
