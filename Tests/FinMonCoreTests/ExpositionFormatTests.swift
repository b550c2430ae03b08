import Testing
@testable import FinMonCore

@Test func noAcceptHeaderGetsTheTextFormat() {
    #expect(ExpositionFormat.negotiate(accept: nil) == .prometheusText)
    #expect(ExpositionFormat.negotiate(accept: "") == .prometheusText)
}

@Test func plainTextAndWildcardsGetTheTextFormat() {
    #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheusText)
    #expect(ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4") == .prometheusText)
    #expect(ExpositionFormat.negotiate(accept: "*/*") == .prometheusText)
    #expect(ExpositionFormat.negotiate(accept: "application/json") == .prometheusText)
}

@Test func openMetricsWhenListed() {
    #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0") == .openMetrics)
    #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text") == .openMetrics)
    #expect(ExpositionFormat.negotiate(accept: "text/plain, application/openmetrics-text; version=1.0.0; q=0.1") == .openMetrics)
}

@Test func openMetricsWithQZeroIsExcluded() {
    #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0;q=0") == .prometheusText)
    #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text; q=0.0, text/plain") == .prometheusText)
}

@Test func prometheusDefaultAcceptHeaderGetsOpenMetrics() {
    let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    #expect(ExpositionFormat.negotiate(accept: prometheus) == .openMetrics)
}

@Test func contentTypesNameVersionAndCharset() {
    #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
    #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    #expect(ExpositionFormat(rawValue: 0) == .prometheusText)
    #expect(ExpositionFormat(rawValue: 1) == .openMetrics)
    #expect(ExpositionFormat(rawValue: 2) == nil)
}
