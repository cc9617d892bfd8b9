/// One client connection, owned by exactly one event loop and touched only on its thread.
final class Connection {
    /// A request whose response is awaited, in arrival order.
    struct Slot {
        var sequence: UInt64
        var headRequest: Bool
        var keepAlive: Bool
        var minorVersion: Int
        var response: HTTPResponse?
        /// The route label observers get (``HTTPExchange/route``).
        var route: String
        /// When the request was complete (monotonic ns), for observers' latency.
        var startedAt: UInt64
    }

    let id: UInt64
    let fd: Int32
    let remoteAddress: String
    // These are touched on every request, only ever from the owning loop's thread, and never
    // across a call that could touch them again, so the runtime's dynamic exclusivity checks on
    // them (a thread-local lookup each) are switched off. Debug tests run the same code paths.
    @exclusivity(unchecked) var input: [UInt8] = []
    @exclusivity(unchecked) var parser: HTTPRequestParser
    @exclusivity(unchecked) var output: [UInt8] = []
    var outputSent = 0
    @exclusivity(unchecked) var slots: [Slot] = []
    var nextSequence: UInt64 = 0
    var interest: UInt32 = 0
    /// The connection's state and the times its deadlines come from.
    var machine: ConnectionStateMachine
    /// The deadline the timer wheel holds for this connection.
    var deadline: ConnectionStateMachine.Deadline = .none
    /// The wheel tick of this connection's live timer entry (0: none).
    var scheduledTick: Int64 = 0
    var isDirty = false

    init(
        id: UInt64, fd: Int32, remoteAddress: String, limits: HTTPLimits, timeouts: ConnectionStateMachine.Timeouts,
        now: Int64
    ) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        parser = HTTPRequestParser(limits: limits)
        machine = ConnectionStateMachine(timeouts: timeouts, now: now)
    }

    var hasUnsentOutput: Bool { outputSent < output.count }
}
