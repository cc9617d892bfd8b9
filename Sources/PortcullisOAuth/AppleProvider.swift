import FoundationEssentials
import PortcullisCore
import PortcullisCrypto
import PortcullisSupport

/// Sign in with Apple: `response_mode=form_post` (the callback is a POST), a client secret that is
/// an ES256 JWT signed with the team's `.p8` key, and the profile read from the id_token, which is
/// checked against Apple's published keys like any OpenID id_token.
public struct AppleProvider: SocialProvider {
    public let name = "apple"
    public var usesFormPost: Bool { true }
    public var client: AuthorizationCodeClient
    public var teamID: String
    public var keyID: String
    /// `https://appleid.apple.com`: the issuer, the client secret's audience, and the endpoints' base.
    public var base: String
    public var clockTolerance: Int64
    let privateKey: P256.PrivateKey
    let requests: ProviderRequests
    let keys: JWKSCache

    public init(
        client: AuthorizationCodeClient, teamID: String, keyID: String, privateKey: P256.PrivateKey,
        baseURL: String?, clockTolerance: Int64 = 300, http: any OutboundHTTP
    ) {
        var client = client
        client.usePKCE = false  // not offered by Apple; state and nonce protect the flow
        client.clientSecret = nil
        self.client = client
        self.teamID = teamID
        self.keyID = keyID
        self.privateKey = privateKey
        let base = baseURL?.withoutTrailingSlash ?? "https://appleid.apple.com"
        self.base = base
        self.clockTolerance = clockTolerance
        let requests = ProviderRequests(http: http)
        self.requests = requests
        keys = requests.keySet(base + "/auth/keys", endpoint: "Apple keys")
    }

    public func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String {
        client.authorizationURL(
            endpoint: base + "/auth/authorize", flow: flow, includeNonce: true,
            extra: [("response_mode", "form_post")])
    }

    /// The client secret: `{iss: team, sub: client, aud: Apple, iat, exp}` signed ES256 with `kid`.
    /// Made per exchange and valid five minutes (Apple allows up to six months).
    public func clientSecret(now: Int64) -> String {
        let header = #"{"alg":"ES256","kid":\#(JSONString.quoted(keyID)),"typ":"JWT"}"#
        let claims =
            #"{"aud":\#(JSONString.quoted(base)),"exp":\#(now + 300),"iat":\#(now),"iss":\#(JSONString.quoted(teamID)),"sub":\#(JSONString.quoted(client.clientID))}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let signature = privateKey.sha256Signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    public func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity {
        let now = Int64(Date().timeIntervalSince1970)
        var exchange = client
        exchange.clientSecret = clientSecret(now: now)
        let tokens = try await requests.token(
            .form(base + "/auth/token", exchange.tokenRequestBody(code: code, flow: flow)))
        guard let idToken = tokens.idToken else { throw .profile("no id_token in Apple's answer") }
        let claims = try await IDTokenValidator(issuer: base, clientID: client.clientID, clockTolerance: clockTolerance)
            .validate(idToken, keys: keys, nonce: flow.nonce, now: now)
        let local = claims.email.map { String($0.prefix { $0 != "@" }) }
        let username = local.flatMap { $0.isEmpty ? nil : $0 } ?? "user_\(claims.sub)"
        // Apple sends the name once, on the first sign-in, as a JSON form field.
        var name = username
        if let user = fields["user"].flatMap({ JSONValue.parse(Array($0.utf8), maximumByteCount: 4096) }) {
            let parts = [user["name"]?["firstName"]?.string, user["name"]?["lastName"]?.string].compactMap { $0 }
            if !parts.isEmpty { name = parts.joined(separator: " ") }
        }
        return SocialIdentity(
            provider: self.name, id: claims.sub, email: claims.email,
            emailVerified: claims.emailVerified ?? true, username: username, name: name)
    }
}
