import Testing
@testable import FinMonCore

@Suite struct AlertInputTests {
    @Test func acceptedValues() throws {
        #expect(try AlertInput.memoryPercent.validated(85) == 85)
        #expect(try AlertInput.cpuPercent.validated(0) == 0)
        #expect(try AlertInput.diversity.validated(1) == 1)
        #expect(try AlertInput.successRate.validated(0) == 0)
        #expect(try AlertInput.orphanedContainers.validated(3) == 3)
        #expect(try AlertInput.championStaleness.validated(9_007_199_254_740_992) == 9_007_199_254_740_992)
        #expect(try AlertInput.iteration.validated(0) == 0)
    }

    @Test(arguments: [
        (AlertInput.memoryPercent, -1.0, "memory_percent must be a finite number >= 0, got -1.0"),
        (.cpuPercent, .infinity, "cpu_percent must be a finite number >= 0, got inf"),
        (.memoryPercent, .nan, "memory_percent must be a finite number >= 0, got nan"),
        (.diversity, 1.5, "diversity must be a number in [0, 1], got 1.5"),
        (.successRate, .nan, "success_rate must be a number in [0, 1], got nan"),
        (.orphanedContainers, 2.5, "orphaned_containers must be a whole number >= 0, got 2.5"),
        (.championStaleness, -3, "champion_staleness must be a whole number >= 0, got -3.0"),
        (.iteration, 1e300, "iteration must be a whole number >= 0, got 1e+300"),
    ] as [(AlertInput, Double, String)])
    func refusedValues(input: AlertInput, value: Double, message: String) {
        do {
            _ = try input.validated(value)
            Issue.record("\(input) accepted \(value)")
        } catch {
            // Fields one by one: NaN makes the error unequal to itself.
            #expect(error.input == input && error.expected == expected(input))
            #expect(error.value == value || (error.value.isNaN && value.isNaN))
            #expect(error.description == message)
        }
    }

    private func expected(_ input: AlertInput) -> String {
        switch input {
        case .memoryPercent, .cpuPercent, .residentMemoryBytes, .secondsSinceLastIteration: "a finite number >= 0"
        case .residentMemoryGrowth: "a finite number"
        case .memoryLimitBytes: "a finite number > 0"
        case .diversity, .successRate: "a number in [0, 1]"
        case .championStaleness, .orphanedContainers, .iteration: "a whole number >= 0"
        }
    }
}
