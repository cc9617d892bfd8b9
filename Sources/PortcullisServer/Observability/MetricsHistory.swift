import Foundation
import PortcullisCore
import Synchronization

/// The dashboard's live view: every few seconds the server's own counters are sampled into a ring
/// covering the last 15 minutes, as rates (per second) and levels, with the auth routes' p50/p99
/// from the latency histogram's growth since the previous sample.
final class MetricsHistory: Sendable {
    /// A series: its key (for the page's script), label, and how a sample is read.
    struct Series: Sendable {
        var key: String
        var label: String
    }

    static let series: [Series] = [
        Series(key: "loginsOk", label: "Sign-ins/s"), Series(key: "loginsFailed", label: "Failed sign-ins/s"),
        Series(key: "refreshes", label: "Refreshes/s"), Series(key: "sessions", label: "Active sessions"),
        Series(key: "users", label: "Users"), Series(key: "hashQueue", label: "Hash queue depth"),
        Series(key: "hashRejections", label: "Hash rejections/s"), Series(key: "p50", label: "Auth p50 ms"),
        Series(key: "p99", label: "Auth p99 ms"),
    ]
    static let interval: Int64 = 5_000
    static let capacity = 180

    struct Reading {
        var time: Int64
        var counters: [Int]
        var histogram: (buckets: [Int], total: Int)
    }

    private let samples = Mutex<[[Double]]>([])
    private let previous = Mutex<Reading?>(nil)

    /// Takes a sample now: rates since the last one.
    func sample(service: AuthService, requests: RequestMetrics, now: Int64) {
        let reading = Reading(
            time: now,
            counters: [
                service.metrics.loginsSucceeded.current, service.metrics.loginsFailed.current,
                service.metrics.refreshes.current, service.hashing.rejected,
            ], histogram: requests.histogram(routesContaining: "/api/auth/"))
        guard
            let last = previous.withLock({ state in
                defer { state = reading }
                return state
            })
        else { return }
        let seconds = max(0.001, Double(reading.time - last.time) / 1000)
        let rate = { (index: Int) in Double(reading.counters[index] - last.counters[index]) / seconds }
        let delta = zip(reading.histogram.buckets, last.histogram.buckets).map { $0 - $1 }
        let count = reading.histogram.total - last.histogram.total
        let row = [
            rate(0), rate(1), rate(2), Double(service.sessions.count), Double(service.users.count),
            Double(service.hashing.depth), rate(3), Self.quantile(0.5, delta, count),
            Self.quantile(0.99, delta, count),
        ]
        samples.withLock { samples in
            samples.append(row)
            if samples.count > Self.capacity { samples.removeFirst(samples.count - Self.capacity) }
        }
    }

    /// The upper bound (ms) of the bucket holding the `q` quantile; 0 with no requests.
    static func quantile(_ q: Double, _ cumulative: [Int], _ count: Int) -> Double {
        guard count > 0 else { return 0 }
        let rank = Int((Double(count) * q).rounded(.up))
        for (index, bound) in RouteMetrics.buckets.enumerated() where cumulative[index] >= rank {
            return bound * 1000
        }
        return RouteMetrics.buckets.last! * 1000 * 2
    }

    /// Every series as its values, oldest first.
    func values() -> [String: [Double]] {
        let rows = samples.withLock { $0 }
        var result: [String: [Double]] = [:]
        for (index, series) in Self.series.enumerated() { result[series.key] = rows.map { $0[index] } }
        return result
    }

    /// Every chart as the page draws it: key, label, polyline points and the latest value as text.
    /// The page renders these on load and its script puts fresh ones in place (nothing is computed twice).
    func charts() -> [[String: String]] {
        let series = values()
        return Self.series.map { item in
            let values = series[item.key] ?? []
            return [
                "key": item.key, "label": item.label, "points": Self.points(values),
                "value": values.last.map { String(format: $0 < 10 ? "%.1f" : "%.0f", $0) } ?? "–",
            ]
        }
    }

    /// A series as SVG polyline points in a 180 × 40 box (the page draws them without script).
    static func points(_ values: [Double]) -> String {
        guard let top = values.max(), !values.isEmpty else { return "" }
        let scale = top > 0 ? 38 / top : 0
        return values.enumerated().map { index, value in
            "\(index),\(String(format: "%.1f", 39 - value * scale))"
        }.joined(separator: " ")
    }
}
