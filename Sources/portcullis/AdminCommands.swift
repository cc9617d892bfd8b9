import ArgumentParser
import Foundation
import PortcullisCore
import PortcullisHTTP
import PortcullisServer
import PortcullisStore

/// Runs an ``AdminCommand``: on the running server through its admin socket, or, with no server
/// running, on the data directory directly (``OfflineAdmin``). Either way the answer is the same.
struct AdminConnection {
    let path: String

    init() {
        let environment = (try? Environment.load(processEnvironment: Environment.process)) ?? Environment([:])
        path = (environment["PORTCULLIS_DATA_DIR"] ?? "Snapshots") + "/admin.sock"
    }

    func call(_ command: AdminCommand) throws -> AdminAnswer {
        let client = HTTPClient(.unix(path: path, mode: 0), timeout: 120_000)
        let (method, target, body) = command.request
        var json = !body.isEmpty
        if case .importUsers = command { json = false }  // JSON lines, not one JSON document
        do {
            let response = try client.request(
                method, target, headers: json ? [("Content-Type", "application/json")] : [], body: body)
            return AdminAnswer(status: response.status, body: response.body)
        } catch .connectFailed {
            // No server: work on the data directory directly, under its lock.
            do {
                return try OfflineAdmin.run(
                    command, environment: try Environment.load(processEnvironment: Environment.process))
            } catch {
                StandardError.write(
                    "portcullis: no server is running and the data directory could not be opened: \(error)\n")
                throw ExitCode(1)
            }
        } catch {
            StandardError.write("portcullis: admin request failed: \(error)\n")
            throw ExitCode(1)
        }
    }

    /// Runs the command and fails (with the server's message) unless it answered 2xx.
    static func perform(_ command: AdminCommand) throws -> AdminAnswer {
        let answer = try AdminConnection().call(command)
        try check(answer)
        return answer
    }

    /// A top-level field of a JSON answer.
    static func field(_ name: String, in answer: AdminAnswer) -> Any? {
        (try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?[name]
    }

    /// Prints the answer's message on failure and exits non-zero.
    static func check(_ answer: AdminAnswer) throws {
        guard (200..<300).contains(answer.status) else {
            let message = field("message", in: answer) as? String
            StandardError.write("portcullis: \(message ?? answer.text)\n")
            throw ExitCode(1)
        }
    }
}

extension AdminAnswer {
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct CreateUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user", abstract: "Create a user (LibreChat's create-user).")

    @Argument var email: String
    @Argument var name: String?
    @Argument var username: String?
    @Argument(help: "Password; generated and printed when omitted. Prefer --password-stdin.") var password: String?
    @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false
    @Option(name: .customLong("email-verified"), help: "Whether the email counts as verified.") var emailVerified:
        Bool = true
    @Option(help: "Provider to record (default local).") var provider: String = "local"

    func run() throws {
        var password = password
        if passwordStdin {
            guard let line = StandardInput.readLine() else { throw ValidationError("password line too long") }
            password = String(decoding: line, as: UTF8.self)
        }
        let response = try AdminConnection.perform(
            .createUser(
                email: email, name: name, username: username, password: password, emailVerified: emailVerified,
                provider: provider))
        let answer = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let user = answer?["user"] as? [String: Any]
        print(
            "created \(user?["email"] as? String ?? email) (\(user?["id"] as? String ?? "?"), role \(user?["role"] as? String ?? "?"))"
        )
        if let generated = answer?["password"] as? String { print("password: \(generated)") }
    }
}

struct DeleteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-user", abstract: "Delete a user and all their sessions.")
    @Argument var email: String

    func run() throws {
        _ = try AdminConnection.perform(.deleteUser(email: email))
        print("deleted \(email)")
    }
}

struct ListUsers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-users", abstract: "List users.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let response = try AdminConnection.perform(.listUsers)
        if json {
            print(response.text)
            return
        }
        let users = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]) ?? []
        for user in users {
            let fields = ["id", "email", "username", "name", "provider", "role", "createdAt", "termsAccepted"].map {
                "\(user[$0] ?? "")"
            }
            print(fields.joined(separator: "\t"))
        }
        print("\(users.count) user(s)")
    }
}

struct ResetTerms: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-terms",
        abstract: "Mark every user as not having accepted the terms (LibreChat's reset-terms).")
    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        if !yes {
            print("Reset the terms acceptance of every user? [y/N] ", terminator: "")
            guard let line = StandardInput.readLine(),
                ["y", "yes"].contains(String(decoding: line, as: UTF8.self).lowercased())
            else {
                print("cancelled")
                return
            }
        }
        let response = try AdminConnection.perform(.resetTerms)
        print("terms reset for \(AdminConnection.field("users", in: response) ?? 0) user(s)")
    }
}

struct DisableTwoFactor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable-2fa",
        abstract: "Turn 2FA off for a user who lost their authenticator; ends their sessions.")
    @Argument var email: String

    func run() throws {
        let response = try AdminConnection.perform(.disableTwoFactor(email: email))
        print(AdminConnection.field("message", in: response) ?? response.text)
    }
}

struct ResetPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password", abstract: "Set a user's password (read from stdin) and end their sessions.")
    @Argument var email: String

    func run() throws {
        guard let line = StandardInput.readLine() else { throw ValidationError("password line too long") }
        let response = try AdminConnection.perform(
            .setPassword(email: email, password: String(decoding: line, as: UTF8.self)))
        let ended = AdminConnection.field("sessionsEnded", in: response) ?? 0
        print("password changed for \(email); \(ended) session(s) ended")
    }
}

struct UserStats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user-stats", abstract: "Users and sessions held.")

    func run() throws {
        let response = try AdminConnection.perform(.stats)
        print(response.text)
    }
}

struct ImportUsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-users",
        abstract: "Import LibreChat users from a mongoexport file (JSON lines or an array).")
    @Argument var file: String
    @Option(help: "Documents per request to the server.") var batch: Int = 10_000
    @Option(help: "The old deployment's CREDS_KEY (64 hex), to read its 2FA secrets; default: this one's.")
    var credsKey: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file)")
        }
        // Send in batches so any file size stays within the admin API's body limit.
        var lines: [Data] = []
        if data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "[") {
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw ValidationError("\(file) is not a JSON array")
            }
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
            let response = try connection.call(.importUsers(Array(body), credsKey: credsKey))
            try AdminConnection.check(response)
            let report = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
            for key in totals.keys { totals[key, default: 0] += report[key] as? Int ?? 0 }
            problems += (report["problems"] as? [String] ?? []).map { "batch at line \(start + 1): \($0)" }
            start += batch
        } while start < lines.count
        let summary: [String: Any] = [
            "imported": totals["imported"]!, "skipped": totals["skipped"]!,
            "invalid": totals["invalid"]!, "problems": Array(problems.prefix(100)),
        ]
        print(
            String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self)
        )
    }
}

extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}

struct ExportUsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-users", abstract: "Export users as JSON lines (mongoexport shape, hashes included).")

    func run() throws {
        let response = try AdminConnection.perform(.exportUsers)
        print(response.text, terminator: "")
    }
}

struct TakeSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Ask the running server to write a snapshot now.")

    func run() throws {
        let response = try AdminConnection.perform(.snapshot)
        print(response.text)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a snapshot file's header and verify its checksums, without loading it into a server.")
    @Argument var file: String

    func run() throws {
        let report = SnapshotFile.inspect(path: file, states: Engine.emptyStates())
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
        let response = try AdminConnection.perform(.ban(email: email, minutes: Int64(minutes)))
        print(AdminConnection.field("message", in: response) ?? response.text)
    }
}

struct UnbanUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unban-user", abstract: "Lift a user's ban (or any subject's with --subject).")
    @Argument var email: String?
    @Option(help: "A ban subject as listed by list-bans (user:<id> or ip:<address>).") var subject: String?

    func run() throws {
        _ = try AdminConnection.perform(.unban(subject: subject, email: subject == nil ? email ?? "" : nil))
        print("ban lifted")
    }
}

struct ListBans: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-bans", abstract: "List live bans.")

    func run() throws {
        let response = try AdminConnection.perform(.listBans)
        print(response.text)
    }
}

struct InviteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite-user", abstract: "Email an invitation (7 days, bound to the address) to register.")
    @Argument var email: String

    func run() throws {
        let response = try AdminConnection.perform(.invite(email: email))
        print(AdminConnection.field("message", in: response) ?? response.text)
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print audit entries, newest first (works with or without a running server).")
    @Option(help: "An email or user id: entries about that user or by them.") var user: String?
    @Option(help: "Kinds, comma-separated (sign_in, banned, 2fa_enabled, ...).") var kind: String?
    @Option(help: "From this time (ISO 8601, 2026-12-04T10:00:00Z, or milliseconds).") var since: String?
    @Option(help: "Up to this time (same forms).") var until: String?
    @Option(help: "At most this many entries (default 100).") var limit: String?
    @Flag(help: "JSON lines instead of a table.") var json = false

    func run() throws {
        let answer = try AdminConnection.perform(
            .audit(user: user, kind: kind, since: since, until: until, limit: limit))
        guard !json else {
            FileHandle.standardOutput.write(Data(answer.body))
            return
        }
        for line in answer.text.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue
            }
            let columns = ["time", "kind", "outcome", "actor", "email", "ip", "detail"].map {
                entry[$0] as? String ?? "-"
            }
            print(columns.joined(separator: "  "))
        }
    }
}
