import Glibc
import Synchronization

/// The HTTP/1.1 server: `eventLoopCount` epoll threads, each with its own `SO_REUSEPORT` listener.
///
/// ```swift
/// var router = Router()
/// router.get("/health") { _ in .text("OK") }
/// let server = try HTTPServer(configuration: .init(addresses: [.tcp(host: "127.0.0.1", port: 3080)]), router: router)
/// try server.start()
/// server.waitForTerminationSignal()      // SIGTERM / SIGINT
/// server.shutdown(gracePeriod: 10_000)    // stop accepting, finish in-flight requests, return
/// ```
public final class HTTPServer: Sendable {
    private let state: ServerState
    private let loops: [EventLoop]
    private let threads = Mutex<[pthread_t]>([])
    /// The bound TCP port of the first TCP address (useful with port 0).
    public let port: Int

    /// - Parameter observers: see every answer (logging, metrics), in this order.
    public init(configuration: HTTPServerConfiguration, router: Router, observers: [any HTTPObserver] = []) throws {
        state = ServerState(configuration: configuration, router: router, observers: observers)
        var loops: [EventLoop] = []
        for index in 0..<configuration.eventLoopCount {
            loops.append(try EventLoop(index: index, state: state))
        }
        var boundPort = 0
        var resolved: [ListenAddress] = []
        for address in configuration.addresses {
            switch address {
            case .tcp(let host, let port):
                // The first listener picks the port (it may be 0); the other loops join it.
                let first = try Socket.listen(.tcp(host: host, port: port))
                loops[0].addListener(first.fd)
                if boundPort == 0 { boundPort = first.port }
                for loop in loops.dropFirst() {
                    loop.addListener(try Socket.listen(.tcp(host: host, port: first.port)).fd)
                }
                resolved.append(.tcp(host: host, port: first.port))
            case .unix:
                loops[0].addListener(try Socket.listen(address).fd)
                resolved.append(address)
            }
        }
        self.loops = loops
        self.port = boundPort
        self.addresses = resolved
    }

    /// The addresses actually listened on (ports resolved).
    public let addresses: [ListenAddress]

    /// Open connections across all loops.
    public var connectionCount: Int { state.connectionCount.load(ordering: .relaxed) }

    /// Starts the loop threads and returns.
    public func start() throws {
        // SIGPIPE would kill the process when a client vanishes mid-write; sends use MSG_NOSIGNAL
        // too, but writes through other paths must not be fatal either.
        signal(SIGPIPE, SIG_IGN)
        Self.raiseFileDescriptorLimit(to: state.configuration.maximumConnections + 256)
        var started: [pthread_t] = []
        for loop in loops {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(loop).toOpaque()
            guard pthread_create(&thread, nil, eventLoopThreadEntry, context) == 0 else {
                Unmanaged<EventLoop>.fromOpaque(context).release()
                throw SocketError.last("pthread_create")
            }
            started.append(thread)
        }
        threads.withLock { $0 = started }
    }

    /// Raises the soft descriptor limit towards the hard one: every connection needs a descriptor,
    /// and the common default of 1024 would cap the server far below `maximumConnections`.
    static func raiseFileDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(rlim_t(wanted), limit.rlim_max)
        if limit.rlim_cur < target {
            limit.rlim_cur = target
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    /// Stops accepting, lets in-flight requests finish for up to `gracePeriod` milliseconds, closes
    /// everything and returns once every loop thread has ended.
    public func shutdown(gracePeriod: Int64 = 10_000) {
        let deadline = Socket.monotonicMilliseconds() + gracePeriod
        for loop in loops { loop.requestStop(deadline: deadline) }
        let running = threads.withLock { threads -> [pthread_t] in
            defer { threads.removeAll() }
            return threads
        }
        for thread in running { pthread_join(thread, nil) }
        for case .unix(let path, _) in addresses { unlink(path) }
    }

    /// Blocks the calling thread until SIGTERM or SIGINT arrives. Call before spawning other
    /// threads that should not receive those signals, or after `start` (loop threads block them).
    public func waitForTerminationSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
    }
}

/// Thread entry for an event loop: a free, nonisolated function, as pthread requires.
private func eventLoopThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    // Termination signals are for the thread that waits for them, never for a loop.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
    loop.run()
    return nil
}
