import Testing

@testable import FinMonCore

@Suite struct ContainerMonitorErrorTests {
    @Test func errorsDescribeThemselves() {
        #expect(ContainerMonitorError.invalidContainerID("x").description == "invalid container id: x")
        #expect(ContainerMonitorError.invalidSettings(reason: "y").description.contains("y"))
        #expect(ContainerMonitorError.docker(.transport(.timeout)).description.contains("timed out"))
    }
}
