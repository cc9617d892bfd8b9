import PortcullisCore
import PortcullisHTTP
import Synchronization

/// One route's request counts by status and its latency histogram. Created once per route at
/// start-up, so recording a request touches atomics and one small integer-keyed table, never a
/// string-keyed one.
final class RouteMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    let label: String
    private let bucketCounts = RouteMetrics.buckets.map { _ in Counter() }
    private let total = Counter()
    private let sumMicroseconds = Counter()
    private let statuses = Mutex<[Int: Int]>([:])

    init(label: String) {
        self.label = label
    }

    func record(status: Int, seconds: Double) {
        statuses.withLock { $0[status, default: 0] += 1 }
        for (index, bound) in Self.buckets.enumerated() where seconds <= bound {
            bucketCounts[index].increment()
        }
        total.increment()
        sumMicroseconds.increment(by: Int(seconds * 1_000_000))
    }

    /// The cumulative bucket counts (≤ each bound) and the total.
    var histogram: (buckets: [Int], total: Int) { (bucketCounts.map(\.current), total.current) }

    func renderRequests() -> String {
        statuses.withLock { $0 }.sorted { $0.key < $1.key }.map {
            "portcullis_http_requests_total{route=\"\(label)\",status=\"\($0.key)\"} \($0.value)\n"
        }.joined()
    }

    func renderHistogram() -> String {
        var out = ""
        for (index, bound) in Self.buckets.enumerated() {
            out +=
                "portcullis_http_request_duration_seconds_bucket{route=\"\(label)\",le=\"\(bound)\"} \(bucketCounts[index].current)\n"
        }
        out += "portcullis_http_request_duration_seconds_bucket{route=\"\(label)\",le=\"+Inf\"} \(total.current)\n"
        out +=
            "portcullis_http_request_duration_seconds_sum{route=\"\(label)\"} \(Double(sumMicroseconds.current) / 1_000_000)\n"
        out += "portcullis_http_request_duration_seconds_count{route=\"\(label)\"} \(total.current)\n"
        return out
    }
}

/// Every route's metrics, in Prometheus text format, recorded for every answer the server gives
/// (an ``HTTPObserver``). Labels are route patterns (or `unmatched`, `refused`), never raw paths,
/// so no token or id can reach a label.
final class RequestMetrics: HTTPObserver {
    private let routes = Mutex<[String: RouteMetrics]>([:])

    func route(_ label: String) -> RouteMetrics {
        routes.withLock { routes in
            if let existing = routes[label] { return existing }
            let created = RouteMetrics(label: label)
            routes[label] = created
            return created
        }
    }

    func observe(_ exchange: HTTPExchange) {
        route(exchange.route).record(status: exchange.status, seconds: exchange.seconds)
    }

    /// The summed histogram of the routes whose label contains `fragment` (`/api/auth/`).
    func histogram(routesContaining fragment: String) -> (buckets: [Int], total: Int) {
        let matching = routes.withLock { Array($0.values) }.filter { $0.label.contains(fragment) }
        var buckets = [Int](repeating: 0, count: RouteMetrics.buckets.count)
        var total = 0
        for route in matching {
            let (counts, count) = route.histogram
            for index in buckets.indices { buckets[index] += counts[index] }
            total += count
        }
        return (buckets, total)
    }

    func render() -> String {
        let all = routes.withLock { Array($0.values) }.sorted { $0.label < $1.label }
        var out = "# HELP portcullis_http_requests_total HTTP requests by route and status.\n"
        out += "# TYPE portcullis_http_requests_total counter\n"
        for route in all { out += route.renderRequests() }
        out += "# HELP portcullis_http_request_duration_seconds Request latency by route.\n"
        out += "# TYPE portcullis_http_request_duration_seconds histogram\n"
        for route in all { out += route.renderHistogram() }
        return out
    }
}
