import FoundationEssentials
import PortcullisCrypto

/// What a social login must remember between the redirect to the provider and its callback:
/// kept in an HMAC-signed, short-lived, HttpOnly cookie so that any instance can finish the flow.
public struct FlowState: Sendable, Equatable, Codable {
    /// The provider the flow was started for (`openid`, `google`, ...).
    public var provider: String
    /// The `state` parameter sent to the provider (CSRF protection, RFC 6749 §10.12).
    public var state: String
    /// The OpenID `nonce` the id_token must carry.
    public var nonce: String
    /// The PKCE code verifier.
    public var verifier: String
    /// Seconds since 1970 when the flow started.
    public var issuedAt: Int64

    /// A new flow with fresh random state, nonce and verifier.
    public init(provider: String, now: Int64) {
        self.provider = provider
        state = Base64URL.encode(SecureRandom.bytes(count: 24))
        nonce = Base64URL.encode(SecureRandom.bytes(count: 24))
        verifier = PKCE.makeVerifier()
        issuedAt = now
    }
}

/// Why a callback's flow cookie was refused. None carries the cookie's contents.
public enum FlowCookieError: Error, Equatable, Sendable {
    /// Missing, malformed, too long, or its MAC does not match.
    case invalid
    /// Older than the allowed lifetime (or from the future beyond a small skew).
    case expired
    /// Started for another provider.
    case wrongProvider
    /// The `state` query parameter differs from the cookie's.
    case stateMismatch
}

/// Seals and opens `FlowState` cookies: `base64url(JSON) "." base64url(HMAC-SHA256)`.
public struct FlowCookieSealer: Sendable {
    /// Cookie name, as the callback route reads it.
    public static let cookieName = "portcullis_oauth_flow"
    /// The longest cookie value accepted.
    public static let maximumLength = 1024

    private let mac: HMAC<SHA256>
    /// How long a flow may take, in seconds (a user signing in at the provider).
    public let lifetime: Int64

    /// - Parameter secret: server secret; a purpose label is mixed in so the key differs from the
    ///   JWT key even when both come from `JWT_SECRET`.
    public init<Secret: Sequence>(secret: Secret, lifetime: Int64 = 600) where Secret.Element == UInt8 {
        mac = HMAC(key: SymmetricKey(derivedFrom: secret, purpose: "portcullis oauth flow cookie v1"))
        self.lifetime = lifetime
    }

    /// The cookie value for `flow`.
    public func seal(_ flow: FlowState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = Base64URL.encode(Array(try encoder.encode(flow)))
        return payload + "." + Base64URL.encode(mac.authenticationCode(for: payload.utf8).bytes)
    }

    /// Opens a cookie value and checks it against the callback's provider and `state` parameter.
    public func open(
        _ value: String?, provider: String, state: String?, now: Int64
    ) throws(FlowCookieError) -> FlowState {
        guard let value, value.utf8.count <= Self.maximumLength else { throw .invalid }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let tag = Base64URL.decode(parts[1]),
            ConstantTime.equals(mac.authenticationCode(for: parts[0].utf8).bytes, tag),
            let json = Base64URL.decode(parts[0]),
            let flow = try? JSONDecoder().decode(FlowState.self, from: Data(json))
        else { throw .invalid }
        guard now - flow.issuedAt <= lifetime, flow.issuedAt - now <= 60 else { throw .expired }
        guard flow.provider == provider else { throw .wrongProvider }
        guard let state, ConstantTime.equals(Array(state.utf8), Array(flow.state.utf8)) else { throw .stateMismatch }
        return flow
    }
}
