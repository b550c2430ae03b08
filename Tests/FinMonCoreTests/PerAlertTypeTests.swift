import Testing
@testable import FinMonCore

@Suite struct PerAlertTypeTests {
    @Test func subscriptReadsAndWritesEachTypeSeparately() {
        var table = PerAlertType(repeating: 0)
        for (index, type) in AlertType.allCases.enumerated() { table[type] = index + 1 }
        #expect(AlertType.allCases.map { table[$0] } == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(table.highMemory == 1 && table.orphanedContainers == 6 && table.memoryLeak == 7 && table.loopStuck == 8)
    }
}
