import FoundationEssentials
import PortcullisCore
import PortcullisCrypto
import Testing

@testable import PortcullisOAuth

/// Answers every request from a table keyed by URL, recording what was asked.
final class CannedHTTP: OutboundHTTP, @unchecked Sendable {
    // @unchecked: the tests call the providers sequentially.
    var answers: [String: (Int, String)]
    var requests: [OutboundRequest] = []

    init(_ answers: [String: (Int, String)]) { self.answers = answers }

    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        requests.append(request)
        let key = answers.keys.filter { request.url.hasPrefix($0) }.max { $0.count < $1.count }
        guard let key, let (status, body) = answers[key] else { throw .transport("no route") }
        return OutboundResponse(status: status, body: Array(body.utf8))
    }
}

@Suite("Providers: requests, profile mapping, Apple's client secret, outbound URL rules")
struct ProviderTests {
    static let client = AuthorizationCodeClient(
        clientID: "cid", clientSecret: "shh", redirectURI: "https://chat.example/oauth/x/callback",
        scope: "s")
    static let flow = FlowState(provider: "x", now: 0)

    @Test("GitHub: primary verified email, numeric id, enterprise URLs, bearer and User-Agent headers")
    func github() async throws {
        let http = CannedHTTP([
            "https://ghe.example/login/oauth/access_token": (200, #"{"access_token":"gho_abc","token_type":"bearer"}"#),
            "https://ghe.example/api/v3/user/emails": (
                200,
                #"[{"email":"a@x.io","verified":true,"primary":false},{"email":"b@x.io","verified":false,"primary":true}]"#
            ),
            "https://ghe.example/api/v3/user": (
                200, #"{"login":"octo","id":583231,"name":null,"avatar_url":"https://a/1"}"#
            ),
        ])
        let provider = GitHubProvider(
            client: Self.client, enterpriseBaseURL: "https://ghe.example/", userAgent: nil, http: http)
        #expect(
            try await provider.authorizationURL(for: Self.flow).hasPrefix("https://ghe.example/login/oauth/authorize?"))
        let profile = try await provider.profile(code: "c", flow: Self.flow, fields: [:])
        // The primary address is unverified, so the verified one is used.
        #expect(
            profile
                == SocialIdentity(
                    provider: "github", id: "583231", email: "a@x.io", emailVerified: true, username: "octo",
                    name: "octo", avatar: "https://a/1"))
        let user = try #require(http.requests.first { $0.url.hasSuffix("/user") })
        #expect(user.headers.contains { $0 == ("Authorization", "Bearer gho_abc") })
        #expect(user.headers.contains { $0.0 == "User-Agent" })
        http.answers["https://ghe.example/login/oauth/access_token"] = (
            200, #"{"error":"bad_verification_code","error_description":"c echoed"}"#
        )
        await #expect(throws: SocialLoginError.token(.provider(error: "bad_verification_code"))) {
            try await provider.profile(code: "c", flow: Self.flow, fields: [:])
        }
    }

    @Test("provider error codes are logged only as plain RFC 6749 characters")
    func errorCodes() {
        #expect(ErrorCode.sanitize("access_denied") == "access_denied")
        #expect(ErrorCode.sanitize("x\n2026-01-01 info forged=1") == "x2026-01-01infoforged1")
        #expect(ErrorCode.sanitize(String(repeating: "é", count: 10) + String(repeating: "a", count: 100)).count == 54)
    }

    @Test("Discord avatars: animated, static, new-style and legacy defaults")
    func discordAvatars() {
        let discord = DiscordProvider(client: Self.client, baseURL: nil, http: CannedHTTP([:]))
        #expect(
            discord.avatarURL(id: "80351110224678912", hash: "a_83", discriminator: "0")
                == "https://cdn.discordapp.com/avatars/80351110224678912/a_83.gif")
        #expect(
            discord.avatarURL(id: "1", hash: "83", discriminator: nil) == "https://cdn.discordapp.com/avatars/1/83.png")
        #expect(
            discord.avatarURL(id: "80351110224678912", hash: nil, discriminator: "0")
                == "https://cdn.discordapp.com/embed/avatars/\((80351110224678912 >> 22) % 6).png")
        #expect(
            discord.avatarURL(id: "1", hash: nil, discriminator: "1337")
                == "https://cdn.discordapp.com/embed/avatars/2.png")
    }

    @Test("Apple's client secret is an ES256 JWT our own verifier and the public key accept")
    func appleClientSecret() throws {
        let key = P256.PrivateKey()
        let apple = AppleProvider(
            client: Self.client, teamID: "TEAM\"1", keyID: "KID", privateKey: key, baseURL: nil, http: CannedHTTP([:]))
        let secret = apple.clientSecret(now: 1_700_000_000)
        let header = try JWSPublicKey.header(of: secret)
        #expect(header.algorithm == "ES256" && header.keyID == "KID")
        struct Claims: Decodable, Equatable {
            var iss: String
            var sub: String
            var aud: String
            var iat: Int64
            var exp: Int64
        }
        let claims = try JWSPublicKey.es256(key.publicKey).verify(secret, as: Claims.self, now: 1_700_000_100)
        #expect(
            claims
                == Claims(
                    iss: "TEAM\"1", sub: "cid", aud: "https://appleid.apple.com", iat: 1_700_000_000, exp: 1_700_000_300
                ))
        #expect(apple.client.clientSecret == nil && !apple.client.usePKCE)
        #expect(throws: JWTError.self) {
            try JWSPublicKey.es256(P256.PrivateKey().publicKey).verify(secret, as: Claims.self, now: 1_700_000_100)
        }
    }

    @Test(
        "outbound requests only go to https, or http on loopback, without credentials in the URL",
        arguments: [
            "http://example.com/x", "file:///etc/passwd", "ftp://example.com", "https://user:pw@example.com/",
            "gopher://127.0.0.1/",
            "https:///nohost", "not a url",
        ])
    func refusedURLs(url: String) async {
        await #expect(throws: OutboundError.refusedURL) { try await CurlHTTP().send(OutboundRequest(url: url)) }
    }
}
