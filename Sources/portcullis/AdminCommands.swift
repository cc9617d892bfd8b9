import ArgumentParser
import Foundation
import PortcullisCore
import PortcullisHTTP
import PortcullisServer
import PortcullisStore

/// Talks to the running server's admin socket.
struct AdminConnection {
    let path: String

    init() {
        let environment = (try? Environment.load(processEnvironment: Environment.process)) ?? Environment([:])
        path = (environment["PORTCULLIS_DATA_DIR"] ?? "Snapshots") + "/admin.sock"
    }

    func call(_ method: String, _ target: String, body: [UInt8] = [], json: Bool = true) throws -> HTTPClient.Response {
        let client = HTTPClient(.unix(path: path, mode: 0), timeout: 120_000)
        do {
            return try client.request(method, target, headers: json && !body.isEmpty ? [("Content-Type", "application/json")] : [], body: body)
        } catch .connectFailed {
            // No server: work on the data directory directly, under its lock.
            do {
                let environment = try Environment.load(processEnvironment: Environment.process)
                let answer = try OfflineAdmin.run(method: method, target: target, body: body, environment: environment)
                return HTTPClient.Response(status: answer.status, headers: HTTPHeaders(), body: answer.body)
            } catch {
                StandardError.write("portcullis: no server is running and the data directory could not be opened: \(error)\n")
                throw ExitCode(1)
            }
        } catch {
            StandardError.write("portcullis: admin request failed: \(error)\n")
            throw ExitCode(1)
        }
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        (try? Array(JSONSerialization.data(withJSONObject: object))) ?? []
    }

    /// Calls the admin API and fails the command (with the server's message) unless it answered 2xx.
    static func perform(_ method: String, _ target: String, body: [UInt8] = [], json: Bool = true) throws -> HTTPClient.Response {
        let response = try AdminConnection().call(method, target, body: body, json: json)
        try check(response)
        return response
    }

    /// A top-level field of a JSON answer.
    static func field(_ name: String, in response: HTTPClient.Response) -> Any? {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?[name]
    }

    /// Prints the answer's message on failure and exits non-zero.
    static func check(_ response: HTTPClient.Response) throws {
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["message"] as? String
            StandardError.write("portcullis: \(message ?? response.text)\n")
            throw ExitCode(1)
        }
    }
}

struct CreateUser: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-user", abstract: "Create a user (LibreChat's create-user).")

    @Argument var email: String
    @Argument var name: String?
    @Argument var username: String?
    @Argument(help: "Password; generated and printed when omitted. Prefer --password-stdin.") var password: String?
    @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false
    @Option(name: .customLong("email-verified"), help: "Whether the email counts as verified.") var emailVerified: Bool = true
    @Option(help: "Provider to record (default local).") var provider: String = "local"

    func run() throws {
        var object: [String: Any] = ["email": email, "emailVerified": emailVerified ? "true" : "false", "provider": provider]
        if let name { object["name"] = name }
        if let username { object["username"] = username }
        if passwordStdin {
            guard let line = StandardInput.readLine() else { throw ValidationError("password line too long") }
            object["password"] = String(decoding: line, as: UTF8.self)
        } else if let password {
            object["password"] = password
        }
        let response = try AdminConnection.perform("POST", "/admin/users", body: AdminConnection.encode(object))
        let answer = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let user = answer?["user"] as? [String: Any]
        print("created \(user?["email"] as? String ?? email) (\(user?["id"] as? String ?? "?"), role \(user?["role"] as? String ?? "?"))")
        if let generated = answer?["password"] as? String { print("password: \(generated)") }
    }
}

struct DeleteUser: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete-user", abstract: "Delete a user and all their sessions.")
    @Argument var email: String

    func run() throws {
        _ = try AdminConnection.perform("DELETE", "/admin/users?email=" + FormURLEncoded.encode(email))
        print("deleted \(email)")
    }
}

struct ListUsers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-users", abstract: "List users.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let response = try AdminConnection.perform("GET", "/admin/users")
        if json {
            print(response.text)
            return
        }
        let users = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]) ?? []
        for user in users {
            let fields = ["id", "email", "username", "name", "provider", "role", "createdAt", "termsAccepted"].map { "\(user[$0] ?? "")" }
            print(fields.joined(separator: "\t"))
        }
        print("\(users.count) user(s)")
    }
}

struct ResetTerms: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-terms", abstract: "Mark every user as not having accepted the terms (LibreChat's reset-terms).")
    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        if !yes {
            print("Reset the terms acceptance of every user? [y/N] ", terminator: "")
            guard let line = StandardInput.readLine(), ["y", "yes"].contains(String(decoding: line, as: UTF8.self).lowercased()) else {
                print("cancelled")
                return
            }
        }
        let response = try AdminConnection.perform("POST", "/admin/terms/reset")
        print("terms reset for \(AdminConnection.field("users", in: response) ?? 0) user(s)")
    }
}

struct ResetPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password", abstract: "Set a user's password (read from stdin) and end their sessions.")
    @Argument var email: String

    func run() throws {
        guard let line = StandardInput.readLine() else { throw ValidationError("password line too long") }
        let body = AdminConnection.encode(["email": email, "password": String(decoding: line, as: UTF8.self)])
        let response = try AdminConnection.perform("POST", "/admin/users/password", body: body)
        let ended = AdminConnection.field("sessionsEnded", in: response) ?? 0
        print("password changed for \(email); \(ended) session(s) ended")
    }
}

struct UserStats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user-stats", abstract: "Users and sessions held.")

    func run() throws {
        let response = try AdminConnection.perform("GET", "/admin/stats")
        print(response.text)
    }
}

struct ImportUsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-users", abstract: "Import LibreChat users from a mongoexport file (JSON lines or an array).")
    @Argument var file: String
    @Option(help: "Documents per request to the server.") var batch: Int = 10_000

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        // Send in batches so any file size stays within the admin API's body limit.
        var lines: [Data] = []
        if data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "[") {
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else { throw ValidationError("\(file) is not a JSON array") }
            lines = array.compactMap { try? JSONSerialization.data(withJSONObject: $0) }
        } else {
            lines = data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
        }
        var totals: [String: Int] = ["imported": 0, "skipped": 0, "invalid": 0]
        var problems: [String] = []
        let connection = AdminConnection()
        var start = 0
        repeat {
            let chunk = lines[start..<min(start + batch, lines.count)]
            var body = Data()
            for line in chunk {
                body.append(line)
                body.append(UInt8(ascii: "\n"))
            }
            let response = try connection.call("POST", "/admin/import", body: Array(body), json: false)
            try AdminConnection.check(response)
            let report = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
            for key in totals.keys { totals[key, default: 0] += report[key] as? Int ?? 0 }
            problems += (report["problems"] as? [String] ?? []).map { "batch at line \(start + 1): \($0)" }
            start += batch
        } while start < lines.count
        let summary: [String: Any] = ["imported": totals["imported"]!, "skipped": totals["skipped"]!,
                                      "invalid": totals["invalid"]!, "problems": Array(problems.prefix(100))]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }
}

extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}

struct ExportUsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-users", abstract: "Export users as JSON lines (mongoexport shape, hashes included).")

    func run() throws {
        let response = try AdminConnection.perform("GET", "/admin/export")
        print(response.text, terminator: "")
    }
}

struct TakeSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshot", abstract: "Ask the running server to write a snapshot now.")

    func run() throws {
        let response = try AdminConnection.perform("POST", "/admin/snapshot")
        print(response.text)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a snapshot file's header and verify its checksums, without loading it into a server.")
    @Argument var file: String

    func run() throws {
        let report = SnapshotFile.inspect(path: file)
        print(report)
        if report.contains("DAMAGED") { throw ExitCode(1) }
    }
}

struct BanUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ban-user", abstract: "Ban a user for some minutes (ends their sessions).")
    @Argument var email: String
    @Argument(help: "Duration in minutes.") var minutes: Int

    func run() throws {
        let body = AdminConnection.encode(["email": email, "minutes": String(minutes)])
        let response = try AdminConnection.perform("POST", "/admin/bans", body: body)
        print(AdminConnection.field("message", in: response) ?? response.text)
    }
}

struct UnbanUser: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unban-user", abstract: "Lift a user's ban (or any subject's with --subject).")
    @Argument var email: String?
    @Option(help: "A ban subject as listed by list-bans (user:<id> or ip:<address>).") var subject: String?

    func run() throws {
        let query = subject.map { "subject=" + FormURLEncoded.encode($0) } ?? "email=" + FormURLEncoded.encode(email ?? "")
        _ = try AdminConnection.perform("DELETE", "/admin/bans?" + query)
        print("ban lifted")
    }
}

struct ListBans: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-bans", abstract: "List live bans.")

    func run() throws {
        let response = try AdminConnection.perform("GET", "/admin/bans")
        print(response.text)
    }
}

struct InviteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite-user", abstract: "Email an invitation (7 days, bound to the address) to register.")
    @Argument var email: String

    func run() throws {
        let response = try AdminConnection.perform("POST", "/admin/invites", body: AdminConnection.encode(["email": email]))
        print(AdminConnection.field("message", in: response) ?? response.text)
    }
}
