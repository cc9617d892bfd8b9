/// A validated authorization request (OpenID Connect Core §3.1.2.1): `response_type=code` only,
/// PKCE S256 (required of public clients; `plain` refused), the client and its redirect URI
/// checked before anything can be sent back to it.
public struct AuthorizationRequest: Sendable, Equatable {
    public var client: ProviderClient
    public var redirectURI: String
    /// Supported scopes asked for, in order, without repeats (`openid` always among them).
    public var scopes: [String]
    public var state: String?
    public var nonce: String?
    public var codeChallenge: String?
    public var prompt: Set<String>
    /// Seconds.
    public var maxAge: Int64?
    public var loginHint: String?
    /// The request's parameters as received, to resume it after the user signs in.
    public var parameters: [String: String]

    public static let supportedScopes = ["openid", "profile", "email", "offline_access"]
    /// The longest `state` and `nonce` accepted (a client's values are opaque but bounded).
    public static let maximumValueLength = 512

    /// Validates `parameters` for `clients`. Errors about the client or redirect URI have no
    /// `redirectURI` (they are shown, never redirected); every later one goes back to the client.
    public init(
        parameters: [String: String], client lookup: (String) -> ProviderClient?
    ) throws(ProviderError) {
        guard let clientId = parameters["client_id"], !clientId.isEmpty else {
            throw ProviderError(.invalidRequest, "client_id is missing")
        }
        guard let client = lookup(clientId) else { throw ProviderError(.invalidClient, "unknown client_id") }
        guard let redirectURI = parameters["redirect_uri"], !redirectURI.isEmpty else {
            throw ProviderError(.invalidRequest, "redirect_uri is missing")
        }
        guard client.allowsRedirect(redirectURI) else {
            throw ProviderError(.invalidRequest, "redirect_uri is not registered for this client")
        }
        let state = parameters["state"]
        func refuse(_ code: ProviderError.Code, _ text: String) -> ProviderError {
            ProviderError(code, text, redirectURI: redirectURI, state: state)
        }
        if let state, state.utf8.count > Self.maximumValueLength { throw refuse(.invalidRequest, "state is too long") }
        if parameters["request"] != nil { throw refuse(.requestNotSupported, "request objects are not supported") }
        if parameters["request_uri"] != nil {
            throw refuse(.requestURINotSupported, "request_uri is not supported")
        }
        guard parameters["response_type"] == "code" else {
            throw refuse(.unsupportedResponseType, "only response_type=code is supported")
        }
        if let mode = parameters["response_mode"], mode != "query" {
            throw refuse(.invalidRequest, "only response_mode=query is supported")
        }
        var scopes: [String] = []
        for scope in (parameters["scope"] ?? "").split(separator: " ").map(String.init)
        where Self.supportedScopes.contains(scope) && !scopes.contains(scope) {
            scopes.append(scope)
        }
        guard scopes.contains("openid") else { throw refuse(.invalidScope, "scope must include openid") }
        let nonce = parameters["nonce"]
        if let nonce, nonce.isEmpty || nonce.utf8.count > Self.maximumValueLength {
            throw refuse(.invalidRequest, "nonce is empty or too long")
        }
        let challenge = parameters["code_challenge"]
        let method = parameters["code_challenge_method"]
        if let challenge {
            guard method == "S256" else {
                throw refuse(.invalidRequest, "code_challenge_method must be S256 (plain is not allowed)")
            }
            guard challenge.utf8.count == 43, challenge.utf8.allSatisfy(Self.isBase64URL) else {
                throw refuse(.invalidRequest, "code_challenge must be a base64url SHA-256 (43 characters)")
            }
        } else if method != nil {
            throw refuse(.invalidRequest, "code_challenge_method without code_challenge")
        } else if client.isPublic {
            throw refuse(.invalidRequest, "public clients must use PKCE (code_challenge with S256)")
        }
        let prompt = Set((parameters["prompt"] ?? "").split(separator: " ").map(String.init))
        if prompt.contains("none") && prompt.count > 1 {
            throw refuse(.invalidRequest, "prompt=none cannot be combined with other values")
        }
        var maxAge: Int64?
        if let text = parameters["max_age"] {
            guard let value = Int64(text), value >= 0, value <= 315_360_000 else {
                throw refuse(.invalidRequest, "max_age must be a non-negative number of seconds")
            }
            maxAge = value
        }
        self.client = client
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.state = state
        self.nonce = nonce
        codeChallenge = challenge
        self.prompt = prompt
        self.maxAge = maxAge
        loginHint = parameters["login_hint"].flatMap { $0.utf8.count <= 320 ? $0 : nil }
        self.parameters = parameters
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// An error for this request, sent back to the client.
    public func refusal(_ code: ProviderError.Code, _ text: String) -> ProviderError {
        ProviderError(code, text, redirectURI: redirectURI, state: state)
    }
}
