import ArgumentParser
import Foundation
import PortcullisHTTP
import PortcullisLoad

/// `portcullis loadtest`: many virtual users against any LibreChat-compatible server.
struct LoadTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Drive a LibreChat-compatible server with many virtual users and report latency percentiles.",
        discussion:
            "Accounts are user<i>@<domain> with --password; --seed N registers them first (needs ALLOW_REGISTRATION)."
    )

    @Option(help: "The server, http://host:port (IPv4).") var url: String = "http://127.0.0.1:3080"
    @Option(help: "Virtual users (one keep-alive connection each).") var users: Int = 100
    @Option(help: "Event-loop threads driving them.") var threads: Int = max(
        1, ProcessInfo.processInfo.activeProcessorCount)
    @Option(help: "mixed, login-only, verify-only, refresh-storm or register.") var scenario: String = "mixed"
    @Option(help: "GET /api/user per login in the mixed scenario.") var userGets: Int = 5
    @Option(help: "Refreshes per login in the mixed scenario.") var refreshes: Int = 1
    @Option(help: "Seconds to run.") var duration: Double = 10
    @Option(help: "Stop after this many requests instead.") var requests: Int?
    @Option(help: "Open loop: arrivals per second (latency counted from the scheduled time). Default: closed loop.")
    var rate: Double?
    @Option(help: "Distinct accounts the users log in as.") var accounts: Int = 100
    @Option(help: "Register this many accounts before the run.") var seed: Int = 0
    @Option(help: "Account email domain.") var domain: String = "load.test"
    @Option(help: "Account password.") var password: String = "load test password"
    @Flag(help: "Print the final report as JSON.") var json = false
    @Option(help: "Write the per-second time series here (CSV).") var csv: String?
    @Option(help: "Write a p50/p99 latency plot here (SVG).") var svg: String?
    @Flag(help: "No per-second progress lines.") var quiet = false

    func run() throws {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else {
            throw ValidationError("--url must be http://host:port")
        }
        guard let scenario = Scenario(rawValue: scenario) else {
            throw ValidationError(
                "--scenario must be one of \(Scenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var configuration = LoadConfiguration()
        configuration.host = host == "localhost" ? "127.0.0.1" : host
        configuration.port = parsed.port ?? 80
        configuration.virtualUsers = max(1, users)
        configuration.threads = max(1, threads)
        configuration.scenario = scenario
        configuration.userGets = userGets
        configuration.refreshes = refreshes
        configuration.duration = duration
        configuration.requests = requests
        configuration.rate = rate
        configuration.accounts = max(1, accounts)
        configuration.emailDomain = domain
        configuration.password = password
        if seed > 0 { try seedAccounts(configuration, count: seed) }

        let engine = LoadEngine(configuration: configuration)
        let series = SeriesBox()
        let quiet = self.quiet
        let started = Date()
        let statistics = engine.run { second, window in
            let all = window.overall
            let errors =
                window.errors.values.reduce(0, +)
                + window.statuses.values.flatMap { $0 }.filter { $0.key >= 400 }.reduce(0) { $0 + $1.value }
            series.append(
                LoadReport.Second(
                    second: second, requests: all.count, errors: errors, p50: all.percentile(50),
                    p99: all.percentile(99)))
            if !quiet {
                StandardError.write(
                    String(
                        format: "[%3ds] %7d req/s  errors %5d  p50 %7.2f ms  p99 %7.2f ms\n", second, all.count, errors,
                        Double(all.percentile(50)) / 1000, Double(all.percentile(99)) / 1000))
            }
        }
        let report = LoadReport(
            statistics: statistics, seconds: Date().timeIntervalSince(started), series: series.values,
            configuration: configuration)
        print(json ? report.json : report.text)
        if let csv { try report.csv.write(toFile: csv, atomically: true, encoding: String.Encoding.utf8) }
        if let svg { try report.svg.write(toFile: svg, atomically: true, encoding: String.Encoding.utf8) }
    }

    /// Registers `user<i>@domain` accounts through the API, a few in parallel.
    func seedAccounts(_ configuration: LoadConfiguration, count: Int) throws {
        let failures = SeriesBox()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let client = HTTPClient(.tcp(host: configuration.host, port: configuration.port), timeout: 60_000)
            for i in stride(from: worker, to: count, by: 8) {
                let body =
                    #"{"name":"Load User","email":"user\#(i)@\#(configuration.emailDomain)","password":"\#(configuration.password)","confirm_password":"\#(configuration.password)"}"#
                let status =
                    (try? client.request(
                        "POST", "/api/auth/register", headers: [("Content-Type", "application/json")],
                        body: Array(body.utf8)
                    ).status) ?? 0
                if status != 200 {
                    failures.append(LoadReport.Second(second: i, requests: status, errors: 1, p50: 0, p99: 0))
                }
            }
        }
        if !failures.values.isEmpty {
            throw ValidationError(
                "seeding failed for \(failures.values.count) account(s) (is ALLOW_REGISTRATION on, and the limiter high enough?)"
            )
        }
    }
}

/// Collects per-second points from the progress callback.
final class SeriesBox: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var points: [LoadReport.Second] = []

    func append(_ point: LoadReport.Second) {
        lock.lock()
        points.append(point)
        lock.unlock()
    }

    var values: [LoadReport.Second] {
        lock.lock()
        defer { lock.unlock() }
        return points
    }
}
