extension SystemSample {
    /// One flat JSON object with the figures a loop logs, keyed for Python: a missing or
    /// failed source gives null values and its message under "errors".
    ///
    /// `memory_total_bytes` is the host's MemTotal (psutil's meaning, also inside a
    /// container); `memory_limit_bytes` is what this process may use: the cgroup limit when
    /// one is set below MemTotal, else MemTotal (null when either read failed).
    public func jsonObject() -> String {
        var out = "{"
        var first = true
        func key(_ name: String) {
            if !first { out += "," }
            first = false
            JSONText.appendString(name, to: &out)
            out += ":"
        }
        func number(_ name: String, _ value: Double?) {
            key(name)
            out += value.map(JSONText.number) ?? "null"
        }
        func integer(_ name: String, _ value: UInt64?) {
            key(name)
            out += value.map { String($0) } ?? "null"
        }

        number("timestamp", timestamp)
        number("monotonic_time", monotonicTime)
        number("cpu_percent", cpuPercent)
        integer("memory_total_bytes", memory?.total)
        integer("memory_available_bytes", memory?.available)
        integer("memory_used_bytes", memory?.used)
        integer("memory_free_bytes", memory?.free)
        number("memory_percent", memory?.percent)
        integer("memory_limit_bytes", memoryLimitBytes)
        key("cgroup_version")
        switch cgroupMemory?.version {
        case .v1: out += "\"v1\""
        case .v2: out += "\"v2\""
        case nil: out += "null"
        }
        integer("cgroup_memory_usage_bytes", cgroupMemory?.usageBytes)
        key("disk_path")
        if let disk { JSONText.appendString(disk.path, to: &out) } else { out += "null" }
        integer("disk_total_bytes", disk?.total)
        integer("disk_used_bytes", disk?.used)
        integer("disk_free_bytes", disk?.free)
        number("disk_percent", disk?.percent)
        number("process_cpu_seconds_total", process?.cpuSecondsTotal)
        integer("process_resident_bytes", process?.residentBytes)
        integer("process_virtual_bytes", process?.virtualBytes)
        integer("process_peak_resident_bytes", process?.peakResidentBytes)
        integer("process_open_fds", process.map { UInt64(clamping: $0.openFDs) })
        integer("process_max_fds", process?.maxFDs)
        integer("process_threads", process?.threads)
        number("process_start_time_seconds", process?.startTimeSeconds)
        number("rss_growth_bytes_per_second", rssGrowthBytesPerSecond)
        key("errors")
        out += "{"
        for (index, error) in errors.enumerated() {
            if index > 0 { out += "," }
            JSONText.appendString(error.collector.rawValue, to: &out)
            out += ":"
            JSONText.appendString(error.message, to: &out)
        }
        out += "}}"
        return out
    }
}
