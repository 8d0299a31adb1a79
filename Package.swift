// swift-tools-version: 6.1
import PackageDescription

// Dependencies are deliberately few: argument parsing, logging, service lifecycle and an HTTP server.
// The MQTT transport is Debian's libmosquitto.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
// The engine, the journal and the fault simulator are optimized in debug builds too: the test
// suite runs hundreds of simulated worlds and large fleets through them, eight times faster so
// (README, "Tests"). They hold no `assert`, so nothing the tests check is compiled out.
let optimizedInTests: [SwiftSetting] = strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "sensor-gateway",
    // Linux only (Glibc, fdatasync, Debian's libmosquitto): no Apple platforms are declared.
    products: [
        .executable(name: "sensor-gateway", targets: ["sensor-gateway"]),
        .executable(name: "sensor-sim", targets: ["sensor-sim"]),
        // The deterministic fault simulator (docs/SIMULATION.md); scripts/simulate.sh runs it.
        .executable(name: "fault-sim", targets: ["fault-sim"]),
        // For Benchmarks/scale (the latency probe) and Benchmarks/micro; not a supported API.
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "Recovery", targets: ["Recovery"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "CompactCoding", targets: ["CompactCoding"]),
        .library(name: "Sparkplug", targets: ["Sparkplug"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // ServiceGroup: the daemon and its HTTP endpoint as services, with graceful shutdown on
        // SIGTERM/SIGINT in a defined order (the gateway drains before the endpoint closes).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The HTTP endpoint (/metrics, /healthz, /): many concurrent connections, idle timeouts
        // and a connection limit, so a port scanner or a stalled client cannot hold up health checks.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already under Hummingbird; named for one channel handler of the HTTP endpoint (a
        // deadline for a request's head, so stalled clients cannot hold every connection).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // /metrics: swift-metrics instruments and totals in a Prometheus registry (swift-metrics and
        // swift-atomics already come with Hummingbird; this adds one small package).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // Sparkplug B payloads (docs/SPARKPLUG.md): the runtime library only; the code generated
        // from sparkplug_b.proto is committed (scripts/generate-sparkplug.sh), so no protoc
        // plugin is built.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // How a thread blocks until another changes something: a condition variable and a semaphore
        // on the monotonic clock, shared by the MQTT client and the gateway (docs/ARCHITECTURE.md).
        .target(name: "Waiting", swiftSettings: strict),
        .target(name: "MQTT", dependencies: ["CMosquitto", "Waiting", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "DeterministicRandom", swiftSettings: optimizedInTests),
        // The interface's vocabulary (topics, broker URLs), shared by the gateway, the simulator and the tests.
        .target(name: "Wire", swiftSettings: optimizedInTests),
        // Sparkplug B topics and payloads (protobuf): reading and writing them, no state.
        .target(
            name: "Sparkplug", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")], exclude: ["Generated/sparkplug_b.proto"],
            swiftSettings: strict),
        .target(name: "Recovery", dependencies: ["DeterministicRandom", "Wire", "Sparkplug"], swiftSettings: optimizedInTests),
        // CRC-32C with the CPU's instructions when it has them (the journal checks every record).
        .target(name: "CCRC32C"),
        // glibc's allocator told to keep less freed memory (resident size follows the live heap).
        .target(name: "CMallocTuning"),
        // SIGHUP ignored from before `main` in `run`, until the reload service takes it over.
        .target(name: "CEarlySignals"),
        .target(name: "Journal", dependencies: ["CCRC32C"], swiftSettings: optimizedInTests),
        // A binary form of Codable values, for the engine snapshot (JSON was most of a restart).
        .target(name: "CompactCoding", swiftSettings: optimizedInTests),
        .target(
            name: "Gateway",
            dependencies: [
                "MQTT", "Recovery", "Journal", "Wire", "CompactCoding", "Waiting", "Sparkplug", "CMallocTuning",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sensor-gateway",
            dependencies: [
                "Gateway", "Journal", "Wire", "CMallocTuning", "CEarlySignals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sensor-sim",
            dependencies: [
                "MQTT", "DeterministicRandom", "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "simulator",
            swiftSettings: strict
        ),
        // The deterministic fault simulator: the real engine and journal (over a fault-injecting
        // file layer) driven by a seeded world; no Gateway, so no NIO in its build.
        .target(name: "FaultSimulation", dependencies: ["Recovery", "Journal", "Wire", "DeterministicRandom"], swiftSettings: optimizedInTests),
        .executableTarget(name: "fault-sim", dependencies: ["FaultSimulation"], path: "Benchmarks/fault-sim", swiftSettings: strict),
        .testTarget(name: "FaultSimulationTests", dependencies: ["FaultSimulation", "Recovery", "Journal", "Wire", "Waiting"], swiftSettings: strict),
        .executableTarget(
            name: "gateway-bench", dependencies: ["Recovery", "Journal", "DeterministicRandom", "CompactCoding", "CMallocTuning"], path: "Benchmarks/gateway-bench", swiftSettings: strict),
        .target(
            name: "TestSupport", dependencies: ["MQTT", "Wire", "Journal", .product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport",
            swiftSettings: strict),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: strict),
        .testTarget(name: "SparkplugTests", dependencies: ["Sparkplug"], swiftSettings: strict),
        .testTarget(name: "CompactCodingTests", dependencies: ["CompactCoding", "DeterministicRandom"], swiftSettings: strict),
        .testTarget(name: "RecoveryTests", dependencies: ["Recovery", "DeterministicRandom", "Wire", "Sparkplug"], swiftSettings: strict),
        .executableTarget(name: "JournalCrashHelper", dependencies: ["Journal"], path: "Tests/JournalCrashHelper", swiftSettings: strict),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "TestSupport", "DeterministicRandom", "FaultSimulation"], swiftSettings: strict),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Recovery", "Journal", "MQTT", "TestSupport", "DeterministicRandom", "Wire",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
