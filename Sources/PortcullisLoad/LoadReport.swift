import Foundation

/// The final report (text, JSON) and the time series (CSV, SVG plot) of a load run.
public struct LoadReport: Sendable {
    public struct Second: Sendable {
        public var second: Int
        public var requests: Int
        public var errors: Int
        public var p50: Int64
        public var p99: Int64

        public init(second: Int, requests: Int, errors: Int, p50: Int64, p99: Int64) {
            self.second = second
            self.requests = requests
            self.errors = errors
            self.p50 = p50
            self.p99 = p99
        }
    }

    public var statistics: LoadStatistics
    public var seconds: Double
    public var series: [Second]
    public var configuration: LoadConfiguration

    public init(statistics: LoadStatistics, seconds: Double, series: [Second], configuration: LoadConfiguration) {
        self.statistics = statistics
        self.seconds = seconds
        self.series = series
        self.configuration = configuration
    }

    static func ms(_ microseconds: Int64) -> String { String(format: "%.2f", Double(microseconds) / 1000) }

    public var text: String {
        var out =
            "scenario \(configuration.scenario.rawValue), \(configuration.virtualUsers) virtual users on \(configuration.threads) threads, "
        out += configuration.rate.map { "open loop at \(Int($0))/s" } ?? "closed loop"
        out += String(format: ", %.1f s\n\n", seconds)
        out += "operation    requests     req/s    p50 ms    p90 ms    p99 ms  p99.9 ms    max ms  statuses\n"
        for operation in Operation.allCases {
            guard let histogram = statistics.histograms[operation] else { continue }
            let statuses = (statistics.statuses[operation] ?? [:]).sorted { $0.key < $1.key }.map {
                "\($0.key)×\($0.value)"
            }.joined(separator: " ")
            out += operation.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            out += String(format: "%10d %9.0f", histogram.count, Double(histogram.count) / max(seconds, 0.001))
            for p in [50.0, 90, 99, 99.9] { out += Self.ms(histogram.percentile(p)).leftPad(10) }
            out += Self.ms(histogram.maximum).leftPad(10) + "  " + statuses + "\n"
        }
        let all = statistics.overall
        out += String(
            format: "%@%10d %9.0f", "all".padding(toLength: 10, withPad: " ", startingAt: 0), all.count,
            Double(all.count) / max(seconds, 0.001))
        for p in [50.0, 90, 99, 99.9] { out += Self.ms(all.percentile(p)).leftPad(10) }
        out += Self.ms(all.maximum).leftPad(10) + "\n"
        if !statistics.errors.isEmpty {
            out +=
                "\nerrors: "
                + statistics.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "\n"
        }
        return out
    }

    public var json: String {
        var operations: [String: Any] = [:]
        for (operation, histogram) in statistics.histograms {
            operations[operation.rawValue] = [
                "requests": histogram.count, "perSecond": Double(histogram.count) / max(seconds, 0.001),
                "p50_ms": Double(histogram.percentile(50)) / 1000, "p90_ms": Double(histogram.percentile(90)) / 1000,
                "p99_ms": Double(histogram.percentile(99)) / 1000, "p999_ms": Double(histogram.percentile(99.9)) / 1000,
                "max_ms": Double(histogram.maximum) / 1000,
                "statuses": Dictionary(
                    uniqueKeysWithValues: (statistics.statuses[operation] ?? [:]).map { (String($0.key), $0.value) }),
            ]
        }
        let object: [String: Any] = [
            "scenario": configuration.scenario.rawValue, "virtualUsers": configuration.virtualUsers, "seconds": seconds,
            "rate": configuration.rate as Any, "completed": statistics.completed, "operations": operations,
            "errors": statistics.errors,
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    public var csv: String {
        "second,requests,errors,p50_ms,p99_ms\n"
            + series.map {
                "\($0.second),\($0.requests),\($0.errors),\(Self.ms($0.p50)),\(Self.ms($0.p99))"
            }.joined(separator: "\n") + "\n"
    }

    /// p50 and p99 latency over time as an SVG line chart.
    public var svg: String {
        let width = 800.0, height = 400.0, margin = 50.0
        let maxY = Double(series.map(\.p99).max() ?? 1) / 1000
        let maxX = Double(max(series.count, 1))
        func points(_ value: (Second) -> Int64) -> String {
            series.enumerated().map { index, second in
                let x = margin + Double(index + 1) / maxX * (width - 2 * margin)
                let y = height - margin - Double(value(second)) / 1000 / max(maxY, 0.001) * (height - 2 * margin)
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <line x1="\(margin)" y1="\(height - margin)" x2="\(width - margin)" y2="\(height - margin)" stroke="black"/>
            <line x1="\(margin)" y1="\(margin)" x2="\(margin)" y2="\(height - margin)" stroke="black"/>
            <text x="\(margin)" y="\(margin - 10)">latency (ms), max \(String(format: "%.2f", maxY)); \(configuration.scenario.rawValue), \(configuration.virtualUsers) users</text>
            <text x="\(width - margin - 60)" y="\(height - margin + 30)">seconds → \(series.count)</text>
            <polyline fill="none" stroke="steelblue" stroke-width="2" points="\(points { $0.p50 })"/>
            <polyline fill="none" stroke="firebrick" stroke-width="2" points="\(points { $0.p99 })"/>
            <text x="\(width - margin - 120)" y="\(margin)" fill="steelblue">p50</text>
            <text x="\(width - margin - 60)" y="\(margin)" fill="firebrick">p99</text>
            </svg>

            """
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
