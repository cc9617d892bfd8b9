import CPortcullisLinux
import Foundation
import Glibc
import PortcullisSupport
import Synchronization

/// Settings of one load run.
public struct LoadConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 3080
    public var virtualUsers = 100
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var scenario: Scenario = .mixed
    public var userGets = 5
    public var refreshes = 1
    /// Seconds to run (ignored when `requests` is set).
    public var duration: Double = 10
    /// Stop after this many completed requests.
    public var requests: Int?
    /// Open loop: total arrivals per second across all virtual users; `nil` is closed loop.
    public var rate: Double?
    /// Accounts `user<i>@<domain>` with `password`, i in 0..<accounts.
    public var accounts = 100
    public var emailDomain = "load.test"
    public var password = "load test password"
    /// A response slower than this counts as a timeout and the connection is replaced.
    public var timeout: Double = 30

    public init() {}
}

/// Counters and histograms, per operation; merged across threads.
public struct LoadStatistics: Sendable {
    public var histograms: [Operation: LatencyHistogram] = [:]
    public var statuses: [Operation: [Int: Int]] = [:]
    public var errors: [String: Int] = [:]
    public var completed = 0

    mutating func record(_ operation: Operation, status: Int, microseconds: Int64) {
        histograms[operation, default: LatencyHistogram()].record(microseconds: microseconds)
        statuses[operation, default: [:]][status, default: 0] += 1
        completed += 1
    }

    mutating func merge(_ other: LoadStatistics) {
        for (operation, histogram) in other.histograms {
            histograms[operation, default: LatencyHistogram()].merge(histogram)
        }
        for (operation, counts) in other.statuses {
            for (status, count) in counts { statuses[operation, default: [:]][status, default: 0] += count }
        }
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
        completed += other.completed
    }

    /// All operations together.
    public var overall: LatencyHistogram {
        var all = LatencyHistogram()
        for histogram in histograms.values { all.merge(histogram) }
        return all
    }
}

/// A virtual user: one keep-alive connection and the state a browser would keep (token, cookie).
final class VirtualUser {
    let index: Int
    var fd: Int32 = -1
    var cursor: ScenarioCursor
    var input: [UInt8] = []
    var output: [UInt8] = []
    var sent = 0
    var operation: Operation?
    /// When the request was due (open loop) or sent (closed loop), in microseconds.
    var intendedStart: Int64 = 0
    var token: String?
    var refreshCookie: String?
    var registrations = 0
    var epoll: Int32 = -1
    var wantsWrite = false

    init(index: Int, cursor: ScenarioCursor) {
        self.index = index
        self.cursor = cursor
    }
}

/// Drives virtual users on `threads` epoll loops; many users per thread, one connection each.
public final class LoadEngine: Sendable {
    public let configuration: LoadConfiguration
    private let shared = Mutex(LoadStatistics())
    private let interval = Mutex(LoadStatistics())
    private let stopFlag = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)

    public init(configuration: LoadConfiguration) {
        self.configuration = configuration
    }

    static func microseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// Runs to completion; `progress` is called about once a second with the last second's figures.
    public func run(progress: @escaping @Sendable (_ second: Int, _ stats: LoadStatistics) -> Void) -> LoadStatistics {
        let threadCount = min(configuration.threads, configuration.virtualUsers)
        var threads: [Thread] = []
        let finished = DispatchGroup()
        for t in 0..<threadCount {
            let users = Array(stride(from: t, to: configuration.virtualUsers, by: threadCount))
            finished.enter()
            let thread = Thread { [self] in
                self.loop(users: users, rate: configuration.rate.map { $0 / Double(threadCount) })
                finished.leave()
            }
            thread.name = "portcullis-load-\(t)"
            threads.append(thread)
        }
        let started = Date()
        for thread in threads { thread.start() }
        var second = 0
        while finished.wait(timeout: .now() + 1) == .timedOut {
            second += 1
            let window = interval.withLock { stats -> LoadStatistics in
                defer { stats = LoadStatistics() }
                return stats
            }
            progress(second, window)
            if configuration.requests == nil && Date().timeIntervalSince(started) >= configuration.duration {
                stopFlag.store(true, ordering: .relaxed)
            }
        }
        return shared.withLock { $0 }
    }

    // MARK: One thread

    private func loop(users indices: [Int], rate: Double?) {
        let epoll = CPortcullisLinux_epoll_create()
        defer { close(epoll) }
        var users: [Int: VirtualUser] = [:]
        var idle: [VirtualUser] = []
        var local = LoadStatistics()
        var window = LoadStatistics()
        // Arrivals waiting for a free user, oldest first (a head index keeps removal O(1)).
        var backlog: [Int64] = []
        var backlogHead = 0
        let period = rate.map { Int64(1_000_000 / max($0, 0.001)) }
        var nextArrival = Self.microseconds()
        var lastFlush = Self.microseconds()
        for index in indices {
            let user = VirtualUser(
                index: index,
                cursor: ScenarioCursor(
                    scenario: configuration.scenario, userGets: configuration.userGets,
                    refreshes: configuration.refreshes))
            guard connect(user, epoll: epoll) else {
                local.errors["connect", default: 0] += 1
                continue
            }
            users[Int(user.fd)] = user
            idle.append(user)
        }
        func begin(_ user: VirtualUser, at intended: Int64) {
            // Once stopping, nothing new starts; requests in flight still finish and are counted.
            guard !stopFlag.load(ordering: .relaxed) else {
                user.operation = nil
                return
            }
            user.intendedStart = intended
            let operation = user.cursor.next()
            user.operation = operation
            user.output = request(for: operation, user: user)
            user.sent = 0
            flush(user)
        }
        func finishRequest() -> Bool {
            let done = completed.add(1, ordering: .relaxed).newValue
            if let limit = configuration.requests, done >= limit { stopFlag.store(true, ordering: .relaxed) }
            return stopFlag.load(ordering: .relaxed)
        }
        if period == nil {
            let now = Self.microseconds()
            for user in idle { begin(user, at: now) }
            idle.removeAll()
        }
        var events = [UInt32](repeating: 0, count: 256)
        var tokens = [UInt64](repeating: 0, count: 256)
        var drainDeadline: Int64?
        while true {
            let now = Self.microseconds()
            if stopFlag.load(ordering: .relaxed) {
                // Drain: wait (up to 5 s) for the answers to requests already sent, so the report
                // counts exactly what the server did.
                let deadline = drainDeadline ?? now + 5_000_000
                drainDeadline = deadline
                if now > deadline || !users.values.contains(where: { $0.operation != nil }) { break }
            }
            if let period {
                while nextArrival <= now && !stopFlag.load(ordering: .relaxed) {
                    if let user = idle.popLast() { begin(user, at: nextArrival) } else { backlog.append(nextArrival) }
                    if backlogHead > 4096 && backlogHead * 2 > backlog.count {
                        backlog.removeFirst(backlogHead)
                        backlogHead = 0
                    }
                    nextArrival += period
                }
            }
            // At least 1 ms: arrivals due meanwhile are started together on wake-up (their latency
            // still counts from their scheduled times), instead of spinning on epoll_wait(0).
            let waitMs: Int32 = period == nil ? 100 : Int32(max(1, min(100, (nextArrival - now) / 1000)))
            let count = events.withUnsafeMutableBufferPointer { e in
                tokens.withUnsafeMutableBufferPointer { t in
                    CPortcullisLinux_epoll_wait(epoll, e.baseAddress, t.baseAddress, 256, waitMs)
                }
            }
            for i in 0..<max(0, Int(count)) {
                guard let user = users[Int(tokens[i])] else { continue }
                if events[i] & CPortcullisLinux_EPOLLOUT != 0 { flush(user) }
                if events[i] & (CPortcullisLinux_EPOLLIN | CPortcullisLinux_EPOLLHUP | CPortcullisLinux_EPOLLERR) != 0 {
                    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                    let got = buffer.withUnsafeMutableBytes { read(user.fd, $0.baseAddress, $0.count) }
                    if got <= 0 {
                        if got < 0 && errno == EAGAIN { continue }
                        local.errors["closed", default: 0] += 1
                        window.errors["closed", default: 0] += 1
                        reconnect(user, epoll: epoll, users: &users)
                        if user.operation != nil { begin(user, at: Self.microseconds()) }
                        continue
                    }
                    user.input.append(contentsOf: buffer[0..<Int(got)])
                    switch ResponseParser.parse(user.input) {
                    case .needMore:
                        continue
                    case .malformed(let why):
                        local.errors["malformed: \(why)", default: 0] += 1
                        reconnect(user, epoll: epoll, users: &users)
                        begin(user, at: Self.microseconds())
                    case .response(let response, let consumed):
                        user.input.removeFirst(consumed)
                        let finishedAt = Self.microseconds()
                        let operation = user.operation!
                        local.record(operation, status: response.status, microseconds: finishedAt - user.intendedStart)
                        window.record(operation, status: response.status, microseconds: finishedAt - user.intendedStart)
                        apply(response, of: operation, to: user)
                        if response.close { reconnect(user, epoll: epoll, users: &users) }
                        user.operation = nil
                        _ = finishRequest()
                        if period != nil {
                            if backlogHead < backlog.count {
                                begin(user, at: backlog[backlogHead])
                                backlogHead += 1
                            } else {
                                idle.append(user)
                            }
                        } else {
                            begin(user, at: finishedAt)
                        }
                    }
                }
            }
            let current = Self.microseconds()
            if current - lastFlush >= 200_000 {
                // Time out stuck requests (a scan of all users, so only a few times a second).
                let limit = Int64(configuration.timeout * 1_000_000)
                for user in users.values where user.operation != nil && current - user.intendedStart > limit {
                    local.errors["timeout", default: 0] += 1
                    reconnect(user, epoll: epoll, users: &users)
                    begin(user, at: current)
                }
                let pending = window
                interval.withLock { $0.merge(pending) }
                window = LoadStatistics()
                lastFlush = current
            }
        }
        let pending = window
        interval.withLock { $0.merge(pending) }
        let result = local
        shared.withLock { $0.merge(result) }
        for user in users.values { close(user.fd) }
    }

    private func connect(_ user: VirtualUser, epoll: Int32) -> Bool {
        let family = configuration.host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        // An address that is not an IP literal is refused here rather than connecting to 0.0.0.0.
        let result = SocketAddress.withIP(host: configuration.host, port: configuration.port) {
            Glibc.connect(fd, $0, $1)
        }
        guard result == 0 else {
            close(fd)
            return false
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        user.fd = fd
        user.epoll = epoll
        user.wantsWrite = false
        user.input.removeAll()
        return CPortcullisLinux_epoll_ctl(
            epoll, EPOLL_CTL_ADD, fd, CPortcullisLinux_EPOLLIN | CPortcullisLinux_EPOLLRDHUP, UInt64(fd)) == 0
    }

    private func reconnect(_ user: VirtualUser, epoll: Int32, users: inout [Int: VirtualUser]) {
        users.removeValue(forKey: Int(user.fd))
        _ = CPortcullisLinux_epoll_ctl(epoll, EPOLL_CTL_DEL, user.fd, 0, 0)
        close(user.fd)
        if connect(user, epoll: epoll) { users[Int(user.fd)] = user }
    }

    private func flush(_ user: VirtualUser) {
        while user.sent < user.output.count {
            let written = user.output.withUnsafeBytes {
                send(user.fd, $0.baseAddress! + user.sent, $0.count - user.sent, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { break }
            user.sent += written
        }
        // Ask for write readiness only while part of a request is still unsent.
        let pending = user.sent < user.output.count
        if pending != user.wantsWrite {
            user.wantsWrite = pending
            let events =
                CPortcullisLinux_EPOLLIN | CPortcullisLinux_EPOLLRDHUP | (pending ? CPortcullisLinux_EPOLLOUT : 0)
            _ = CPortcullisLinux_epoll_ctl(user.epoll, EPOLL_CTL_MOD, user.fd, events, UInt64(user.fd))
        }
    }

    // MARK: Requests and browser-like state

    private func request(for operation: Operation, user: VirtualUser) -> [UInt8] {
        let host = "\(configuration.host):\(configuration.port)"
        let account = user.index % max(1, configuration.accounts)
        let email = "user\(account)@\(configuration.emailDomain)"
        func post(_ path: String, _ body: String, headers: String = "") -> [UInt8] {
            Array(
                "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
                    .utf8)
        }
        let cookie = user.refreshCookie.map { "Cookie: refreshToken=\($0)\r\n" } ?? ""
        let bearer = user.token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        switch operation {
        case .login:
            return post("/api/auth/login", #"{"email":"\#(email)","password":"\#(configuration.password)"}"#)
        case .user:
            return Array("GET /api/user HTTP/1.1\r\nHost: \(host)\r\n\(bearer)\r\n".utf8)
        case .refresh:
            return post("/api/auth/refresh", "", headers: cookie)
        case .logout:
            return post("/api/auth/logout", "", headers: bearer + cookie)
        case .register:
            user.registrations += 1
            let unique =
                "reg\(user.index)-\(user.registrations)-\(UInt32.random(in: 0...UInt32.max))@\(configuration.emailDomain)"
            return post(
                "/api/auth/register",
                #"{"name":"Load User","email":"\#(unique)","password":"\#(configuration.password)","confirm_password":"\#(configuration.password)"}"#
            )
        }
    }

    private func apply(_ response: ResponseParser.Response, of operation: Operation, to user: VirtualUser) {
        for cookie in response.setCookies where cookie.hasPrefix("refreshToken=") {
            let value = cookie.dropFirst(13).prefix { $0 != ";" }
            user.refreshCookie = value.isEmpty ? nil : String(value)
        }
        switch operation {
        case .login, .refresh:
            if response.status == 200, let token = Self.jsonString("token", in: response.body) {
                user.token = token
                user.cursor.loggedIn = true
            } else if operation == .refresh {
                user.cursor.loggedIn = false
            }
        case .logout:
            user.token = nil
            user.refreshCookie = nil
            user.cursor.loggedIn = false
        case .user:
            if response.status == 401 { user.cursor.loggedIn = false }
        case .register:
            break
        }
    }

    /// The string value of a top-level key in a small JSON answer (`"token":"..."`).
    static func jsonString(_ key: String, in body: [UInt8]) -> String? {
        let pattern = Array("\"\(key)\":\"".utf8)
        guard let start = ResponseParser.find(body, pattern, from: 0) else { return nil }
        let valueStart = start + pattern.count
        guard let end = body[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: body[valueStart..<end], as: UTF8.self)
    }
}
