// Replays recorded host CPU samples through finmon's own alert engine, with several
// hold-down (for:) and hysteresis settings, and prints how often high_cpu would have
// fired: the measurement behind the shipped defaults (Benchmarks/bench_flapping.py).
//
// stdin: one sample per line, "seconds,cpu_percent" (seconds from the first sample).
// arguments: thresholds to try (default 90), e.g. `FlapBench 90 70 50`.
// stdout: one CSV line per setting: threshold,for_seconds,hysteresis,fired,resolved,seconds_firing
import FinMonCore

/// `90`, not `90.0`.
func plain(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

struct Sample {
    let seconds: Double
    let cpu: Double
}

var samples: [Sample] = []
while let line = readLine() {
    let parts = line.split(separator: ",")
    guard parts.count == 2, let seconds = Double(parts[0]), let cpu = Double(parts[1]) else { continue }
    samples.append(Sample(seconds: seconds, cpu: cpu))
}
let thresholds = CommandLine.arguments.dropFirst().compactMap(Double.init)
let settings: [(forSeconds: Double, hysteresis: Double)] = [
    (0, 0), (60, 0), (120, 0), (300, 0), (0, 10), (60, 10), (300, 10),
]
print("threshold,for_seconds,hysteresis,fired,resolved,seconds_firing")
for threshold in thresholds.isEmpty ? [90] : thresholds {
    for setting in settings {
        let rule = AlertRule(
            type: .highCPU, severity: .warning, threshold: threshold, forSeconds: setting.forSeconds,
            hysteresis: setting.hysteresis)
        var engine = AlertEngine(rules: [rule])
        var fired = 0
        var resolved = 0
        var firingSince: Double?
        var secondsFiring = 0.0
        for sample in samples {
            let now = AlertTime(monotonicSeconds: sample.seconds, epochSeconds: 1_800_000_000 + sample.seconds)
            for event in engine.evaluate(AlertSnapshot(cpuPercent: sample.cpu), now: now) {
                switch event.status {
                case .firing:
                    fired += 1
                    firingSince = sample.seconds
                case .resolved:
                    resolved += 1
                    secondsFiring += sample.seconds - (firingSince ?? sample.seconds)
                    firingSince = nil
                }
            }
        }
        if let since = firingSince, let last = samples.last { secondsFiring += last.seconds - since }
        print("\(plain(threshold)),\(plain(setting.forSeconds)),\(plain(setting.hysteresis)),\(fired),\(resolved),"
            + "\(plain(secondsFiring.rounded()))")
    }
}
