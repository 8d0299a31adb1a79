import FaultSimulation

#if canImport(Glibc)
    import Glibc
#endif

/// `fault-sim`: runs seeds of the deterministic fault simulator (docs/SIMULATION.md) and prints
/// seeds per second, seeds run, faults per seed by kind, and every failure (seed, step,
/// invariant, trace). Exit status 1 when a seed failed.
///
///     fault-sim --seeds N [--from S] [--steps K] [--measurements [--own-windows]] [--input-outages] [--resizes] [--avoid-open-findings | --finding F]
///     fault-sim --seed S [--finding F] [--steps K] [--measurements [--own-windows]] [--input-outages] [--resizes] [--verbose]
///
/// `--measurements`: each world also declares humidity, and some of its sensors are humidity
/// streams under another sensor's id (`Scenario.withMeasurements`); `--own-windows`: humidity has
/// a reorder window and late horizon of its own (`Scenario.withMeasurementWindows`);
/// `--input-outages`: the gateway's input connection is lost now and then (`Scenario.withInputOutages`);
/// `--resizes`: the journal is resized at restarts, some resizes interrupted (`Scenario.withResizes`).
struct Arguments {
    var seeds = 100
    var from: UInt64 = 1
    var steps: Int?
    var single: UInt64?
    var verbose = false
    var avoidOpenFindings = false
    var finding: Finding?
    var measurements = false
    var ownWindows = false
    var inputOutages = false
    var resizes = false

    static let usage =
        "usage: fault-sim --seeds N [--from S] [--steps K] [--measurements [--own-windows]] [--input-outages] [--resizes] [--avoid-open-findings | --finding F] | --seed S [--finding F] [--steps K] [--measurements [--own-windows]] [--input-outages] [--resizes] [--verbose]"

    init(_ args: [String]) throws(UsageError) {
        var i = 0
        func value() throws(UsageError) -> String {
            i += 1
            guard i < args.count else { throw UsageError(message: "\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--seeds": seeds = try Self.number(value(), "--seeds")
            case "--from": from = UInt64(try Self.number(value(), "--from"))
            case "--steps": steps = try Self.number(value(), "--steps")
            case "--seed": single = UInt64(try Self.number(value(), "--seed"))
            case "--verbose": verbose = true
            case "--measurements": measurements = true
            case "--own-windows": ownWindows = true
            case "--input-outages": inputOutages = true
            case "--resizes": resizes = true
            case "--avoid-open-findings": avoidOpenFindings = true
            case "--finding":
                let n = try Self.number(value(), "--finding")
                guard let f = Finding(rawValue: n) else {
                    throw UsageError(message: "--finding takes one of \(Finding.allCases.map { "\($0.rawValue)" }.joined(separator: ", "))")
                }
                finding = f
            case "-h", "--help": throw UsageError(message: Self.usage, help: true)
            default: throw UsageError(message: "unknown argument \(args[i])\n\(Self.usage)")
            }
            i += 1
        }
    }

    private static func number(_ s: String, _ name: String) throws(UsageError) -> Int {
        guard let n = Int(s), n >= 0 else { throw UsageError(message: "\(name) takes a number, not \(s)") }
        return n
    }

    func scenario(_ seed: UInt64) -> Scenario {
        var s = finding.map { Scenario.aimed(at: $0, seed: seed) } ?? Scenario.drawn(seed: seed)
        if measurements || ownWindows { s = s.withMeasurements(seed: seed) }
        if ownWindows { s = s.withMeasurementWindows(seed: seed) }
        if inputOutages { s = s.withInputOutages(seed: seed) }
        if resizes { s = s.withResizes(seed: seed) }
        if avoidOpenFindings { s = s.avoidingOpenFindings() }
        if let steps { s.steps = steps }
        return s
    }
}

struct UsageError: Error {
    var message: String
    /// Asked for (`--help`): printed with exit status 0.
    var help = false
}

/// Monotonic seconds, for the seeds-per-second figure only (the simulation reads no clock).
func seconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let arguments: Arguments
do {
    arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    print(error.message)
    exit(error.help ? 0 : 64)
}

if let seed = arguments.single {
    let report = Simulation.run(seed: seed, scenario: arguments.scenario(seed), log: arguments.verbose ? { print($0) } : nil)
    print(report)
    print("faults: " + report.faults.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
    exit(report.failed ? 1 : 0)
}

let began = seconds()
var totals: [FaultKind: Int] = [:]
var failures: [SimulationReport] = []
var byInvariant: [String: [UInt64]] = [:]
var steps = 0
var aggregateWorlds = 0
var aggregateWindows = 0
for seed in arguments.from..<(arguments.from + UInt64(arguments.seeds)) {
    let report = Simulation.run(seed: seed, scenario: arguments.scenario(seed))
    steps += report.stepsRun
    for (kind, n) in report.faults { totals[kind, default: 0] += n }
    if let checked = report.aggregateWindowsChecked {
        aggregateWorlds += 1
        aggregateWindows += checked
    }
    if let v = report.violation {
        failures.append(report)
        byInvariant[v.invariant.rawValue, default: []].append(seed)
        print(report)
        print("")
    }
}
let elapsed = max(seconds() - began, 1e-9)
let n = Double(max(arguments.seeds, 1))
print("seeds run: \(arguments.seeds) (\(arguments.from)...\(arguments.from + UInt64(arguments.seeds) - 1)), \(steps) steps")
print("seeds/second: \(String(format: "%.1f", Double(arguments.seeds) / elapsed)) (\(String(format: "%.1f", elapsed)) s)")
print(
    "aggregate windows checked against the cleaned stream: \(aggregateWindows), in \(aggregateWorlds) of \(arguments.seeds) worlds (the others ended with work pending)"
)
print("faults per seed, by kind:")
for (kind, total) in totals.sorted(by: { $0.key < $1.key }) {
    print("  \(kind.rawValue): \(String(format: "%.2f", Double(total) / n))")
}
print("faults per seed, all kinds: \(String(format: "%.1f", Double(totals.values.reduce(0, +)) / n))")
print("failures: \(failures.count)")
for (invariant, seeds) in byInvariant.sorted(by: { $0.key < $1.key }) {
    print("  \(invariant): \(seeds.count) seeds: \(seeds.prefix(20).map(String.init).joined(separator: " "))\(seeds.count > 20 ? " ..." : "")")
}
exit(failures.isEmpty ? 0 : 1)
