/// The life of one connection as one state plus the times its deadlines come from (as
/// HummingbirdCore's `HTTPConnectionStateHandler.StateMachine`). Pure logic with no descriptor and
/// no clock of its own: the event loop passes the time and performs what it decides, and the tests
/// drive it with a manual clock.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Reading and answering requests.
        case active
        /// No more requests are read; once every answer is written the connection closes — or,
        /// after a refusal mid-stream (unread bytes may follow, and a reset would destroy the
        /// answer in flight), half-closes and lingers first.
        case draining(lingerFirst: Bool)
        /// Half-closed after the last answer; input is only discarded, until EOF or the deadline.
        case lingering
        case closed
    }

    /// The deadline that applies now, and when it falls (monotonic ms).
    enum Deadline: Equatable {
        /// The request head is not complete (slow-loris): 408.
        case header(Int64)
        /// The body is not complete: 408.
        case body(Int64)
        /// Keep-alive with nothing in flight: close.
        case idle(Int64)
        /// Output makes no progress: close.
        case write(Int64)
        /// Lingering ends: close.
        case linger(Int64)
        /// Waiting for our own handlers: no deadline.
        case none

        var time: Int64 {
            switch self {
            case .header(let t), .body(let t), .idle(let t), .write(let t), .linger(let t): t
            case .none: .max
            }
        }
    }

    struct Timeouts: Equatable {
        var header: Int64
        var body: Int64
        var idle: Int64
        var write: Int64
        var linger: Int64 = 2_000
    }

    /// What the loop does when a deadline passes.
    enum TimerAction: Equatable {
        /// Answer 408 and drain (then linger).
        case requestTimeout
        case close
        /// The deadline moved meanwhile (activity): reschedule.
        case reschedule
    }

    /// What the loop does once every queued answer is written.
    enum AfterFlush: Equatable {
        case close
        case linger
        /// Parse whatever is buffered and keep reading.
        case keepServing
    }

    let timeouts: Timeouts
    private(set) var state: State = .active
    private(set) var requestStartedAt: Int64
    private(set) var bodyStartedAt: Int64 = 0
    private(set) var lastWriteProgressAt: Int64 = 0
    private(set) var lastActivityAt: Int64
    private(set) var requestsServed = 0
    private(set) var lingerUntil: Int64 = 0

    init(timeouts: Timeouts, now: Int64) {
        self.timeouts = timeouts
        requestStartedAt = now
        lastActivityAt = now
    }

    var isOpen: Bool { state != .closed }
    var acceptsRequests: Bool { state == .active }
    var isLingering: Bool { state == .lingering }

    // MARK: Events

    /// Bytes arrived; `startsRequest` when nothing was buffered or awaited before them.
    mutating func received(now: Int64, startsRequest: Bool) {
        if startsRequest { requestStartedAt = now }
        lastActivityAt = now
    }

    /// The parser began reading a body.
    mutating func bodyStarted(now: Int64) { bodyStartedAt = now }

    /// A complete request was parsed; `moreBuffered` when the next one has already begun.
    mutating func requestParsed(keepAlive: Bool, moreBuffered: Bool, now: Int64) {
        requestsServed += 1
        if moreBuffered { requestStartedAt = now }
        if !keepAlive { stopReading() }
    }

    /// The request was refused mid-stream (a parser error, a timeout): answer, then linger.
    mutating func refused(now: Int64) {
        if state != .closed && state != .lingering { state = .draining(lingerFirst: true) }
        lastWriteProgressAt = now
    }

    /// No more requests: the peer closed its side, `Connection: close`, or the server is stopping.
    mutating func stopReading() {
        if state == .active { state = .draining(lingerFirst: false) }
    }

    /// Answers were serialized or bytes were sent.
    mutating func madeProgress(now: Int64) {
        lastWriteProgressAt = now
        lastActivityAt = now
    }

    /// Every queued answer is written: close, linger, or go on serving.
    func afterFlush(awaitingAnswers: Bool) -> AfterFlush {
        switch state {
        case .draining(let lingerFirst) where !awaitingAnswers: lingerFirst ? .linger : .close
        case .active, .draining: .keepServing
        case .lingering, .closed: .keepServing
        }
    }

    mutating func beginLingering(now: Int64) {
        state = .lingering
        lingerUntil = now + timeouts.linger
    }

    mutating func closed() { state = .closed }

    // MARK: Deadlines

    /// The one deadline that applies given what the connection holds.
    func deadline(hasUnsentOutput: Bool, awaitingAnswers: Bool, hasBufferedInput: Bool, readingBody: Bool) -> Deadline {
        switch state {
        case .closed: return .none
        case .lingering: return .linger(lingerUntil)
        case .active, .draining: break
        }
        if hasUnsentOutput { return .write(lastWriteProgressAt + timeouts.write) }
        if awaitingAnswers { return .none }
        if hasBufferedInput || requestsServed == 0 {
            return readingBody ? .body(bodyStartedAt + timeouts.body) : .header(requestStartedAt + timeouts.header)
        }
        return .idle(lastActivityAt + timeouts.idle)
    }

    /// A scheduled timer for `deadline` fired at `now`.
    func timerFired(_ deadline: Deadline, now: Int64) -> TimerAction {
        guard deadline.time <= now else { return .reschedule }
        switch deadline {
        case .header, .body: return state == .active ? .requestTimeout : .close
        case .idle, .write, .linger: return .close
        case .none: return .reschedule
        }
    }
}
