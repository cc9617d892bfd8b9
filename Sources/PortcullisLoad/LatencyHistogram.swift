/// A high-dynamic-range latency histogram: microsecond resolution, values from 1 µs to about 18
/// minutes, at most 1% relative error (log-linear buckets: 128 sub-buckets per power of two).
public struct LatencyHistogram: Sendable {
    static let subBuckets = 128
    static let powers = 30
    private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.subBuckets * LatencyHistogram.powers)
    public private(set) var count = 0
    public private(set) var maximum: Int64 = 0
    public private(set) var sum: Int64 = 0

    public init() {}

    static func index(_ microseconds: Int64) -> Int {
        let value = max(1, microseconds)
        if value < Int64(subBuckets) { return Int(value) }
        let power = 63 - value.leadingZeroBitCount - 6  // value >> power lands in [64, 128)
        let sub = Int(value >> Int64(power))
        return min(power * (subBuckets / 2) + sub, subBuckets * powers - 1)
    }

    /// The upper bound of a bucket, in microseconds.
    static func value(at index: Int) -> Int64 {
        if index < subBuckets { return Int64(index) }
        let power = (index - subBuckets / 2) / (subBuckets / 2)
        let sub = index - power * (subBuckets / 2)
        return (Int64(sub) + 1) << Int64(power) - 1
    }

    public mutating func record(microseconds: Int64) {
        counts[Self.index(microseconds)] += 1
        count += 1
        sum += microseconds
        maximum = max(maximum, microseconds)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        count += other.count
        sum += other.sum
        maximum = max(maximum, other.maximum)
    }

    /// The latency at `percentile` (0–100), in microseconds.
    public func percentile(_ percentile: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((percentile / 100 * Double(count)).rounded(.up)))
        var seen = 0
        for (index, bucket) in counts.enumerated() where bucket > 0 {
            seen += bucket
            if seen >= rank { return min(Self.value(at: index), maximum) }
        }
        return maximum
    }
}
