import PortcullisOAuth
import Testing

@Suite("OpenID roles and profile mapping")
struct OpenIDClaimsTests {
    static func json(_ text: String) -> JSONValue { JSONValue.parse(Array(text.utf8))! }

    static let keycloak = json(
        """
        {"sub":"abc","realm_access":{"roles":["user","chat-admin"]},"groups":"a, b c","resource_access":{"portcullis":{"roles":["x"]}},
         "is_admin":true,"list":[{"name":"first"}],"preferred_username":"ana","email":"ana@example.com","email_verified":"true",
         "given_name":"Ana","family_name":"Lima"}
        """)

    @Test("paths reach nested objects and arrays; absent paths are nil")
    func paths() {
        #expect(Self.keycloak.value(at: "realm_access.roles") == .array([.string("user"), .string("chat-admin")]))
        #expect(Self.keycloak.value(at: "list[0].name") == .string("first"))
        #expect(Self.keycloak.value(at: "resource_access.portcullis.roles[0]") == .string("x"))
        #expect(Self.keycloak.value(at: "list[3].name") == nil)
        #expect(Self.keycloak.value(at: "realm_access.missing") == nil)
        #expect(Self.keycloak.value(at: "sub.deeper") == nil)
    }

    @Test("required roles: exact matches from arrays or comma/space separated strings")
    func requiredRoles() {
        #expect(
            OpenIDRoles.hasRequiredRole(
                OpenIDRoles.list(" chat-admin ,other"), claims: Self.keycloak, path: "realm_access.roles"))
        #expect(!OpenIDRoles.hasRequiredRole(["chat"], claims: Self.keycloak, path: "realm_access.roles"))
        #expect(OpenIDRoles.hasRequiredRole(["c"], claims: Self.keycloak, path: "groups"))
        #expect(!OpenIDRoles.hasRequiredRole(["user"], claims: Self.keycloak, path: "nowhere"))
        #expect(!OpenIDRoles.hasRequiredRole([], claims: Self.keycloak, path: "realm_access.roles"))
    }

    @Test("admin role: a match or true grants; fully configured and absent revokes; else unchanged")
    func adminRole() {
        #expect(
            OpenIDRoles.adminDecision(
                adminRole: "chat-admin", claims: Self.keycloak, path: "realm_access.roles", fullyConfigured: true)
                == .grant)
        #expect(
            OpenIDRoles.adminDecision(
                adminRole: "anything", claims: Self.keycloak, path: "is_admin", fullyConfigured: true) == .grant)
        #expect(
            OpenIDRoles.adminDecision(
                adminRole: "root", claims: Self.keycloak, path: "realm_access.roles", fullyConfigured: true) == .revoke)
        #expect(
            OpenIDRoles.adminDecision(
                adminRole: "root", claims: Self.keycloak, path: "realm_access.roles", fullyConfigured: false)
                == .unchanged)
    }

    @Test("profile: configured claims first, then LibreChat's fallbacks")
    func profile() throws {
        let mapped = try #require(OpenIDProfile(claims: Self.keycloak))
        #expect(
            mapped
                == OpenIDProfile(
                    subject: "abc", email: "ana@example.com", emailVerified: true, username: "ana", name: "Ana Lima"))

        let configured = try #require(
            OpenIDProfile(
                claims: Self.keycloak, names: .init(email: "upn", username: "realm_access.roles", name: "sub")))
        #expect(configured.username == "user_chat-admin")
        #expect(configured.email == "ana@example.com")  // no upn claim: falls back
        #expect(configured.name == "abc")

        let sparse = try #require(
            OpenIDProfile(claims: Self.json(#"{"sub":"s","upn":"bo@corp.example","family_name":"Bo"}"#)))
        #expect(
            sparse.email == "bo@corp.example" && sparse.username == "bo@corp.example" && sparse.name == "Bo"
                && !sparse.emailVerified)

        #expect(OpenIDProfile(claims: Self.json(#"{"email":"x@example.com"}"#)) == nil)
        #expect(OpenIDProfile(claims: Self.json(#"{"sub":"only"}"#)) == nil)
    }

    @Test("userinfo wins over id_token claims when merged")
    func merge() {
        let merged = Self.json(#"{"sub":"a","email":"old@example.com","name":"A"}"#).merging(
            Self.json(#"{"email":"new@example.com"}"#))
        #expect(merged.value(at: "email") == .string("new@example.com"))
        #expect(merged.value(at: "name") == .string("A"))
    }
}
