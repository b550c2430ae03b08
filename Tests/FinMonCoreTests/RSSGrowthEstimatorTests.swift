import Testing
@testable import FinMonCore

@Test func fewerThanTwoSamplesHaveNoSlope() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 60)
    #expect(estimator.slopeBytesPerSecond == nil)
    estimator.add(time: 1, rssBytes: 100)
    #expect(estimator.slopeBytesPerSecond == nil)
}

@Test func slopeOfALinearSeriesIsItsRate() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 600)
    for step in 0..<10 {
        estimator.add(time: 1_000_000 + Double(step) * 5, rssBytes: 50_000_000 + UInt64(step) * 5_000)
    }
    let slope = try #require(estimator.slopeBytesPerSecond)
    #expect(abs(slope - 1_000) < 1e-6)
}

@Test func slopeIsTheLeastSquaresFitNotTheEndpoints() throws {
    // Points (0,0) (1,3) (2,2): slope = sum(dt*dy)/sum(dt^2) = ((-1)(-5/3) + 0 + (1)(1/3)) / 2 = 1.
    var estimator = try RSSGrowthEstimator(windowSeconds: 60)
    estimator.add(time: 0, rssBytes: 0)
    estimator.add(time: 1, rssBytes: 3)
    estimator.add(time: 2, rssBytes: 2)
    let slope = try #require(estimator.slopeBytesPerSecond)
    #expect(abs(slope - 1) < 1e-12)
}

@Test func samplesOlderThanTheWindowAreDropped() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 10)
    estimator.add(time: 0, rssBytes: 1_000_000)  // a spike, out of the window later
    estimator.add(time: 20, rssBytes: 100)
    estimator.add(time: 25, rssBytes: 200)
    estimator.add(time: 30, rssBytes: 300)
    #expect(estimator.count == 3)
    let slope = try #require(estimator.slopeBytesPerSecond)
    #expect(abs(slope - 20) < 1e-9)
}

@Test func bufferIsBoundedByCapacity() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 1e9, capacity: 4)
    for step in 0..<100 { estimator.add(time: Double(step), rssBytes: UInt64(step * step)) }
    #expect(estimator.count == 4)
    // The last four points of t^2 (96..99): least-squares slope = 2 * 97.5.
    let slope = try #require(estimator.slopeBytesPerSecond)
    #expect(abs(slope - 195) < 1e-9)
}

@Test func clockGoingBackwardsRestartsTheSeries() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 60)
    estimator.add(time: 100, rssBytes: 0)
    estimator.add(time: 101, rssBytes: 10)
    estimator.add(time: 5, rssBytes: 1_000)
    #expect(estimator.count == 1)
    #expect(estimator.slopeBytesPerSecond == nil)
}

@Test func identicalTimestampsHaveNoSlope() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 60)
    estimator.add(time: 7, rssBytes: 1)
    estimator.add(time: 7, rssBytes: 2)
    #expect(estimator.slopeBytesPerSecond == nil)
}

@Test func nonFiniteTimesAreIgnored() throws {
    var estimator = try RSSGrowthEstimator(windowSeconds: 60)
    estimator.add(time: .nan, rssBytes: 1)
    estimator.add(time: .infinity, rssBytes: 1)
    #expect(estimator.count == 0)
}

@Test func invalidConfigurationThrows() {
    #expect(throws: RSSGrowthEstimator.ConfigurationError.invalidWindow(0)) {
        try RSSGrowthEstimator(windowSeconds: 0)
    }
    #expect(throws: RSSGrowthEstimator.ConfigurationError.self) {
        try RSSGrowthEstimator(windowSeconds: .infinity)
    }
    #expect(throws: RSSGrowthEstimator.ConfigurationError.invalidCapacity(1)) {
        try RSSGrowthEstimator(windowSeconds: 1, capacity: 1)
    }
}
