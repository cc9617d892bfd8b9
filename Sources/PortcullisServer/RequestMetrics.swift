import Synchronization

/// Requests by route and status, and latency histograms by route, in Prometheus text format.
/// Labels are route patterns, never raw paths, so no token or id can reach a label.
final class RequestMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private struct State {
        var requests: [String: [Int: Int]] = [:]
        var histograms: [String: (counts: [Int], sum: Double, count: Int)] = [:]
    }

    private let state = Mutex(State())

    func record(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[route, default: [:]][status, default: 0] += 1
            var histogram = state.histograms[route] ?? (Array(repeating: 0, count: Self.buckets.count), 0, 0)
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.histograms[route] = histogram
        }
    }

    func render() -> String {
        state.withLock { state in
            var out = "# HELP portcullis_http_requests_total HTTP requests by route and status.\n# TYPE portcullis_http_requests_total counter\n"
            for (route, statuses) in state.requests.sorted(by: { $0.key < $1.key }) {
                for (status, count) in statuses.sorted(by: { $0.key < $1.key }) {
                    out += "portcullis_http_requests_total{route=\"\(route)\",status=\"\(status)\"} \(count)\n"
                }
            }
            out += "# HELP portcullis_http_request_duration_seconds Request latency by route.\n# TYPE portcullis_http_request_duration_seconds histogram\n"
            for (route, histogram) in state.histograms.sorted(by: { $0.key < $1.key }) {
                for (index, bound) in Self.buckets.enumerated() {
                    out += "portcullis_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(histogram.counts[index])\n"
                }
                out += "portcullis_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(histogram.count)\n"
                out += "portcullis_http_request_duration_seconds_sum{route=\"\(route)\"} \(histogram.sum)\n"
                out += "portcullis_http_request_duration_seconds_count{route=\"\(route)\"} \(histogram.count)\n"
            }
            return out
        }
    }
}
