// swift-tools-version: 6.1
import PackageDescription

// The exports target is the only one linked with the static Swift runtime:
// on a tested target the same flag breaks `swift test`'s link.
//
// Resident memory (issue #16): lld rather than gold, for two things gold lacks. Packed
// relative relocations (DT_RELR, glibc >= 2.36) shrink the relocation table the loader
// reads at dlopen from ~0.9 MB to ~8 KB. And the link order: the functions a loop runs
// (start-up, updates, scrapes; Sources/FinMonExports/link-order.txt, from
// scripts/link_order.py) are laid out together, so the kernel's 64 KB fault-around maps
// them in a few chunks instead of pulling in most of the library's code. Names the file
// lists that no longer exist are skipped (hence --no-warn-symbol-ordering). Functions with
// no symbol to name there (private closures' destructors, merged-function thunks) are
// gathered in one place by Sources/FinMonExports/private-text.ld.
let exportsLinkerFlags: [String] = [
    "-static-stdlib",
    "-use-ld=lld",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--symbol-ordering-file=Sources/FinMonExports/link-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "-T", "-Xlinker", "Sources/FinMonExports/private-text.ld",
    "-Xlinker", "-z", "-Xlinker", "defs",
    "-Xlinker", "-soname=libfinmon.so.0",  // ABI major 0: see README, "ABI versions"
    "-Xlinker", "--version-script=Sources/FinMonExports/finmon.map",
    // The static Swift runtime asks for -lstdc++; this folder, searched first, answers with
    // a linker script naming libstdc++.a, so the C++ runtime functions it uses are copied
    // in (hidden by --exclude-libs) and the shared libstdc++ is never loaded: ~0.8 MiB
    // less resident (its symbol tables alone, read at relocation, were 0.7 MiB).
    "-L", "Sources/FinMonExports/libstdcxx",
]

// One section per function, so the link order above can move each function on its own
// (without it a file's functions move as one block).
let functionSections: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"])]

let package = Package(
    name: "finmon",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "finmon", type: .dynamic, targets: ["FinMonExports"]),
        // The domain for Swift code (the benchmarks' package depends on it by path); not
        // shipped: the Python package bundles only the C ABI's library.
        .library(name: "FinMonCore", targets: ["FinMonCore"]),
    ],
    traits: [
        // The exporter's TLS (swift-nio-ssl, which compiles BoringSSL): `swift build --traits TLS`.
        // Without it, a web config that asks for TLS is refused (see README, "TLS and basic
        // authentication"); scripts/test.sh builds and tests with it.
        .trait(name: "TLS", description: "TLS for the exporter (swift-nio-ssl, BoringSSL)"),
    ],
    dependencies: [
        // HTTP/1.1 for the exporter and the small clients (Docker Engine, Alertmanager).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // zlib for gzip'd scrapes; libyaml (the parser Yams wraps) for the config,
        // because Yams imports full Foundation and so links ICU into the .so.
        .systemLibrary(name: "CFinMonZlib", path: "Sources/CFinMonZlib"),
        .systemLibrary(name: "CFinMonYAML", path: "Sources/CFinMonYAML"),
        // libxcrypt (Debian's libcrypt-dev): bcrypt verification for the exporter's basic auth.
        .systemLibrary(name: "CFinMonCrypt", path: "Sources/CFinMonCrypt"),
        // The live page's files and dygraphs as bytes (C23 #embed at build time).
        .target(
            name: "CFinMonPage",
            exclude: ["assets"],
            cSettings: [.unsafeFlags(["-std=c23"])]
        ),
        // include/finmon.h (with its parts, include/finmon/*.h), the single source of the C ABI
        // (see Sources/CFinMon/module.modulemap).
        .systemLibrary(name: "CFinMon", path: "Sources/CFinMon"),
        .target(
            name: "FinMonCore",
            dependencies: [
                "CFinMonZlib",
                "CFinMonYAML",
                "CFinMonPage",
                "CFinMonCrypt",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["TLS"])),
                .product(name: "NIOTLS", package: "swift-nio", condition: .when(traits: ["TLS"])),
            ],
            swiftSettings: functionSections
        ),
        .target(
            name: "FinMonExports",
            dependencies: ["FinMonCore", "CFinMon"],
            exclude: ["finmon.map", "link-order.txt", "private-text.ld", "libstdcxx"],
            swiftSettings: functionSections,
            linkerSettings: [.unsafeFlags(exportsLinkerFlags)]
        ),
        .testTarget(
            name: "FinMonCoreTests",
            dependencies: ["FinMonCore", .product(name: "NIOEmbedded", package: "swift-nio")],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
