import Testing
@testable import FinMonCore

/// A state with some history, so "changes nothing" is checked against non-trivial values.
private func seededLoopState() throws -> LoopState {
    var state = try LoopState(successWindow: 3)
    try state.record(iteration: 1, success: true, executionSeconds: 1.5, sharpe: 1.2, maxDrawdown: -0.1)
    try state.record(iteration: 2, success: false, executionSeconds: 0.5, sharpe: nil, maxDrawdown: nil)
    try state.record(iteration: 4, success: true, executionSeconds: 2, sharpe: 0.8, maxDrawdown: -0.2)
    return state
}

private func record(_ state: inout LoopState, iteration: Int = 5, executionSeconds: Double = 1,
                    sharpe: Double? = 1, maxDrawdown: Double? = -0.1) throws(LoopInputError) {
    try state.record(iteration: iteration, success: true, executionSeconds: executionSeconds,
                     sharpe: sharpe, maxDrawdown: maxDrawdown)
}

@Test func loopStateDefaultsToAWindowOfTen() throws {
    #expect(try LoopState().successWindow == 10)
}

@Test func loopStateRejectsAWindowBelowOne() {
    #expect(throws: LoopInputError.invalidSuccessWindow(0)) { try LoopState(successWindow: 0) }
    #expect(throws: LoopInputError.invalidSuccessWindow(-1)) { try LoopState(successWindow: -1) }
}

@Test func loopStateRejectsANegativeIterationWithoutChangingAnything() throws {
    var state = try seededLoopState()
    let before = state
    #expect(throws: LoopInputError.negativeIteration(-1)) { try record(&state, iteration: -1) }
    #expect(state == before)
}

@Test func loopStateRejectsAnIterationGoingBackwardsButAcceptsAnEqualOne() throws {
    var state = try seededLoopState()
    let before = state
    #expect(throws: LoopInputError.iterationWentBackwards(iteration: 3, lastIteration: 4)) {
        try record(&state, iteration: 3)
    }
    #expect(state == before)
    try record(&state, iteration: 4)
    #expect(state.outcomes == 4)
    #expect(state.lastIteration == 4)
}

@Test(arguments: [-1.0, -0.001, .nan, .infinity, -.infinity])
func loopStateRejectsABadExecutionTimeWithoutChangingAnything(seconds: Double) throws {
    var state = try seededLoopState()
    let before = state
    let error = #expect(throws: LoopInputError.self) { try record(&state, executionSeconds: seconds) }
    guard case .invalidExecutionSeconds = error else {
        Issue.record("unexpected error \(String(describing: error))")
        return
    }
    #expect(state == before)
}

@Test(arguments: [Double.nan, .infinity, -.infinity])
func loopStateRejectsANonFiniteSharpeWithoutChangingAnything(sharpe: Double) throws {
    var state = try seededLoopState()
    let before = state
    let error = #expect(throws: LoopInputError.self) { try record(&state, sharpe: sharpe) }
    guard case .nonFiniteSharpe = error else {
        Issue.record("unexpected error \(String(describing: error))")
        return
    }
    #expect(state == before)
}

@Test(arguments: [Double.nan, .infinity, -.infinity])
func loopStateRejectsANonFiniteDrawdownWithoutChangingAnything(drawdown: Double) throws {
    var state = try seededLoopState()
    let before = state
    let error = #expect(throws: LoopInputError.self) { try record(&state, maxDrawdown: drawdown) }
    guard case .nonFiniteMaxDrawdown = error else {
        Issue.record("unexpected error \(String(describing: error))")
        return
    }
    #expect(state == before)
}

@Test func loopStateErrorMessagesNameTheValue() {
    #expect(LoopInputError.invalidExecutionSeconds(-2).description.contains("-2.0"))
    #expect(LoopInputError.nonFiniteSharpe(.nan).description.contains("nan"))
    #expect(LoopInputError.iterationWentBackwards(iteration: 3, lastIteration: 9).description
        == "iteration 3 is before the last recorded iteration 9")
}

@Test func loopStateAcceptsZeroExecutionTime() throws {
    var state = try LoopState()
    try record(&state, iteration: 0, executionSeconds: 0)
    #expect(state.lastExecutionSeconds == 0)
}

@Test func loopStateCountsOutcomesAndKeepsTheLastMeasuredValues() throws {
    let state = try seededLoopState()
    #expect(state.successes == 2)
    #expect(state.failures == 1)
    #expect(state.outcomes == 3)
    #expect(state.lastIteration == 4)
    #expect(state.lastSuccess == true)
    #expect(state.lastExecutionSeconds == 2)
    #expect(state.lastSharpe == 0.8)
    #expect(state.lastMaxDrawdown == -0.2)
}

@Test func loopStateKeepsTheLastSharpeWhenAnOutcomeHasNone() throws {
    var state = try seededLoopState()
    try state.record(iteration: 5, success: false, executionSeconds: 3, sharpe: nil, maxDrawdown: nil)
    #expect(state.lastSharpe == 0.8)
    #expect(state.lastMaxDrawdown == -0.2)
    #expect(state.lastSuccess == false)
    #expect(state.lastExecutionSeconds == 3)
}

@Test func loopStateRollingSuccessRateMatchesAHandCount() throws {
    // A fixed, irregular pattern: runs of successes and failures of different lengths.
    let outcomes: [Bool] = [true, true, false, true, false, false, false, true, true, true,
                            true, false, true, true, true, true, true, false, false, true,
                            false, false, false, false, false, false, true, true, false, true,
                            true, true, true, true, true, true, true]
    var state = try LoopState()
    #expect(state.successRate == nil)
    #expect(state.successRateSoFar == nil)
    for (index, success) in outcomes.enumerated() {
        try state.record(iteration: index, success: success, executionSeconds: 1, sharpe: nil, maxDrawdown: nil)
        let recorded = outcomes[...index]
        let window = recorded.suffix(10)
        let windowSuccesses = Double(window.filter { $0 }.count)
        #expect(state.successRateSoFar == windowSuccesses / Double(window.count))
        if recorded.count < 10 {
            #expect(state.successRate == nil)
        } else {
            #expect(state.successRate == windowSuccesses / 10)
        }
        #expect(state.successes == recorded.filter { $0 }.count)
        #expect(state.failures == recorded.filter { !$0 }.count)
    }
    // Outcomes 27...36 hold one failure (index 28).
    #expect(state.successRate == 0.9)
}

@Test func loopStateRateBecomesAvailableExactlyWhenTheWindowFills() throws {
    var state = try LoopState(successWindow: 4)
    for iteration in 0..<3 {
        try state.record(iteration: iteration, success: false, executionSeconds: 1, sharpe: nil, maxDrawdown: nil)
        #expect(state.successRate == nil)
        #expect(state.successRateSoFar == 0)
    }
    try state.record(iteration: 3, success: true, executionSeconds: 1, sharpe: nil, maxDrawdown: nil)
    #expect(state.successRate == 0.25)
    #expect(state.successRateSoFar == 0.25)
}
