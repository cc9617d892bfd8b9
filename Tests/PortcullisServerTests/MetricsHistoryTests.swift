import Testing

@testable import PortcullisServer

@Suite("The dashboard's live view")
struct MetricsHistoryTests {
    @Test("a quantile is the upper bound of the bucket that holds it; no requests, zero")
    func quantiles() {
        // Cumulative counts per bound (0.5 ms, 1 ms, 2.5 ms, 5 ms, …): 100 requests, 90 within 1 ms.
        let cumulative = [10, 90, 95, 99, 100, 100, 100, 100, 100, 100, 100, 100]
        #expect(MetricsHistory.quantile(0.5, cumulative, 100) == 1)
        #expect(MetricsHistory.quantile(0.99, cumulative, 100) == 5)
        #expect(MetricsHistory.quantile(0.5, cumulative.map { _ in 0 }, 0) == 0)
        // Beyond the last bound: twice it.
        #expect(MetricsHistory.quantile(0.99, cumulative.map { _ in 0 }, 10) == 5_000)
    }

    @Test("points fill the chart's 40-unit height, the largest value at the top")
    func points() {
        #expect(MetricsHistory.points([]) == "")
        #expect(MetricsHistory.points([0, 2, 4]) == "0,39.0 1,20.0 2,1.0")
        #expect(MetricsHistory.points([0, 0]) == "0,39.0 1,39.0")
    }
}
