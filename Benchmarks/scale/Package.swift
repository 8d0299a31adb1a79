// swift-tools-version: 6.1
import PackageDescription

// Plant-scale benchmarks, kept out of the product's package so its dependencies (HdrHistogram)
// never reach a user's or CI's build. `sensor-gateway` is a symlink to the repository's root:
// a path dependency's identity is its last path component, so the link gives it a stable name.
let package = Package(
    name: "scale-benchmarks",
    dependencies: [
        .package(path: "sensor-gateway"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "latency-probe",
            dependencies: [
                .product(name: "MQTT", package: "sensor-gateway"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
