// swift-tools-version: 6.2
import PackageDescription

// A separate package so the library's own Package.swift does not depend on
// swift-prometheus. FinMonCore has no library product (the root package ships only the
// C ABI's dynamic library), so its sources are compiled here a second time, from the
// root package's folder, with the same system-library shims and SwiftNIO.
let package = Package(
    name: "finmon-registry-bench",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CFinMonZlib", path: "Sources/CFinMonZlib"),
        .systemLibrary(name: "CFinMonYAML", path: "Sources/CFinMonYAML"),
        .target(
            name: "FinMonCore",
            dependencies: [
                "CFinMonZlib",
                "CFinMonYAML",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/FinMonCore"
        ),
        .executableTarget(
            name: "RegistryBench",
            dependencies: [
                "FinMonCore",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
