import Testing

@testable import FinMonCore

@Suite struct ContainerStatsSampleTests {
    private func decode(_ json: String) throws -> ContainerStatsSample {
        try ContainerStatsSample(json: JSONParser.parse(json))
    }

    @Test func decodesTheRealPodmanReply() throws {
        let sample = try decode(PodmanFixtures.statsRunningSecond)
        #expect(
            sample
                == ContainerStatsSample(
                    id: "b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa",
                    name: "fmdock-running",
                    read: "2026-11-29T13:14:05.802566896Z",
                    cpuTotalUsage: 2_920_100_747,
                    systemCPUUsage: 330_669_065_994,
                    onlineCPUs: 2,
                    perCPUUsage: [492_951_702, 2_427_251_385],
                    memoryUsage: 417_792,
                    memoryLimit: 25_276_502_016))
    }

    /// Shaped like Docker 24 on a cgroup v2 host (hand-written: no Docker daemon here).
    @Test func decodesADockerCgroupV2Reply() throws {
        let sample = try decode(
            #"""
            {"read":"2024-01-01T00:00:01Z","preread":"0001-01-01T00:00:00Z","id":"abc","name":"/sandbox-1",
             "cpu_stats":{"cpu_usage":{"total_usage":5000000000,"usage_in_kernelmode":1,"usage_in_usermode":2},
                          "system_cpu_usage":100000000000,"online_cpus":4,"throttling_data":{"periods":0}},
             "precpu_stats":{"cpu_usage":{"total_usage":0},"throttling_data":{}},
             "memory_stats":{"usage":104857600,"stats":{"active_anon":1,"inactive_file":41943040,"file":50000000},
                             "limit":1073741824}}
            """#)
        #expect(sample.id == "abc")
        #expect(sample.name == "/sandbox-1")
        #expect(sample.cpuTotalUsage == 5_000_000_000)
        #expect(sample.systemCPUUsage == 100_000_000_000)
        #expect(sample.onlineCPUs == 4)
        #expect(sample.perCPUUsage == nil)
        #expect(sample.memoryUsage == 104_857_600)
        #expect(sample.inactiveFile == 41_943_040)
        #expect(sample.totalInactiveFile == nil)
        #expect(sample.memoryLimit == 1_073_741_824)
    }

    /// Shaped like Docker on a cgroup v1 host: per-CPU counters, no online_cpus, both cache keys.
    @Test func decodesADockerCgroupV1Reply() throws {
        let sample = try decode(
            #"""
            {"id":"def","cpu_stats":{"cpu_usage":{"total_usage":3,"percpu_usage":[1,2,0,0]},"system_cpu_usage":10},
             "memory_stats":{"usage":104857600,"max_usage":1,
                             "stats":{"cache":1,"inactive_file":10485760,"total_inactive_file":31457280},
                             "limit":9223372036854771712}}
            """#)
        #expect(sample.onlineCPUs == nil)
        #expect(sample.perCPUUsage == [1, 2, 0, 0])
        #expect(sample.inactiveFile == 10_485_760)
        #expect(sample.totalInactiveFile == 31_457_280)
        #expect(sample.memoryLimit == 9_223_372_036_854_771_712)
    }

    @Test(arguments: [
        "{}",
        #"{"cpu_stats":null,"memory_stats":null}"#,
        #"{"cpu_stats":{},"memory_stats":{"stats":null}}"#,
        #"{"cpu_stats":"x","memory_stats":[1]}"#,
        #"{"cpu_stats":{"cpu_usage":null}}"#,
    ])
    func missingOrNullSectionsGiveAnEmptySample(json: String) throws {
        #expect(try decode(json) == ContainerStatsSample())
    }

    @Test func wrongTypedOrOutOfRangeNumbersAreAbsentNotFatal() throws {
        let sample = try decode(
            #"""
            {"Id":7,"cpu_stats":{"cpu_usage":{"total_usage":-5,"percpu_usage":[1,"x"]},
                                 "system_cpu_usage":1.5,"online_cpus":99999999999999999999},
             "memory_stats":{"usage":"100","limit":18446744073709551615,"stats":{"inactive_file":-1}}}
            """#)
        #expect(sample.id == nil)
        #expect(sample.cpuTotalUsage == nil)
        #expect(sample.perCPUUsage == nil)
        #expect(sample.systemCPUUsage == nil)
        #expect(sample.onlineCPUs == nil)
        #expect(sample.memoryUsage == nil)
        #expect(sample.memoryLimit == UInt64.max)
        #expect(sample.inactiveFile == nil)
    }

    @Test(arguments: ["[]", "null", "42"])
    func aNonObjectReplyFailsToDecode(json: String) {
        #expect(throws: DockerError.decoding(reason: "a stats reply is not a JSON object")) { try decode(json) }
    }

    /// Nanosecond counters pass 2^53 after ~104 days of CPU time: they must stay exact.
    @Test func countersBeyondDoublePrecisionStayExact() throws {
        let sample = try decode(
            #"{"cpu_stats":{"cpu_usage":{"total_usage":9007199254740993},"system_cpu_usage":18446744073709551615}}"#)
        #expect(sample.cpuTotalUsage == 9_007_199_254_740_993)
        #expect(sample.systemCPUUsage == UInt64.max)
    }
}
