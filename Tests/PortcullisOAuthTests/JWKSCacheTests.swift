import PortcullisCrypto
import PortcullisOAuth
import Testing

/// A provider whose published key set can change, counting what it serves.
actor RotatingProvider {
    var keyIDs: [String]
    let keys = P256.PrivateKey()
    struct Down: Error {}
    var down = false

    init(keyIDs: [String]) { self.keyIDs = keyIDs }

    func publish(_ ids: [String]) { keyIDs = ids }
    func setDown(_ value: Bool) { down = value }

    func document() throws -> [UInt8] {
        if down { throw Down() }
        let point = keys.publicKey.x963Representation
        let x = Base64URL.encode(point[1..<33])
        let y = Base64URL.encode(point[33..<65])
        let entries = keyIDs.map { #"{"kty":"EC","crv":"P-256","kid":"\#($0)","x":"\#(x)","y":"\#(y)"}"# }
        return Array(#"{"keys":[\#(entries.joined(separator: ","))]}"#.utf8)
    }
}

@Suite("JWKS cache: rotation and refetch limits")
struct JWKSCacheTests {
    @Test("unknown kid refetches once per interval; stale sets are refreshed; failures surface")
    func rotation() async throws {
        let provider = RotatingProvider(keyIDs: ["k1"])
        let cache = JWKSCache(lifetime: 3600, minimumRefetchInterval: 60) { try await provider.document() }

        #expect(try await cache.key(id: "k1", algorithm: "ES256", now: 0) != nil)
        #expect(try await cache.key(id: "k1", algorithm: "ES256", now: 10) != nil)
        #expect(await cache.fetchCount == 1)

        await provider.publish(["k2"])
        #expect(try await cache.key(id: "k2", algorithm: "ES256", now: 100) != nil)
        #expect(await cache.fetchCount == 2)

        // Made-up key ids: at most one fetch per interval.
        for second in 101..<159 {
            #expect(try await cache.key(id: "bogus-\(second)", algorithm: "ES256", now: Int64(second)) == nil)
        }
        #expect(await cache.fetchCount == 2)
        #expect(try await cache.key(id: "bogus", algorithm: "ES256", now: 160) == nil)
        #expect(await cache.fetchCount == 3)

        // Wrong algorithm for a known kid does not match.
        #expect(try await cache.key(id: "k2", algorithm: "RS256", now: 161) == nil)

        // Past the lifetime the set is fetched again even for a known key.
        #expect(try await cache.key(id: "k2", algorithm: "ES256", now: 160 + 3600) != nil)
        #expect(await cache.fetchCount == 4)

        await provider.setDown(true)
        await #expect(throws: RotatingProvider.Down.self) {
            _ = try await cache.key(id: "k2", algorithm: "ES256", now: 160 + 7200)
        }
    }
}

@Suite("OpenID discovery document")
struct OpenIDProviderMetadataTests {
    static func document(
        issuer: String = "http://127.0.0.1:9000/realms/test", token: String = "http://127.0.0.1:9000/token",
        extra: String = ""
    ) -> [UInt8] {
        Array(
            """
            {"issuer":"\(issuer)","authorization_endpoint":"http://127.0.0.1:9000/auth","token_endpoint":"\(token)",
             "jwks_uri":"http://localhost:9000/certs","userinfo_endpoint":"https://idp.example/userinfo"\(extra)}
            """.utf8)
    }

    @Test("a loopback or https document for the configured issuer is accepted")
    func accepts() throws {
        let metadata = try OpenIDProviderMetadata(
            json: Self.document(), expectedIssuer: "http://127.0.0.1:9000/realms/test/")
        #expect(metadata.jwksURI == "http://localhost:9000/certs")
        #expect(metadata.supportsS256)
        let plainOnly = try OpenIDProviderMetadata(
            json: Self.document(extra: #","code_challenge_methods_supported":["plain"]"#),
            expectedIssuer: "http://127.0.0.1:9000/realms/test")
        #expect(!plainOnly.supportsS256)
    }

    @Test("another issuer, insecure endpoints and garbage are refused")
    func refuses() {
        let issuer = "http://127.0.0.1:9000/realms/test"
        #expect(throws: OpenIDProviderMetadata.Problem.issuerMismatch) {
            _ = try OpenIDProviderMetadata(
                json: Self.document(issuer: "http://127.0.0.1:9000/realms/other"), expectedIssuer: issuer)
        }
        for token in [
            "http://idp.example/token", "ftp://127.0.0.1/token", "https://user:pw@idp.example/token", "/token",
        ] {
            #expect(throws: OpenIDProviderMetadata.Problem.insecureEndpoint("token_endpoint")) {
                _ = try OpenIDProviderMetadata(json: Self.document(token: token), expectedIssuer: issuer)
            }
        }
        for junk in ["", "{}", "[1]", #"{"issuer":1}"#] {
            #expect(throws: OpenIDProviderMetadata.Problem.notJSON) {
                _ = try OpenIDProviderMetadata(json: Array(junk.utf8), expectedIssuer: issuer)
            }
        }
    }
}
