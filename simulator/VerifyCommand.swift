import ArgumentParser
import Foundation
import MQTT
import Wire

/// `sensor-sim verify`: scores cleaned output against the truth; exit 1 when the contract breaks.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Score cleaned output against the truth file.")

    @Option(help: "Truth file written by `sensor-sim run --truth`.") var truth: String
    @Option(help: "Cleaned output as JSON lines (e.g. `mosquitto_sub -t 'cleaned/#'` or `sensor-gateway replay`).") var cleaned: String?
    @Option(help: "Instead of a file: subscribe to cleaned/# on this broker (mqtt://HOST:PORT) and collect live.") var broker: String?
    @Option(name: .customLong("listen-seconds"), help: "With --broker: stop collecting after this many seconds without a message.") var listenSeconds = 10.0
    @Option(
        help:
            "Score this measurement's streams (cleaned/<id>/<name>) against a truth file of it."
    )
    var measurement = Topics.defaultMeasurement
    @Option(name: .customLong("valid-min")) var validMin = 50.0
    @Option(name: .customLong("valid-max")) var validMax = 55.0
    @Flag(
        name: .customLong("tail-in-flight"),
        help: "Report, not fail, delivered readings after a stream's last output (the capture ended while they may have been on their way).")
    var tailInFlight = false

    func validate() throws {
        guard (cleaned == nil) != (broker == nil) else { throw ValidationError("give either --cleaned FILE or --broker URL") }
        if let broker, BrokerURL(broker)?.scheme != .mqtt { throw ValidationError("--broker=\(broker): expected mqtt://HOST:PORT") }
    }

    func run() async throws {
        var verifier = Verifier()
        verifier.validRange = validMin...validMax
        verifier.tailInFlight = tailInFlight
        var report: Verifier.Report
        do {
            let output = try await cleanedOutput()
            report = verifier.verify(truth: try Verifier.loadTruth(truth), cleaned: output)
            if measurement != Topics.defaultMeasurement { report.unit = output.lazy.compactMap(\.unit).first.map { " \($0)" } ?? "" }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(66)
        }
        print(report.table())
        if report.broken { throw ExitCode(1) }
    }

    /// The cleaned messages, from the file or collected live until the stream goes quiet.
    private func cleanedOutput() async throws -> [CleanedReading] {
        let wanted = measurement == Topics.defaultMeasurement ? nil : measurement
        // The truth knows one measurement: its streams only, keyed as the truth keys them
        // (every message of another measurement names it: its value's member, or a gap's
        // `measurement`).
        func ofMeasurement(_ all: [CleanedReading]) -> [CleanedReading] {
            all.filter { $0.measurement == wanted }.map { r in
                var r = r
                r.measurement = nil
                return r
            }
        }
        if let cleaned { return ofMeasurement(try Verifier.jsonLines(cleaned, as: CleanedReading.self)) }
        let address = BrokerURL(broker!)!
        let client = try MQTTClient(
            MQTTConfiguration(host: address.host, port: address.port, clientID: "sensor-sim-verify-\(ProcessInfo.processInfo.processIdentifier)"))
        try await client.connect()
        try client.subscribe(Topics.cleaned("+", measurement), qos: .atLeastOnce)
        var payloads: [[UInt8]] = []
        let quiet = Duration.milliseconds(Int64(listenSeconds * 1000))
        while true {
            let batch = await client.nextEvents(waitingAtMost: quiet)
            if batch.isEmpty { break }  // quiet for `listenSeconds`
            payloads += batch.compactMap { if case .message(let m) = $0 { m.payload } else { nil } }
        }
        await client.disconnect()
        return ofMeasurement(payloads.compactMap { try? WireJSON.decode(CleanedReading.self, from: $0) })
    }
}
