import Testing
@testable import FinMonCore

/// A state with some history, so "changes nothing" is checked against non-trivial values.
private func seededDiversityState() throws -> DiversityState {
    var state = try DiversityState()
    try state.recordDiversity(iteration: 2, diversity: 0.6, uniqueCount: 8, totalCount: 10)
    try state.recordDiversity(iteration: 5, diversity: 0.4, uniqueCount: 7, totalCount: 10)
    try state.recordChampionUpdate(iteration: 4, oldSharpe: nil, newSharpe: 1.1)
    return state
}

@Test func diversityStateDefaultsToAHistoryOf1000() throws {
    #expect(try DiversityState().historyCapacity == 1000)
}

@Test func diversityStateRejectsAHistoryBelowOne() {
    #expect(throws: DiversityInputError.invalidHistoryCapacity(0)) { try DiversityState(historyCapacity: 0) }
    #expect(throws: DiversityInputError.invalidHistoryCapacity(-5)) { try DiversityState(historyCapacity: -5) }
}

@Test func recordDiversityRejectsBadIterationsWithoutChangingAnything() throws {
    var state = try seededDiversityState()
    let before = state
    #expect(throws: DiversityInputError.negativeIteration(-1)) {
        try state.recordDiversity(iteration: -1, diversity: 0.5, uniqueCount: 1, totalCount: 1)
    }
    #expect(throws: DiversityInputError.iterationWentBackwards(iteration: 4, lastIteration: 5)) {
        try state.recordDiversity(iteration: 4, diversity: 0.5, uniqueCount: 1, totalCount: 1)
    }
    #expect(state == before)
}

@Test func recordDiversityAcceptsAnEqualIteration() throws {
    var state = try seededDiversityState()
    try state.recordDiversity(iteration: 5, diversity: 0.3, uniqueCount: 1, totalCount: 2)
    #expect(state.latestDiversity == 0.3)
    #expect(state.recordedCount == 3)
}

@Test(arguments: [-0.000001, 1.000001, -1, 2, .nan, .infinity, -.infinity])
func recordDiversityRejectsAValueOutsideZeroOneWithoutChangingAnything(diversity: Double) throws {
    var state = try seededDiversityState()
    let before = state
    let error = #expect(throws: DiversityInputError.self) {
        try state.recordDiversity(iteration: 6, diversity: diversity, uniqueCount: 1, totalCount: 1)
    }
    guard case .diversityOutOfRange = error else {
        Issue.record("unexpected error \(String(describing: error))")
        return
    }
    #expect(state == before)
}

@Test func recordDiversityAcceptsTheBoundsOfZeroOne() throws {
    var state = try DiversityState()
    try state.recordDiversity(iteration: 0, diversity: 0, uniqueCount: 0, totalCount: 0)
    try state.recordDiversity(iteration: 1, diversity: 1, uniqueCount: 3, totalCount: 3)
    #expect(state.recentDiversity(2) == [0, 1])
}

@Test func recordDiversityRejectsBadCountsWithoutChangingAnything() throws {
    var state = try seededDiversityState()
    let before = state
    #expect(throws: DiversityInputError.negativeCount(uniqueCount: -1, totalCount: 4)) {
        try state.recordDiversity(iteration: 6, diversity: 0.5, uniqueCount: -1, totalCount: 4)
    }
    #expect(throws: DiversityInputError.negativeCount(uniqueCount: 0, totalCount: -4)) {
        try state.recordDiversity(iteration: 6, diversity: 0.5, uniqueCount: 0, totalCount: -4)
    }
    #expect(throws: DiversityInputError.uniqueExceedsTotal(uniqueCount: 5, totalCount: 4)) {
        try state.recordDiversity(iteration: 6, diversity: 0.5, uniqueCount: 5, totalCount: 4)
    }
    #expect(state == before)
}

@Test func recordDiversityKeepsTheLatestSample() throws {
    let state = try seededDiversityState()
    #expect(state.latest == DiversityState.Sample(iteration: 5, diversity: 0.4, uniqueCount: 7, totalCount: 10))
    #expect(state.latestIteration == 5)
    #expect(state.latestUniqueFraction == 0.7)
    #expect(state.firstIteration == 2)
    #expect(DiversityState.Sample(iteration: 0, diversity: 0, uniqueCount: 0, totalCount: 0).uniqueFraction == nil)
}

@Test func recordChampionUpdateRejectsBadInputWithoutChangingAnything() throws {
    var state = try seededDiversityState()
    let before = state
    #expect(throws: DiversityInputError.negativeIteration(-2)) {
        try state.recordChampionUpdate(iteration: -2, oldSharpe: 1, newSharpe: 2)
    }
    #expect(throws: DiversityInputError.iterationWentBackwards(iteration: 3, lastIteration: 4)) {
        try state.recordChampionUpdate(iteration: 3, oldSharpe: 1, newSharpe: 2)
    }
    for bad in [Double.nan, .infinity, -.infinity] {
        let newError = #expect(throws: DiversityInputError.self) {
            try state.recordChampionUpdate(iteration: 9, oldSharpe: 1.1, newSharpe: bad)
        }
        guard case .nonFiniteSharpe = newError else {
            Issue.record("unexpected error \(String(describing: newError))")
            continue
        }
        let oldError = #expect(throws: DiversityInputError.self) {
            try state.recordChampionUpdate(iteration: 9, oldSharpe: bad, newSharpe: 2)
        }
        guard case .nonFiniteSharpe = oldError else {
            Issue.record("unexpected error \(String(describing: oldError))")
            continue
        }
    }
    #expect(state == before)
}

@Test func recordChampionUpdateCountsUpdatesAndKeepsTheSharpes() throws {
    var state = try seededDiversityState()
    #expect(state.championUpdateCount == 1)
    #expect(state.previousChampionSharpe == nil)
    try state.recordChampionUpdate(iteration: 4, oldSharpe: 1.1, newSharpe: 1.3)
    try state.recordChampionUpdate(iteration: 9, oldSharpe: 1.3, newSharpe: 1.7)
    #expect(state.championUpdateCount == 3)
    #expect(state.lastChampionUpdateIteration == 9)
    #expect(state.championSharpe == 1.7)
    #expect(state.previousChampionSharpe == 1.3)
}

@Test func calculateStalenessIsClampedAndOverflowSafe() {
    #expect(DiversityState.calculateStaleness(currentIteration: 10, lastUpdateIteration: 4) == 6)
    #expect(DiversityState.calculateStaleness(currentIteration: 4, lastUpdateIteration: 4) == 0)
    #expect(DiversityState.calculateStaleness(currentIteration: 3, lastUpdateIteration: 4) == 0)
    #expect(DiversityState.calculateStaleness(currentIteration: .max, lastUpdateIteration: .min) == .max)
    #expect(DiversityState.calculateStaleness(currentIteration: .max, lastUpdateIteration: -1) == .max)
    #expect(DiversityState.calculateStaleness(currentIteration: .min, lastUpdateIteration: .max) == 0)
    #expect(DiversityState.calculateStaleness(currentIteration: .max, lastUpdateIteration: 0) == .max)
}

@Test func stalenessCountsFromTheFirstSampleUntilAChampionIsCrowned() throws {
    var state = try DiversityState()
    #expect(state.staleness(at: 100) == 0)
    try state.recordDiversity(iteration: 3, diversity: 0.5, uniqueCount: 1, totalCount: 1)
    #expect(state.staleness(at: 10) == 7)
    try state.recordChampionUpdate(iteration: 8, oldSharpe: nil, newSharpe: 0.9)
    #expect(state.staleness(at: 10) == 2)
    #expect(state.staleness(at: 5) == 0)
    try state.recordChampionUpdate(iteration: 20, oldSharpe: 0.9, newSharpe: 1.4)
    #expect(state.staleness(at: 50) == 30)
}

@Test func stalenessWithOnlyAChampionUpdateCountsFromIt() throws {
    var state = try DiversityState()
    try state.recordChampionUpdate(iteration: 12, oldSharpe: nil, newSharpe: 0.5)
    #expect(state.staleness(at: 15) == 3)
}

@Test func diversityCollapseNeedsFiveConsecutiveLowValues() throws {
    var state = try DiversityState()
    var iteration = 0
    func add(_ diversity: Double) throws {
        try state.recordDiversity(iteration: iteration, diversity: diversity, uniqueCount: 1, totalCount: 1)
        iteration += 1
    }
    try add(0.5)
    for _ in 0..<4 {
        try add(0.05)
        #expect(!state.checkDiversityCollapse())
    }
    try add(0.09)
    #expect(state.checkDiversityCollapse())
    try add(0.01)
    #expect(state.checkDiversityCollapse())

    try add(0.2)
    #expect(!state.checkDiversityCollapse())
    for _ in 0..<4 {
        try add(0.0)
        #expect(!state.checkDiversityCollapse())
    }
    try add(0.0)
    #expect(state.checkDiversityCollapse())
}

@Test func diversityCollapseIsStrictlyBelowTheThreshold() throws {
    var state = try DiversityState()
    try state.recordDiversity(iteration: 0, diversity: 0.1, uniqueCount: 1, totalCount: 1)
    for iteration in 1...4 {
        try state.recordDiversity(iteration: iteration, diversity: 0.05, uniqueCount: 1, totalCount: 1)
    }
    #expect(!state.checkDiversityCollapse())
    #expect(state.checkDiversityCollapse(window: 4))
    #expect(state.checkDiversityCollapse(threshold: 0.100001))
}

@Test func diversityCollapseIsFalseForTooFewValuesOrABadWindow() throws {
    var state = try DiversityState(historyCapacity: 3)
    #expect(!state.checkDiversityCollapse(window: 1))
    for iteration in 0..<10 {
        try state.recordDiversity(iteration: iteration, diversity: 0, uniqueCount: 1, totalCount: 1)
    }
    #expect(state.checkDiversityCollapse(window: 3))
    #expect(!state.checkDiversityCollapse(window: 4))
    #expect(!state.checkDiversityCollapse(window: 0))
    #expect(!state.checkDiversityCollapse(window: -1))
    #expect(!state.checkDiversityCollapse(window: .max))
    #expect(!state.checkDiversityCollapse(window: 3, threshold: .nan))
}

@Test func diversityHistoryWrapsAroundAfter1500Records() throws {
    var state = try DiversityState()
    func value(_ iteration: Int) -> Double { Double(iteration % 97) / 96 }
    for iteration in 0..<1500 {
        try state.recordDiversity(iteration: iteration, diversity: value(iteration), uniqueCount: iteration % 5, totalCount: 4 + iteration % 5)
    }
    #expect(state.recordedCount == 1500)
    #expect(state.history.count == 1000)
    #expect(state.history.oldest?.iteration == 500)
    #expect(state.latestIteration == 1499)
    #expect(state.firstIteration == 0)
    #expect(state.recentDiversity(1000) == (500..<1500).map(value))
    #expect(state.recentDiversity(5000) == (500..<1500).map(value))
    #expect(state.recentDiversity(3) == (1497..<1500).map(value))
    #expect(state.recentDiversity(0) == [])
    #expect(state.recentDiversity(-1) == [])
}
