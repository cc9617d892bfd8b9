import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP
import Testing

@testable import PortcullisServer

@Suite("API through the in-process router: sessions, errors, groups, time")
struct APITests {
    static let password = "correct horse battery"

    static func signUp(_ client: inout TestClient, _ email: String) async -> TestClient.Answer {
        await client.send(
            .post, "/api/auth/register",
            json: ["name": "Test", "email": email, "password": password, "confirm_password": password])
        return await client.send(.post, "/api/auth/login", json: ["email": email, "password": password])
    }

    @Test("login, the user, rotation, a grace replay, reuse after the grace revokes, logout")
    func sessionLifecycle() async throws {
        let clock = ManualClock()
        let engine = try await makeEngine(["REFRESH_REUSE_GRACE": "10000"], clock: clock)
        var client = TestClient(API(engine: engine).makeRouter())
        let login = await Self.signUp(&client, "ana@example.com")
        #expect(login.status == 200)
        let token = try #require(login.json["token"] as? String)
        #expect((login.json["user"] as? [String: Any])?["role"] as? String == Role.admin)
        #expect(Set(client.cookies.keys) == ["refreshToken", "token_provider", DeviceCookie.name])
        #expect(await client.send(.get, "/api/user", bearer: token).json["email"] as? String == "ana@example.com")

        let first = try #require(client.cookies["refreshToken"])
        clock.advance(by: 1000)
        #expect(await client.send(.post, "/api/auth/refresh").status == 200)
        let second = try #require(client.cookies["refreshToken"])
        #expect(first != second)
        // Another tab presents the rotated token inside the grace window: it gets the current one.
        var tab = client
        tab.cookies["refreshToken"] = first
        clock.advance(by: 5000)
        #expect(await tab.send(.post, "/api/auth/refresh").status == 200 && tab.cookies["refreshToken"] == second)
        // After the grace window the same replay is reuse: the session is revoked for everyone.
        tab.cookies["refreshToken"] = first
        clock.advance(by: 6000)
        let reuse = await tab.send(.post, "/api/auth/refresh")
        #expect(reuse.status == 401 && reuse.text == "Refresh token expired or not found for this user")
        #expect(await client.send(.post, "/api/auth/refresh").status == 401)
        #expect(engine.service.metrics.refreshReuse.current == 1)

        let again = await client.send(
            .post, "/api/auth/login", json: ["email": "ana@example.com", "password": Self.password])
        let fresh = try #require(again.json["token"] as? String)
        #expect(await client.send(.post, "/api/auth/logout", bearer: fresh).message == "Logout successful")
        #expect(client.cookies["refreshToken"] == nil && client.cookies[DeviceCookie.name] != nil)
        #expect(engine.service.sessions.count == 0)
    }

    @Test("errors render in one place: bad JSON, 401, 403 for non-admins, 404, 405 with Allow")
    func errors() async throws {
        let engine = try await makeEngine()
        var client = TestClient(API(engine: engine).makeRouter())
        let admin = try #require(await Self.signUp(&client, "boss@example.com").json["token"] as? String)
        var other = TestClient(client.router)
        let user = try #require(await Self.signUp(&other, "user@example.com").json["token"] as? String)

        let bad = await client.send(.post, "/api/auth/login", raw: Array("{not json".utf8))
        #expect(bad.status == 400 && bad.message == "Invalid JSON body")
        for (method, target) in [(HTTPMethod.get, "/api/user"), (.post, "/api/auth/logout"), (.get, "/api/admin/bans")]
        {
            let refused = await client.send(method, target, bearer: "not.a.token")
            #expect(refused.status == 401 && refused.message == "Unauthorized")
        }
        let forbidden = await other.send(.get, "/api/admin/bans", bearer: user)
        #expect(forbidden.status == 403 && forbidden.message == "Forbidden")
        #expect(await client.send(.get, "/api/admin/bans", bearer: admin).status == 200)
        #expect(await client.send(.get, "/nowhere").status == 404)
        let wrongMethod = await client.send(.put, "/api/auth/login")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["Allow"] == "POST")
    }

    @Test("a full hashing queue answers 503 with Retry-After: 1, never a hashing failure")
    func overloaded() async throws {
        let engine = try await makeEngine(["HASH_WORKERS": "1", "HASH_QUEUE_LIMIT": "1", "ARGON2_MEMORY_KIB": "8192"])
        let router = API(engine: engine).makeRouter()
        let answers = await withTaskGroup(of: TestClient.Answer.self) { group in
            for n in 0..<24 {
                group.addTask {
                    var client = TestClient(router)
                    return await client.send(
                        .post, "/api/auth/register",
                        json: [
                            "name": "Nina", "email": "n\(n)@example.com", "password": Self.password,
                            "confirm_password": Self.password,
                        ])
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let busy = answers.filter { $0.status == 503 }
        #expect(
            !busy.isEmpty
                && busy.allSatisfy { $0.headers["Retry-After"] == "1" && $0.message == "Server is busy, please retry." }
        )
        #expect(answers.allSatisfy { $0.status == 200 || $0.status == 503 })
    }

    @Test("time is injected: a lockout and an IP ban expire when the clock moves, without sleeping")
    func injectedTime() async throws {
        let clock = ManualClock()
        let engine = try await makeEngine(
            [
                "ACCOUNT_LOCKOUT_MAX": "2", "ACCOUNT_LOCKOUT_WINDOW": "10", "LOGIN_MAX": "3", "LOGIN_WINDOW": "1",
                "BAN_VIOLATIONS": "true", "BAN_INTERVAL": "1", "BAN_DURATION": "60000",
            ], clock: clock)
        let router = API(engine: engine).makeRouter()
        var owner = TestClient(router)
        _ = await owner.send(
            .post, "/api/auth/register",
            json: [
                "name": "Victor", "email": "v@example.com", "password": Self.password,
                "confirm_password": Self.password,
            ])
        func attempt(_ address: String, _ password: String, email: String = "v@example.com") async -> TestClient.Answer
        {
            var client = TestClient(router)
            client.remoteAddress = address
            return await client.send(.post, "/api/auth/login", json: ["email": email, "password": password])
        }
        #expect(await attempt("10.0.0.1", "wrong password!").status == 404)
        #expect(await attempt("10.0.0.2", "wrong password!").status == 404)
        let locked = await attempt("10.0.0.3", Self.password)
        #expect(locked.status == 429 && locked.headers["Retry-After"] == "600")
        clock.advance(by: 10 * 60_000)
        let after = await attempt("10.0.0.3", Self.password)
        #expect(after.status == 200, "\(after.status) \(after.text)")

        // Another account, so the lockout above stays out of it: three tries, the fourth is limited and bans the IP.
        for _ in 0..<3 { _ = await attempt("10.0.0.9", "wrong password!", email: "w@example.com") }
        let banned = await attempt("10.0.0.9", Self.password)
        #expect(banned.status == 403 && banned.headers["Retry-After"] == "60")
        clock.advance(by: 30_000)
        #expect(await attempt("10.0.0.9", Self.password).headers["Retry-After"] == "30")
        clock.advance(by: 90_000)
        #expect(await attempt("10.0.0.9", Self.password).status == 200)
    }

    @Test("terms: accepted with the clock's time, then reset by the operator")
    func terms() async throws {
        let clock = ManualClock(milliseconds: 1_800_000_000_123)
        let engine = try await makeEngine(clock: clock)
        var client = TestClient(API(engine: engine).makeRouter())
        let token = try #require(await Self.signUp(&client, "t@example.com").json["token"] as? String)
        let accepted = await client.send(.post, "/api/user/terms/accept", bearer: token)
        #expect(accepted.json["termsAcceptedAt"] as? String == "2027-01-15T08:00:00.123Z")
        let answer = try await AdminOperations(engine: engine).perform(.resetTerms)
        #expect(answer.status == 200)
        #expect(await client.send(.get, "/api/user/terms", bearer: token).json["termsAccepted"] as? Bool == false)
    }
}

@Suite("2FA on a manual clock")
struct TwoFactorClockTests {
    @Test("the temporary token expires after five minutes of the injected clock; codes follow the clock too")
    func tempTokenExpiry() async throws {
        let clock = ManualClock()
        let engine = try await makeEngine(clock: clock)
        var client = TestClient(API(engine: engine).makeRouter())
        let token = try #require(await APITests.signUp(&client, "clock@example.com").json["token"] as? String)
        let enabled = await client.send(.post, "/api/auth/2fa/enable", json: [:], bearer: token)
        let url = try #require(enabled.json["otpauthUrl"] as? String)
        let secretText = try #require(url.split(separator: "secret=").last?.split(separator: "&").first)
        let totp = TOTP(secret: try #require(Base32.decode(secretText)))
        func code(_ offset: Int64 = 0) -> String { totp.code(step: TOTP.step(at: clock.milliseconds / 1000) + offset) }
        #expect(await client.send(.post, "/api/auth/2fa/confirm", json: ["token": code()], bearer: token).status == 200)

        clock.advance(by: 60_000)
        let login = await client.send(
            .post, "/api/auth/login", json: ["email": "clock@example.com", "password": APITests.password])
        let temp = try #require(login.json["tempToken"] as? String)
        clock.advance(by: 299_000)
        #expect(
            await client.send(.post, "/api/auth/2fa/verify-temp", json: ["tempToken": temp, "token": code()]).status
                == 200)
        clock.advance(by: 2_000)  // 301 s after the login
        let late = await client.send(.post, "/api/auth/2fa/verify-temp", json: ["tempToken": temp, "token": code(1)])
        #expect(late.status == 401 && late.message == "Invalid or expired temporary token")
    }
}
