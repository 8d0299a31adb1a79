// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks (ordo-one/benchmark) for the hot spots: the reading path through the engine,
// new-sensor admission, the deadline structure, the snapshot encoder and the journal append.
// A separate package, so its dependencies never reach a user's or CI's build. `sensor-gateway`
// is a symlink to the repository's root (a path dependency's identity is its last component).
//
//   cd Benchmarks/micro && swift package benchmark                      # run, print a table
//   swift package benchmark thresholds check                           # compare with Thresholds/
//   swift package --allow-writing-to-package-directory benchmark thresholds update
let package = Package(
    name: "micro-benchmarks",
    dependencies: [
        .package(path: "sensor-gateway"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GatewayMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Recovery", package: "sensor-gateway"),
                .product(name: "Journal", package: "sensor-gateway"),
                .product(name: "CompactCoding", package: "sensor-gateway"),
                .product(name: "Sparkplug", package: "sensor-gateway"),
            ],
            path: "Benchmarks/GatewayMicro",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
