import Glibc

/// How Prometheus names this loop: the `job` and `instance` labels of its scrape target,
/// and, when the loop announces itself in a file_sd file, the `run_id` and `host` labels
/// of its entry there. Every alert finmon sends carries the same labels, so when finmon
/// and Prometheus' rules report one condition, Alertmanager sees one alert (it identifies
/// alerts by their label sets).
///
/// ```swift
/// ScrapeTarget(config: .defaults).instance                   // "127.0.0.1:8000"
/// ScrapeTarget.address(host: "0.0.0.0", port: 9100)          // "127.0.0.1:9100"
/// ```
public struct ScrapeTarget: Sendable, Equatable {
    public let job: String
    public let instance: String
    /// `host:port` Prometheus scrapes: the address of the announced entry.
    public let address: String
    /// The file_sd entry's labels besides `instance` (`run_id`, `host`); empty when the
    /// loop announces nothing (`monitoring.prometheus.file_sd_path` null).
    public let discoveryLabels: [String: String]

    /// `instance` is `monitoring.prometheus.instance` when set, else the exporter's address
    /// as Prometheus scrapes it (`address(host:port:)`), with `boundPort` standing in for
    /// port 0 (the port the exporter picked). A loop that announces itself in a file_sd
    /// file and listens on a wildcard address is reached at this machine's host name
    /// (loopback would name every host alike), and carries `run_id` and `host` labels.
    public init(config: MonitoringConfig, boundPort: Int? = nil) {
        job = config.string("monitoring.prometheus.job_name") ?? "finmon"
        let configured = config.int("monitoring.prometheus.port")
        let port = configured == 0 ? boundPort ?? configured : configured
        let listen = config.string("monitoring.prometheus.address") ?? "127.0.0.1"
        if config.string("monitoring.prometheus.file_sd_path") != nil {
            let host = Self.hostName()
            let wildcard = listen.isEmpty || listen == "0.0.0.0" || listen == "::"
            address = Self.address(host: wildcard ? host : listen, port: port)
            var labels = ["host": host]
            labels["run_id"] = config.string("monitoring.prometheus.run_id")
            discoveryLabels = labels
        } else {
            address = Self.address(host: listen, port: port)
            discoveryLabels = [:]
        }
        instance = config.string("monitoring.prometheus.instance") ?? address
    }

    /// `address` defaults to `instance` (a target named by its address).
    public init(job: String, instance: String, address: String? = nil, discoveryLabels: [String: String] = [:]) {
        self.job = job
        self.instance = instance
        self.address = address ?? instance
        self.discoveryLabels = discoveryLabels
    }

    /// This machine's host name (`gethostname`), "localhost" if it has none.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// `host:port` Prometheus scrapes for an exporter listening on `host`: a wildcard
    /// address is reached on loopback, an IPv6 address is bracketed. The same rule as
    /// Python's `finmon.stack.StackSettings.scrape_target`, which writes prometheus.yml.
    public static func address(host: String, port: Int) -> String {
        var reached = host
        if host.isEmpty || host == "0.0.0.0" {
            reached = "127.0.0.1"
        } else if host == "::" {
            reached = "::1"
        }
        if reached.contains(":") { reached = "[\(reached)]" }
        return "\(reached):\(port)"
    }

    /// The labels every alert finmon sends starts from: `extra` (the config's
    /// `alertmanager.labels`), the discovery labels, `job` and `instance`.
    public func labels(adding extra: [String: String]) -> [String: String] {
        var labels = extra.merging(discoveryLabels) { _, discovered in discovered }
        labels["job"] = job
        labels["instance"] = instance
        return labels
    }
}
