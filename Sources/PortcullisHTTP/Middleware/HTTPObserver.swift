/// One answered request, as an observer sees it. Carries no header, cookie, body or query string,
/// so what observers record (logs, metrics) can never hold a secret.
public struct HTTPExchange: Sendable {
    /// The matched route as `METHOD /pattern`, or ``unmatched`` (404/405) or ``refused`` (the parser
    /// or a timeout answered before any route was chosen).
    public var route: String
    public var status: Int
    /// From the complete request to its answer, queueing behind pipelined requests included.
    public var seconds: Double
    public var remoteAddress: String

    public static let unmatched = "unmatched"
    public static let refused = "refused"
}

/// Cross-cutting work around the whole responder (as Hummingbird's `LogRequestMiddleware` and
/// `MetricsMiddleware`): an observer sees every answer the server gives — routed, 404 and 405,
/// parser refusals and timeouts alike — once it is ready to be written. It runs on the event-loop
/// thread, so it must only record (append to a buffer, bump counters), never block.
public protocol HTTPObserver: Sendable {
    func observe(_ exchange: HTTPExchange)
}
