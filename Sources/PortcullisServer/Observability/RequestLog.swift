import Logging
import PortcullisHTTP

/// One log line per answer, for every answer the server gives (routed, 404/405, parser refusals):
/// the route pattern (never the raw target, whose query may carry a token), the status, the
/// duration and the client address; no header, cookie or body.
struct RequestLog: HTTPObserver {
    let logger: Logger

    func observe(_ exchange: HTTPExchange) {
        logger.info(
            "request",
            metadata: [
                "route": "\(exchange.route)", "status": "\(exchange.status)",
                "ms": "\(Double(Int(exchange.seconds * 100_000)) / 100)", "ip": "\(exchange.remoteAddress)",
            ])
    }
}
