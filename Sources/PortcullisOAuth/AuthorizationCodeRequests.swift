import FoundationEssentials
import PortcullisSupport

/// The authorization-code flow's two requests (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1.2).
public struct AuthorizationCodeClient: Sendable {
    public var clientID: String
    /// Nil for a public client using PKCE only.
    public var clientSecret: String?
    /// `DOMAIN_SERVER + <PROVIDER>_CALLBACK_URL`.
    public var redirectURI: String
    public var scope: String
    /// Whether to send a PKCE challenge (S256).
    public var usePKCE: Bool

    public init(clientID: String, clientSecret: String?, redirectURI: String, scope: String, usePKCE: Bool = true) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.scope = scope
        self.usePKCE = usePKCE
    }

    /// The provider URL the browser is redirected to. `nonce` is sent for OpenID providers only;
    /// `extra` carries provider-specific parameters (e.g. `audience`, `response_mode=form_post`).
    public func authorizationURL(
        endpoint: String, flow: FlowState, includeNonce: Bool, extra: [(String, String)] = []
    ) -> String {
        var pairs: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI),
            ("scope", scope), ("state", flow.state),
        ]
        if includeNonce { pairs.append(("nonce", flow.nonce)) }
        if usePKCE {
            pairs.append(("code_challenge", PKCE.challenge(for: flow.verifier)))
            pairs.append(("code_challenge_method", "S256"))
        }
        pairs += extra
        let separator = endpoint.contains("?") ? "&" : "?"
        return endpoint + separator + PercentEncoding.form(pairs)
    }

    /// The token endpoint's form body (`client_secret_post` when there is a secret).
    public func tokenRequestBody(code: String, flow: FlowState) -> String {
        var pairs: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", clientID),
        ]
        if let clientSecret { pairs.append(("client_secret", clientSecret)) }
        if usePKCE { pairs.append(("code_verifier", flow.verifier)) }
        return PercentEncoding.form(pairs)
    }
}

/// A provider's error code as it may be logged: RFC 6749 codes are short and plain (§5.2), so
/// anything else (newlines that would forge log lines, long echoes) is cut away.
public enum ErrorCode {
    public static func sanitize(_ raw: String) -> String {
        String(
            raw.unicodeScalars.prefix(64).filter {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0))
            }
            .map(Character.init))
    }
}

/// A token endpoint's answer (RFC 6749 §5.1, §5.2).
public struct TokenResponse: Sendable, Equatable {
    public var accessToken: String
    public var tokenType: String
    public var idToken: String?
    public var refreshToken: String?
    public var expiresIn: Int?

    /// Why the token exchange failed; `error` is the provider's code (`invalid_grant`, ...).
    public enum Failure: Error, Equatable, Sendable {
        case provider(error: String)
        case malformed
    }

    /// Parses a success body, or throws the provider's error code (never its description: it may
    /// echo the code or other request data).
    public init(json: [UInt8]) throws(Failure) {
        guard let value = JSONValue.parse(json), case .object(let fields) = value else { throw .malformed }
        if let error = fields["error"]?.string { throw .provider(error: ErrorCode.sanitize(error)) }
        guard let accessToken = fields["access_token"]?.string, !accessToken.isEmpty else { throw .malformed }
        self.accessToken = accessToken
        tokenType = fields["token_type"]?.string ?? "Bearer"
        idToken = fields["id_token"]?.string
        refreshToken = fields["refresh_token"]?.string
        if case .number(let seconds)? = fields["expires_in"] {
            expiresIn = Int(exactly: seconds.rounded())
        } else {
            expiresIn = nil
        }
    }
}
