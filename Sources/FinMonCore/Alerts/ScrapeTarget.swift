/// How Prometheus names this loop: the `job` and `instance` labels of its scrape target.
/// Every alert finmon sends carries both, so when finmon and Prometheus' rules report one
/// condition, Alertmanager sees one alert (it identifies alerts by their label sets).
///
/// ```swift
/// ScrapeTarget(config: .defaults).instance                   // "127.0.0.1:8000"
/// ScrapeTarget.address(host: "0.0.0.0", port: 9100)          // "127.0.0.1:9100"
/// ```
public struct ScrapeTarget: Sendable, Equatable {
    public let job: String
    public let instance: String

    /// `instance` is `monitoring.prometheus.instance` when set, else the exporter's address
    /// as the generated prometheus.yml scrapes it (`address(host:port:)`), with `boundPort`
    /// standing in for port 0 (the port the exporter picked).
    public init(config: MonitoringConfig, boundPort: Int? = nil) {
        job = config.string("monitoring.prometheus.job_name") ?? "finmon"
        if let instance = config.string("monitoring.prometheus.instance") {
            self.instance = instance
        } else {
            let configured = config.int("monitoring.prometheus.port")
            let port = configured == 0 ? boundPort ?? configured : configured
            self.instance = Self.address(host: config.string("monitoring.prometheus.address") ?? "127.0.0.1", port: port)
        }
    }

    public init(job: String, instance: String) {
        self.job = job
        self.instance = instance
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
    /// `alertmanager.labels`), `job` and `instance`.
    public func labels(adding extra: [String: String]) -> [String: String] {
        var labels = extra
        labels["job"] = job
        labels["instance"] = instance
        return labels
    }
}
