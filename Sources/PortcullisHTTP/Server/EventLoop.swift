import CPortcullisLinux
import Glibc
import Synchronization

/// A response finished by a task, on its way back to the loop that owns the connection.
struct Completion: Sendable {
    var connectionID: UInt64
    var sequence: UInt64
    var response: HTTPResponse
}

/// Renders what a handler threw: an ``HTTPResponseError`` its own answer, anything else a bare 500.
func render(_ error: any Error) -> HTTPResponse {
    (error as? any HTTPResponseError)?.response ?? EventLoop.internalError
}

/// State every loop of one server shares.
final class ServerState: Sendable {
    let configuration: HTTPServerConfiguration
    let router: Router
    let observers: [any HTTPObserver]
    let connectionCount = Atomic<Int>(0)
    let nextConnectionID = Atomic<UInt64>(1 << 32)

    init(configuration: HTTPServerConfiguration, router: Router, observers: [any HTTPObserver]) {
        self.configuration = configuration
        self.router = router
        self.observers = observers
    }
}

/// One epoll loop on its own thread. It owns its listeners and connections outright; other threads
/// reach it only through `post` (the inbox and its eventfd), which is why it can be
/// `@unchecked Sendable`: every other member is touched on the loop thread alone.
final class EventLoop: @unchecked Sendable {
    private static let wakeToken: UInt64 = 0
    private static let readEvents = CPortcullisLinux_EPOLLIN | CPortcullisLinux_EPOLLRDHUP

    let index: Int
    private let state: ServerState
    private let epollFD: Int32
    private let wakeFD: Int32
    private var listeners: [Int32] = []
    // Loop-thread-only state touched per event; see `Connection` for why the dynamic exclusivity
    // checks are off for these.
    @exclusivity(unchecked) private var connections: [UInt64: Connection] = [:]
    private var wheel: TimerWheel
    private let inbox = Mutex<[Completion]>([])
    private let stopRequest = Atomic<Int64>(0)  // 0: running, else the grace deadline (monotonic ms)
    @exclusivity(unchecked) private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    @exclusivity(unchecked) private var dirty: [Connection] = []
    private var dateBytes: [UInt8] = []
    private var dateSecond: Int64 = -1
    private var limits: HTTPLimits { state.configuration.limits }
    private let timeouts: ConnectionStateMachine.Timeouts

    init(index: Int, state: ServerState) throws {
        self.index = index
        self.state = state
        let configuration = state.configuration
        timeouts = .init(
            header: configuration.headerTimeout, body: configuration.bodyTimeout, idle: configuration.idleTimeout,
            write: configuration.writeTimeout)
        epollFD = CPortcullisLinux_epoll_create()
        guard epollFD >= 0 else { throw SocketError.last("epoll_create1") }
        wakeFD = CPortcullisLinux_eventfd()
        guard wakeFD >= 0 else { throw SocketError.last("eventfd") }
        wheel = TimerWheel(now: Socket.monotonicMilliseconds())
        _ = System.epollControl(epollFD, EPOLL_CTL_ADD, wakeFD, CPortcullisLinux_EPOLLIN, Self.wakeToken)
    }

    deinit {
        System.close(epollFD)
        System.close(wakeFD)
    }

    /// Registers a listening socket (before the thread starts).
    func addListener(_ fd: Int32) {
        listeners.append(fd)
        _ = System.epollControl(epollFD, EPOLL_CTL_ADD, fd, CPortcullisLinux_EPOLLIN, UInt64(listeners.count))
    }

    /// Hands a finished response to this loop; callable from any thread.
    func post(_ completion: Completion) {
        let wasEmpty = inbox.withLock { queue -> Bool in
            queue.append(completion)
            return queue.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Asks the loop to stop accepting, finish in-flight requests until `deadline`, then return.
    func requestStop(deadline: Int64) {
        stopRequest.store(max(deadline, 1), ordering: .releasing)
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        withUnsafeBytes(of: &one) { System.writeAll(wakeFD, $0) }
    }

    // MARK: The loop

    func run() {
        var events = [UInt32](repeating: 0, count: 256)
        var tokens = [UInt64](repeating: 0, count: 256)
        var stopping = false
        while true {
            let now = Socket.monotonicMilliseconds()
            let timeout = wheel.millisecondsToNextTick(now: now)
            let count = events.withUnsafeMutableBufferPointer { eventBuffer in
                tokens.withUnsafeMutableBufferPointer { tokenBuffer in
                    System.epollWait(epollFD, eventBuffer.baseAddress, tokenBuffer.baseAddress, 256, timeout: timeout)
                }
            }
            let after = Socket.monotonicMilliseconds()
            for i in 0..<count {
                handle(token: tokens[i], events: events[i], now: after)
            }
            flushDirty(now: after)
            for (id, tick) in wheel.advance(to: after) { timerFired(id: id, tick: tick, now: after) }
            flushDirty(now: after)

            let stopDeadline = stopRequest.load(ordering: .acquiring)
            if stopDeadline != 0 {
                if !stopping {
                    stopping = true
                    beginStopping(now: after)
                }
                if connections.isEmpty || after >= stopDeadline {
                    for connection in Array(connections.values) { closeConnection(connection) }
                    return
                }
            }
        }
    }

    private func handle(token: UInt64, events: UInt32, now: Int64) {
        if token == Self.wakeToken {
            var value: UInt64 = 0
            _ = withUnsafeMutableBytes(of: &value) { System.read(wakeFD, into: $0) }
            let completions = inbox.withLock { queue -> [Completion] in
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            for completion in completions { complete(completion) }
            return
        }
        if token <= UInt64(listeners.count) {
            acceptConnections(listeners[Int(token) - 1], now: now)
            return
        }
        guard let connection = connections[token] else { return }
        if events & (CPortcullisLinux_EPOLLERR | CPortcullisLinux_EPOLLHUP) != 0
            && events & CPortcullisLinux_EPOLLIN == 0
        {
            closeConnection(connection)
            return
        }
        if events & CPortcullisLinux_EPOLLOUT != 0 {
            markDirty(connection)
        }
        if events & (CPortcullisLinux_EPOLLIN | CPortcullisLinux_EPOLLRDHUP) != 0 {
            readFrom(connection, now: now)
        }
    }

    // MARK: Accepting

    private func acceptConnections(_ listener: Int32, now: Int64) {
        for _ in 0..<128 {
            guard let (fd, address) = Socket.accept(listener) else { return }
            let open = state.connectionCount.add(1, ordering: .relaxed).newValue
            if open > state.configuration.maximumConnections {
                state.connectionCount.subtract(1, ordering: .relaxed)
                _ = Self.busyRefusal.withUnsafeBytes { System.send(fd, $0) }
                System.close(fd)
                continue
            }
            Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let id = state.nextConnectionID.add(1, ordering: .relaxed).newValue
            let connection = Connection(
                id: id, fd: fd, remoteAddress: address, limits: limits, timeouts: timeouts, now: now)
            connection.interest = Self.readEvents
            guard System.epollControl(epollFD, EPOLL_CTL_ADD, fd, connection.interest, id) else {
                System.close(fd)
                state.connectionCount.subtract(1, ordering: .relaxed)
                continue
            }
            connections[id] = connection
            updateDeadline(connection, now: now)
        }
    }

    // MARK: Reading and dispatch

    private func readFrom(_ connection: Connection, now: Int64) {
        if connection.machine.isLingering {
            // Discard whatever the client still sends until it closes its side (or the deadline).
            while true {
                switch scratch.withUnsafeMutableBytes({ System.read(connection.fd, into: $0) }) {
                case .processed: continue
                case .wouldBlock: return
                case .endOfStream, .failed: closeConnection(connection)
                }
                return
            }
        }
        var total = 0
        while total < 256 * 1024 {
            let result = scratch.withUnsafeMutableBytes { System.read(connection.fd, into: $0) }
            if !connection.machine.acceptsRequests {
                // Nothing more will be parsed; drain and discard so the kernel buffer does not fill.
                switch result {
                case .processed(let got):
                    total += got
                    continue
                case .wouldBlock:
                    return
                case .endOfStream, .failed:
                    if !connection.hasUnsentOutput && connection.slots.isEmpty {
                        closeConnection(connection)
                    } else {
                        updateInterest(connection)
                    }
                    return
                }
            }
            switch result {
            case .processed(let got):
                connection.machine.received(
                    now: now, startsRequest: connection.input.isEmpty && connection.slots.isEmpty)
                connection.input.append(contentsOf: scratch[0..<got])
                total += got
                if connection.input.count > limits.maximumRequestLength { break }
                // A short read means the socket is drained; epoll (level-triggered) reports any
                // later bytes, so skip the read that would only say EAGAIN.
                if got < scratch.count { break }
                continue
            case .wouldBlock:
                break
            case .endOfStream, .failed:
                // Whatever was half-sent is dropped; answered work is still written.
                connection.machine.stopReading()
                connection.input.removeAll()
                updateInterest(connection)
                if connection.slots.isEmpty && !connection.hasUnsentOutput {
                    closeConnection(connection)
                }
                return
            }
            break
        }
        processInput(connection, now: now)
    }

    private func processInput(_ connection: Connection, now: Int64) {
        let configuration = state.configuration
        while connection.machine.acceptsRequests && connection.slots.count < configuration.maximumPipelinedRequests {
            let wasReadingBody = connection.parser.isReadingBody
            let outcome = connection.parser.parse(connection.input, remoteAddress: connection.remoteAddress)
            switch outcome {
            case .needMoreData:
                if connection.parser.isReadingBody && !wasReadingBody { connection.machine.bodyStarted(now: now) }
                if connection.parser.takeContinueRequest() && connection.slots.isEmpty {
                    connection.output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    markDirty(connection)
                }
                updateDeadline(connection, now: now)
                updateInterest(connection)
                return
            case .failure(let error):
                connection.input.removeAll()
                connection.machine.refused(now: now)
                enqueue(
                    connection, response: .message(error.reason, status: error.status), headRequest: false,
                    keepAlive: false,
                    minorVersion: 1)
            case .request(var request, let consumed):
                connection.input.removeFirst(consumed)
                let keepAlive = request.keepAlive
                connection.machine.requestParsed(
                    keepAlive: keepAlive, moreBuffered: !connection.input.isEmpty, now: now)
                let headRequest = request.method == .head
                let sequence = connection.nextSequence
                connection.nextSequence += 1
                let resolution = state.router.resolve(&request)
                let route: String
                if case .handler(_, let label) = resolution { route = label } else { route = HTTPExchange.unmatched }
                connection.slots.append(
                    .init(
                        sequence: sequence, headRequest: headRequest, keepAlive: keepAlive,
                        minorVersion: request.minorVersion, response: nil, route: route,
                        startedAt: Socket.monotonicNanoseconds()))
                switch resolution {
                case .notFound, .methodNotAllowed:
                    setResponse(connection, sequence: sequence, response: Router.unmatched(resolution)!)
                case .handler(.immediate(let handler), _):
                    let response: HTTPResponse
                    do { response = try handler(request) } catch { response = render(error) }
                    setResponse(connection, sequence: sequence, response: response)
                case .handler(.deferred(let handler), _):
                    let connectionID = connection.id
                    Task {
                        let response: HTTPResponse
                        do { response = try await handler(request) } catch { response = render(error) }
                        self.post(Completion(connectionID: connectionID, sequence: sequence, response: response))
                    }
                }
            }
        }
        updateDeadline(connection, now: now)
        updateInterest(connection)
    }

    static let internalError = HTTPResponse.message("Internal Server Error", status: .internalServerError)
    static let busyRefusal = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n".utf8)

    /// Queues an answer no route produced (a parser refusal, a timeout).
    private func enqueue(
        _ connection: Connection, response: HTTPResponse, headRequest: Bool, keepAlive: Bool, minorVersion: Int
    ) {
        let sequence = connection.nextSequence
        connection.nextSequence += 1
        let now = Socket.monotonicNanoseconds()
        connection.slots.append(
            .init(
                sequence: sequence, headRequest: headRequest, keepAlive: keepAlive,
                minorVersion: minorVersion, response: response, route: HTTPExchange.refused, startedAt: now))
        observe(connection, route: HTTPExchange.refused, status: response.status.code, startedAt: now)
        markDirty(connection)
    }

    private func setResponse(_ connection: Connection, sequence: UInt64, response: HTTPResponse) {
        guard let index = connection.slots.firstIndex(where: { $0.sequence == sequence }) else { return }
        connection.slots[index].response = response
        observe(
            connection, route: connection.slots[index].route, status: response.status.code,
            startedAt: connection.slots[index].startedAt)
        markDirty(connection)
    }

    private func observe(_ connection: Connection, route: String, status: Int, startedAt: UInt64) {
        guard !state.observers.isEmpty else { return }
        let exchange = HTTPExchange(
            route: route, status: status,
            seconds: Double(Socket.monotonicNanoseconds() &- startedAt) / 1e9,
            remoteAddress: connection.remoteAddress)
        for observer in state.observers { observer.observe(exchange) }
    }

    private func complete(_ completion: Completion) {
        guard let connection = connections[completion.connectionID] else { return }  // the client left
        setResponse(connection, sequence: completion.sequence, response: completion.response)
    }

    // MARK: Writing

    private func markDirty(_ connection: Connection) {
        if !connection.isDirty {
            connection.isDirty = true
            dirty.append(connection)
        }
    }

    /// Serialises every response that is next in line, then writes each connection's output in one call.
    private func flushDirty(now: Int64) {
        guard !dirty.isEmpty else { return }
        let batch = dirty
        dirty.removeAll(keepingCapacity: true)
        refreshDate()
        for connection in batch {
            connection.isDirty = false
            guard connection.machine.isOpen else { continue }
            var answered = 0
            while answered < connection.slots.count, let response = connection.slots[answered].response {
                let slot = connection.slots[answered]
                response.serialize(
                    into: &connection.output, headRequest: slot.headRequest,
                    keepAlive: slot.keepAlive
                        && !(!connection.machine.acceptsRequests && answered == connection.slots.count - 1),
                    minorVersion: slot.minorVersion, date: dateBytes)
                answered += 1
            }
            if answered > 0 {
                connection.slots.removeFirst(answered)
                connection.machine.madeProgress(now: now)
            }
            writeOutput(connection, now: now)
        }
    }

    private func writeOutput(_ connection: Connection, now: Int64) {
        while connection.hasUnsentOutput {
            let result = connection.output.withUnsafeBytes { raw in
                System.send(connection.fd, UnsafeRawBufferPointer(rebasing: raw[connection.outputSent...]))
            }
            switch result {
            case .processed(let sent):
                connection.outputSent += sent
                connection.machine.madeProgress(now: now)
                continue
            case .wouldBlock:
                break
            case .endOfStream, .failed:
                closeConnection(connection)
                return
            }
            break
        }
        if !connection.hasUnsentOutput {
            connection.output.removeAll(keepingCapacity: connection.output.capacity <= 64 * 1024)
            connection.outputSent = 0
            switch connection.machine.afterFlush(awaitingAnswers: !connection.slots.isEmpty) {
            case .close:
                closeConnection(connection)
                return
            case .linger:
                beginLingering(connection, now: now)
                return
            case .keepServing:
                // Reading may have paused for back-pressure; parse whatever is already buffered.
                if !connection.input.isEmpty && connection.machine.acceptsRequests {
                    processInput(connection, now: now)
                    return
                }
            }
        }
        updateDeadline(connection, now: now)
        updateInterest(connection)
    }

    // MARK: Interest, deadlines, closing

    private func updateInterest(_ connection: Connection) {
        guard connection.machine.isOpen, !connection.machine.isLingering else { return }
        let configuration = state.configuration
        var wanted: UInt32 = 0
        let backlogged =
            connection.slots.count >= configuration.maximumPipelinedRequests
            || connection.output.count - connection.outputSent > configuration.maximumPendingOutput
        if connection.machine.acceptsRequests && !backlogged { wanted |= Self.readEvents }
        if connection.hasUnsentOutput { wanted |= CPortcullisLinux_EPOLLOUT }
        if wanted != connection.interest {
            connection.interest = wanted
            _ = System.epollControl(epollFD, EPOLL_CTL_MOD, connection.fd, wanted, connection.id)
        }
    }

    private func updateDeadline(_ connection: Connection, now: Int64) {
        guard connection.machine.isOpen, !connection.machine.isLingering else { return }
        let deadline = connection.machine.deadline(
            hasUnsentOutput: connection.hasUnsentOutput, awaitingAnswers: !connection.slots.isEmpty,
            hasBufferedInput: !connection.input.isEmpty, readingBody: connection.parser.isReadingBody)
        connection.deadline = deadline
        guard deadline != .none else { return }
        let scheduledAt = connection.scheduledTick * TimerWheel.tick
        if connection.scheduledTick == 0 || deadline.time < scheduledAt - TimerWheel.tick {
            connection.scheduledTick = wheel.schedule(connection.id, at: deadline.time)
        }
    }

    private func timerFired(id: UInt64, tick: Int64, now: Int64) {
        guard let connection = connections[id], connection.scheduledTick == tick else { return }
        connection.scheduledTick = 0
        switch connection.machine.timerFired(connection.deadline, now: now) {
        case .reschedule:
            if connection.deadline != .none {
                connection.scheduledTick = wheel.schedule(id, at: connection.deadline.time)
            }
        case .requestTimeout:
            // Slow or stalled request: answer 408 and close (RFC 9110 §15.5.9).
            connection.input.removeAll()
            connection.machine.refused(now: now)
            enqueue(
                connection, response: .message("Request Timeout", status: .requestTimeout),
                headRequest: false, keepAlive: false, minorVersion: 1)
            updateInterest(connection)
        case .close:
            closeConnection(connection)
        }
    }

    /// Half-closes after the final answer and keeps reading (discarding) for up to two seconds, so
    /// the client receives the answer before the connection goes away.
    private func beginLingering(_ connection: Connection, now: Int64) {
        connection.machine.beginLingering(now: now)
        System.shutdownWrite(connection.fd)
        connection.interest = Self.readEvents
        _ = System.epollControl(epollFD, EPOLL_CTL_MOD, connection.fd, connection.interest, connection.id)
        connection.deadline = connection.machine.deadline(
            hasUnsentOutput: false, awaitingAnswers: false, hasBufferedInput: false,
            readingBody: false)
        connection.scheduledTick = wheel.schedule(connection.id, at: connection.deadline.time)
    }

    private func closeConnection(_ connection: Connection) {
        guard connection.machine.isOpen, connections.removeValue(forKey: connection.id) != nil else { return }
        connection.machine.closed()
        _ = System.epollControl(epollFD, EPOLL_CTL_DEL, connection.fd, 0, 0)
        System.close(connection.fd)
        state.connectionCount.subtract(1, ordering: .relaxed)
    }

    private func beginStopping(now: Int64) {
        for listener in listeners {
            _ = System.epollControl(epollFD, EPOLL_CTL_DEL, listener, 0, 0)
            System.close(listener)
        }
        listeners.removeAll()
        for connection in Array(connections.values) {
            if connection.slots.isEmpty && !connection.hasUnsentOutput {
                closeConnection(connection)  // idle or mid-read: nothing was acknowledged
            } else {
                connection.machine.stopReading()
                updateInterest(connection)
            }
        }
    }

    private func refreshDate() {
        let second = HTTPDate.now()
        if second != dateSecond {
            dateSecond = second
            dateBytes = Array(HTTPDate.format(secondsSince1970: second).utf8)
        }
    }
}
