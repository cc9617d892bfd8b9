import Foundation
import PortcullisOAuth
import Testing

@Suite("authorization-code requests")
struct AuthorizationCodeRequestsTests {
    static let client = AuthorizationCodeClient(
        clientID: "portcullis web", clientSecret: "s3cr&t=", redirectURI: "http://127.0.0.1:3080/oauth/openid/callback",
        scope: "openid profile email")

    /// Splits a query back into decoded pairs (a reader independent of the encoder under test).
    static func query(_ url: String) -> [String: String] {
        let query = url.split(separator: "?", maxSplits: 1).last.map(String.init) ?? ""
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }

    @Test("the authorization URL carries state, nonce and the S256 challenge, correctly encoded")
    func authorizationURL() {
        let flow = FlowState(provider: "openid", now: 0)
        let url = Self.client.authorizationURL(
            endpoint: "http://127.0.0.1:9000/auth", flow: flow, includeNonce: true,
            extra: [("audience", "api://x y")])
        #expect(url.hasPrefix("http://127.0.0.1:9000/auth?response_type=code&client_id=portcullis+web&"))
        let fields = Self.query(url)
        #expect(fields["redirect_uri"] == "http://127.0.0.1:3080/oauth/openid/callback")
        #expect(fields["scope"] == "openid profile email")
        #expect(fields["state"] == flow.state && fields["nonce"] == flow.nonce)
        #expect(
            fields["code_challenge"] == PKCE.challenge(for: flow.verifier) && fields["code_challenge_method"] == "S256")
        #expect(fields["audience"] == "api://x y")

        let github = Self.client.authorizationURL(
            endpoint: "http://127.0.0.1:9/login/oauth/authorize?allow_signup=false", flow: flow,
            includeNonce: false)
        #expect(github.contains("?allow_signup=false&response_type=code"))
        #expect(Self.query(github)["nonce"] == nil)
    }

    @Test("the token request posts the code, verifier and secret")
    func tokenBody() {
        let flow = FlowState(provider: "openid", now: 0)
        let fields = Self.query("?" + Self.client.tokenRequestBody(code: "c/1+2", flow: flow))
        #expect(
            fields == [
                "grant_type": "authorization_code", "code": "c/1+2",
                "redirect_uri": "http://127.0.0.1:3080/oauth/openid/callback",
                "client_id": "portcullis web", "client_secret": "s3cr&t=", "code_verifier": flow.verifier,
            ])
        var publicClient = Self.client
        publicClient.clientSecret = nil
        #expect(Self.query("?" + publicClient.tokenRequestBody(code: "c", flow: flow))["client_secret"] == nil)
    }

    @Test("token responses: success, provider errors (code only), malformed")
    func tokenResponses() throws {
        let ok = try TokenResponse(
            json: Array(#"{"access_token":"at","token_type":"Bearer","id_token":"a.b.c","expires_in":300}"#.utf8))
        #expect(ok.accessToken == "at" && ok.idToken == "a.b.c" && ok.expiresIn == 300 && ok.refreshToken == nil)
        #expect(throws: TokenResponse.Failure.provider(error: "invalid_grant")) {
            _ = try TokenResponse(
                json: Array(#"{"error":"invalid_grant","error_description":"code c/1 already used"}"#.utf8))
        }
        for junk in ["", "[]", #"{"token_type":"Bearer"}"#, #"{"access_token":""}"#] {
            #expect(throws: TokenResponse.Failure.malformed) { _ = try TokenResponse(json: Array(junk.utf8)) }
        }
    }
}
