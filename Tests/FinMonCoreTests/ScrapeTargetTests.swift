import Testing
@testable import FinMonCore

@Suite struct ScrapeTargetTests {
    @Test func defaultsNameTheExporterAsPrometheusScrapesIt() {
        #expect(ScrapeTarget(config: .defaults) == ScrapeTarget(job: "finmon", instance: "127.0.0.1:8000"))
    }

    @Test func wildcardAndIPv6AddressesAreReachedAsPrometheusWouldReachThem() {
        #expect(ScrapeTarget.address(host: "0.0.0.0", port: 9100) == "127.0.0.1:9100")
        #expect(ScrapeTarget.address(host: "", port: 9100) == "127.0.0.1:9100")
        #expect(ScrapeTarget.address(host: "::", port: 9100) == "[::1]:9100")
        #expect(ScrapeTarget.address(host: "fe80::1", port: 80) == "[fe80::1]:80")
        #expect(ScrapeTarget.address(host: "loop.example", port: 8000) == "loop.example:8000")
    }

    @Test func portZeroTakesTheBoundPortAndAConfiguredInstanceWins() {
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.prometheus.port", 0)
        #expect(ScrapeTarget(config: config, boundPort: 41234).instance == "127.0.0.1:41234")
        #expect(ScrapeTarget(config: config).instance == "127.0.0.1:0")  // not bound yet
        config.testSet("monitoring.prometheus.instance", .string("loop-a"))
        config.testSet("monitoring.prometheus.job_name", .string("evolution"))
        #expect(ScrapeTarget(config: config, boundPort: 41234)
                == ScrapeTarget(job: "evolution", instance: "loop-a", address: "127.0.0.1:41234"))
    }

    @Test func labelsAddJobAndInstanceToTheExtraOnes() {
        let target = ScrapeTarget(job: "finmon", instance: "127.0.0.1:8000")
        #expect(target.labels(adding: ["env": "prod"]) == ["env": "prod", "job": "finmon", "instance": "127.0.0.1:8000"])
    }

    @Test func announcingAddsRunAndHostAndReachesAWildcardListenerByHostName() {
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.prometheus.file_sd_path", .string("targets.json"))
        config.testSet("monitoring.prometheus.run_id", .string("run-7"))
        config.testSet("monitoring.prometheus.address", .string("0.0.0.0"))
        let host = ScrapeTarget.hostName()
        #expect(!host.isEmpty)
        let target = ScrapeTarget(config: config)
        #expect(target.address == "\(host):8000" && target.instance == "\(host):8000")
        #expect(target.discoveryLabels == ["run_id": "run-7", "host": host])
        #expect(target.labels(adding: ["env": "prod", "run_id": "ignored"])
                == ["env": "prod", "run_id": "run-7", "host": host, "job": "finmon", "instance": "\(host):8000"])
        config.testSet("monitoring.prometheus.address", .string("10.213.1.2"))
        #expect(ScrapeTarget(config: config).address == "10.213.1.2:8000")
    }
}
