import Testing
@testable import FinMonCore

private func registryWithOneGauge() throws -> MetricsRegistry {
    let registry = MetricsRegistry()
    try registry.register(.gauge, name: "own_value", help: "Ours.").labels([]).set(2)
    return registry
}

private let mirrored = AttachedExposition(
    text: Array("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3.0".utf8),
    openMetrics: Array("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 3.0\n".utf8))

@Test func attachedTextFollowsOwnFamiliesOnlyWhenAsked() throws {
    let registry = try registryWithOneGauge()
    registry.attach(mirrored)
    let served = TextExposition.renderString(registry, format: .prometheusText)
    #expect(!served.contains("jobs_total"))  // the final record and finmon_collector_exposition
    let text = String(decoding: TextExposition.render(registry, format: .prometheusText, includeAttached: true),
                      as: UTF8.self)
    #expect(text.contains("# HELP own_value Ours.\n"))
    // A missing final newline was added, so the response ends with a whole line.
    #expect(text.hasSuffix("own_value 2.0\n# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3.0\n"))
}

@Test func attachedOpenMetricsComesBeforeTheOneEOF() throws {
    let registry = try registryWithOneGauge()
    registry.attach(mirrored)
    let text = String(decoding: TextExposition.render(registry, format: .openMetrics, includeAttached: true),
                      as: UTF8.self)
    #expect(text.hasSuffix("# TYPE jobs counter\njobs_total 3.0\n# EOF\n"))
    #expect(text.components(separatedBy: "# EOF").count == 2)
}

@Test func detachingRemovesTheText() throws {
    let registry = try registryWithOneGauge()
    registry.attach(mirrored)
    #expect(registry.attachedExposition == mirrored)
    registry.attach(nil)
    #expect(registry.attachedExposition == nil)
    let text = String(decoding: TextExposition.render(registry, format: .prometheusText, includeAttached: true),
                      as: UTF8.self)
    #expect(text.hasSuffix("# TYPE own_value gauge\nown_value 2.0\n"))
    #expect(AttachedExposition(text: [], openMetrics: []).text.isEmpty)
}
