// swift-tools-version: 6.0
import PackageDescription

// A separate package so the library's own Package.swift does not depend on
// swift-prometheus. It uses FinMonCore through the root package's library product,
// by path, so the registry measured is the library's own target, built with its settings.
let package = Package(
    name: "finmon-registry-bench",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "finmon", path: "../.."),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "FlapBench",
            dependencies: [.product(name: "FinMonCore", package: "finmon")]
        ),
        .executableTarget(
            name: "HistoryBench",
            dependencies: [.product(name: "FinMonCore", package: "finmon")]
        ),
        .executableTarget(
            name: "RegistryBench",
            dependencies: [
                .product(name: "FinMonCore", package: "finmon"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
