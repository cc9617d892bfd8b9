import PortcullisCore
import PortcullisHTTP
import Testing

@testable import PortcullisServer

@Suite("Admin commands: one wire form, read back as sent; run the same offline and online")
struct AdminCommandTests {
    static let all: [AdminCommand] = [
        .listUsers,
        .createUser(
            email: "a@example.com", name: "A B", username: "ab", password: "pass word 1", emailVerified: false,
            provider: "local"),
        .createUser(
            email: "c@example.com", name: nil, username: nil, password: nil, emailVerified: true, provider: "google"),
        .deleteUser(email: "x+y@example.com"), .setPassword(email: "a@example.com", password: "p & q = r"), .stats,
        .importUsers(Array("{\"_id\":\"x\"}\n".utf8)), .importUsers([1], credsKey: "00ff"), .exportUsers, .listBans,
        .ban(email: "a@example.com", minutes: 5),
        .unban(subject: "ip:127.0.0.2", email: nil), .unban(subject: nil, email: "a@example.com"),
        .invite(email: "i@example.com"),
        .snapshot, .resetTerms, .disableTwoFactor(email: "lost@example.com"),
        .audit(user: "a+b@example.com", kind: "banned,sign_in", since: "2026-12-04T10:00:00Z", until: nil, limit: "5"),
        .audit(user: nil, kind: nil, since: nil, until: nil, limit: nil),
        .addClient(
            name: "Chat & Co", redirectURIs: ["https://chat.example/cb", "http://127.0.0.1/cb"],
            postLogoutURIs: ["https://chat.example/bye"], isPublic: true, firstParty: false, signingAlgorithm: "ES256"),
        .addClient(
            name: "Wiki", redirectURIs: ["https://wiki.example/cb"], postLogoutURIs: [], isPublic: false,
            firstParty: true, signingAlgorithm: "RS256"),
        .listClients, .removeClient(id: "a b"), .rotateClientSecret(id: "c1"), .rotateKeys, .listKeys,
    ]

    @Test("every command survives its HTTP form")
    func roundTrip() throws {
        for command in Self.all {
            let (method, target, body) = command.request
            let request = HTTPRequest(method: HTTPMethod(method), target: target, body: body)
            #expect(try AdminCommand(request) == command)
            #expect(AdminCommand.routes.contains { $0.0.rawValue == method && target.hasPrefix($0.1) })
        }
    }

    @Test("the operations: create, list, password, ban and unban, delete")
    func operations() async throws {
        let engine = try await makeEngine()
        let admin = AdminOperations(engine: engine)
        let created = try await admin.perform(
            .createUser(
                email: "operator@example.com", name: nil, username: nil, password: nil, emailVerified: true,
                provider: "local"))
        #expect(created.status == 201 && String(decoding: created.body, as: UTF8.self).contains("\"password\""))
        #expect(
            try await admin.perform(
                .createUser(
                    email: "operator@example.com", name: nil, username: nil, password: "long enough pw",
                    emailVerified: true, provider: "local")
            ).status == 409)
        #expect(
            try await admin.perform(.setPassword(email: "operator@example.com", password: "another long one")).status
                == 200)
        #expect(
            try await admin.perform(.setPassword(email: "nobody@example.com", password: "another long one")).status
                == 404)
        #expect(try await admin.perform(.ban(email: "operator@example.com", minutes: 5)).status == 200)
        #expect(await engine.moderation.bans().count == 1)
        #expect(try await admin.perform(.unban(subject: nil, email: "operator@example.com")).status == 200)
        #expect(try await admin.perform(.unban(subject: nil, email: "operator@example.com")).status == 404)
        #expect(try await admin.perform(.invite(email: "new@example.com")).status == 409)  // no email configured
        #expect(try await admin.perform(.deleteUser(email: "operator@example.com")).status == 200)
        #expect(engine.service.users.count == 0)
    }
}
