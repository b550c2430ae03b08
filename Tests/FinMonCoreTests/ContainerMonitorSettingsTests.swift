import Testing

@testable import FinMonCore

@Suite struct ContainerMonitorSettingsTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let settings = try ContainerMonitorSettings()
        #expect(settings.endpoint == .unix(path: "/var/run/docker.sock"))
        #expect(settings.label == "finlab-sandbox")
        #expect(settings.orphanStatuses == ["exited", "dead"])
        #expect(settings.requestTimeoutSeconds == 2)
        #expect(settings.requestTimeout == .seconds(2))
        #expect(settings.orphanThreshold == 3)
        #expect(settings.autoCleanup)
    }

    @Test func statusesAreLowerCasedAndDeduplicated() throws {
        let settings = try ContainerMonitorSettings(orphanStatuses: ["Exited", "exited", "dead"])
        #expect(settings.orphanStatuses == ["exited", "dead"])
    }

    @Test(arguments: [
        ("", ["exited"], 2.0, 3), ("=x", ["exited"], 2, 3), ("a\nb", ["exited"], 2, 3),
        (String(repeating: "k", count: 257), ["exited"], 2, 3), ("l", [], 2, 3), ("l", [""], 2, 3),
        ("l", ["ex ited"], 2, 3), ("l", ["exited"], 0, 3), ("l", ["exited"], .nan, 3), ("l", ["exited"], 301, 3),
        ("l", ["exited"], 2, 0), ("l", ["exited"], 2, 1_000_001),
    ] as [(String, [String], Double, Int)])
    func outOfRangeSettingsAreRefused(label: String, statuses: [String], timeout: Double, threshold: Int) {
        #expect(throws: ContainerMonitorError.self) {
            try ContainerMonitorSettings(
                label: label, orphanStatuses: statuses, requestTimeoutSeconds: timeout, orphanThreshold: threshold)
        }
    }

    @Test func resolvingFollowsTheCallerThenDockerHost() throws {
        #expect(try ContainerMonitorSettings.resolving(endpoint: "unix:///a.sock", dockerHost: "unix:///b.sock").endpoint == .unix(path: "/a.sock"))
        #expect(try ContainerMonitorSettings.resolving(endpoint: nil, dockerHost: "tcp://h:1").endpoint == .tcp(host: "h", port: 1))
        #expect(try ContainerMonitorSettings.resolving(endpoint: nil, dockerHost: nil).endpoint == .unix(path: "/var/run/docker.sock"))
        #expect(throws: ContainerMonitorError.self) { try ContainerMonitorSettings.resolving(endpoint: "ssh://x", dockerHost: nil) }
    }

    @Test func aConfigFileGivesTheSettings() throws {
        var config = MonitoringConfig()
        config.testSet("monitoring.container_monitor.docker_host", "unix:///run/podman.sock")
        config.testSet("monitoring.container_monitor.label", "sandbox=yes")
        config.testSet("monitoring.container_monitor.orphan_statuses", ["exited"])
        config.testSet("monitoring.container_monitor.request_timeout", 0.5)
        config.testSet("monitoring.alerts.orphaned_containers.threshold", 7)
        config.testSet("monitoring.alerts.orphaned_containers.auto_cleanup", false)
        let settings = try ContainerMonitorSettings.from(config: config, dockerHost: nil)
        #expect(settings.endpoint == .unix(path: "/run/podman.sock"))
        #expect(settings.labelKey == "sandbox")
        #expect(settings.labelValue == "yes")
        #expect(settings.orphanStatuses == ["exited"])
        #expect(settings.orphanThreshold == 7)
        #expect(!settings.autoCleanup)
        #expect(try ContainerMonitorSettings.from(config: config, endpoint: "/x.sock", dockerHost: nil).endpoint == .unix(path: "/x.sock"))
    }

    @Test func orphansNeedTheLabelAndAnOrphanState() throws {
        let settings = try ContainerMonitorSettings(label: "k=v")
        #expect(settings.isOrphan(ContainerSummary(id: "a", labels: ["k": "v"], state: "Exited")))
        #expect(!settings.isOrphan(ContainerSummary(id: "a", labels: ["k": "w"], state: "exited")))
        #expect(!settings.isOrphan(ContainerSummary(id: "a", labels: [:], state: "exited")))
        #expect(!settings.isOrphan(ContainerSummary(id: "a", labels: ["k": "v"], state: "running")))
        #expect(!settings.isOrphan(ContainerSummary(id: "a", labels: ["k": "v"], state: nil)))
        #expect(try ContainerMonitorSettings(label: "k").isOrphan(ContainerSummary(id: "a", labels: ["k": ""], state: "dead")))
    }
}
