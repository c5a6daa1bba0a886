// swift-tools-version: 6.1
// MeshIndicators against TA-Lib's C library, same data, same run (Tools/bench-indicators.sh runs both).

import PackageDescription

let package = Package(
    name: "IndicatorBench",
    dependencies: [.package(name: "SignalMesh", path: "../..")],
    targets: [
        // Counts the calls to malloc, calloc and realloc (interposed in the executable): allocations per update.
        .target(name: "MallocCounter"),
        .executableTarget(
            name: "indicator-bench",
            dependencies: ["MallocCounter", .product(name: "MeshIndicators", package: "SignalMesh")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
    ],
    swiftLanguageModes: [.v5]
)
