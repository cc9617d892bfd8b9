import Glibc

/// Everything the HTTP front can be told. Times are in milliseconds.
public struct HTTPServerConfiguration: Sendable {
    /// Where to listen: TCP listeners are opened once per event loop (`SO_REUSEPORT`); a Unix
    /// socket is served by the first loop.
    public var addresses: [ListenAddress]
    /// Event-loop threads; one per core by default.
    public var eventLoopCount: Int
    public var limits: HTTPLimits
    /// From a connection's first byte (or its opening) to a complete request head: 408 and close.
    public var headerTimeout: Int64
    /// From a complete head to a complete body: 408 and close.
    public var bodyTimeout: Int64
    /// A keep-alive connection with nothing to do is closed after this.
    public var idleTimeout: Int64
    /// A response that makes no progress towards the client for this long is abandoned.
    public var writeTimeout: Int64
    /// Open connections across all loops; the next one is answered 503 and closed.
    public var maximumConnections: Int
    /// Requests parsed ahead of their responses on one connection before reading pauses.
    public var maximumPipelinedRequests: Int
    /// Unsent response bytes on one connection before reading pauses.
    public var maximumPendingOutput: Int

    public init(
        addresses: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 3080)],
        eventLoopCount: Int = HTTPServerConfiguration.processorCount,
        limits: HTTPLimits = HTTPLimits(),
        headerTimeout: Int64 = 10_000, bodyTimeout: Int64 = 30_000, idleTimeout: Int64 = 60_000,
        writeTimeout: Int64 = 30_000, maximumConnections: Int = 20_000, maximumPipelinedRequests: Int = 32,
        maximumPendingOutput: Int = 4 << 20
    ) {
        self.addresses = addresses
        self.eventLoopCount = max(1, eventLoopCount)
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maximumConnections = maximumConnections
        self.maximumPipelinedRequests = maximumPipelinedRequests
        self.maximumPendingOutput = maximumPendingOutput
    }

    /// Online processors.
    public static var processorCount: Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
