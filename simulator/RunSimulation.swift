import ArgumentParser
import Foundation
import MQTT
import Synchronization
import Wire

/// `sensor-sim run`: plays the fleet.
struct RunSimulation: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Publish simulated readings with field faults.")

    @Option(help: "mqtt://HOST:PORT") var broker = "mqtt://127.0.0.1:1883"
    @Option(help: "User name to log in with (one user publishes for the whole fleet: it needs write access to the sensors' topics).")
    var username: String?
    @Option(name: .customLong("password-file"), help: "A file whose first line is the password for --username.")
    var passwordFile: String?
    @Option(help: "Number of sensors.") var sensors = 10
    @Option(help: "Readings per second per sensor, or `max`.") var rate = "1"
    @Option(help: "Readings per sensor (default: unlimited, or what --duration gives).") var count: Int?
    @Option(help: "Seconds to run.") var duration: Double?
    @Option(help: "Same seed, same run.") var seed: UInt64 = 1
    @Option(name: .customLong("skip-rate"), help: "Readings never published (lost on the network).") var skipRate = 0.10
    @Option(name: .customLong("error-rate"), help: "Readings with an out-of-range value.") var errorRate = 0.05
    @Option(name: .customLong("dup-rate"), help: "Readings published twice.") var dupRate = 0.01
    @Option(name: .customLong("reorder-rate"), help: "Readings published after the next one.") var reorderRate = 0.01
    @Option(name: .customLong("corrupt-rate"), help: "Readings sent as broken JSON, wrong types or garbage.") var corruptRate = 0.005
    @Option(name: .customLong("late-rate"), help: "Readings delivered after the reorder window.") var lateRate = 0.0
    @Option(name: .customLong("late-delay-ms"), help: "How late a late reading is.") var lateDelayMs = 3000
    @Option(name: .customLong("restart-rate"), help: "Chance per reading that the sensor reboots (seq back to 0, new boot).") var restartRate = 0.0
    @Option(
        name: .customLong("first-boot"),
        help: """
            The boot every sensor starts in. Run the fleet again against the same gateway with a higher one, \
            as a sensor that counts its boots would: under the same boot its reused seqs are another \
            device's readings to the gateway, dead-lettered bad_value:seq.
            """)
    var firstBoot = 1
    @Option(name: .customLong("resend-buffer"), help: "Readings each sensor keeps to answer resend requests (0: none).") var resendBuffer = 0
    @Option(help: "Write the truth (every reading as measured, with its fault) as JSON lines here.") var truth: String?
    @Option(name: .customLong("sensor-prefix"), help: "Sensor ids are PREFIX0, PREFIX1, ...") var sensorPrefix = "sim-"
    @Option(name: .customLong("start-ts"), help: "Event time of the first reading, epoch ms (default: now).") var startTs: Int64?
    @Option(help: "Seconds to keep answering resend requests after the last reading.") var linger = 5.0
    @Option(help: "json, or csv: every sensor sends one seq,ts,value,status,boot line instead.") var payload = "json"
    @Option(help: "What the fleet measures: temperature, or a measurement.<name> of the gateway's config (sensors/<id>/<name>).")
    var measurement = Topics.defaultMeasurement
    @Option(
        name: .customLong("json-fields"),
        help: "Other JSON member names the firmware writes, field=name pairs (value=temp_c,seq=sn,ts=time), as the gateway's json-fields.")
    var jsonFields = ""
    @Option(name: .customLong("valid-min"), help: "The measurement's valid range, which values are drawn in.") var validMin = 50.0
    @Option(name: .customLong("valid-max")) var validMax = 55.0
    @Option(
        name: .customLong("csv-fraction"),
        help: "The share of sensors that send CSV, spread evenly over the fleet (0.5: every second one); --payload csv is 1.")
    var csvFraction: Double?
    @Flag(
        help: """
            Spread each round's readings over its period (every 10 ms a slice of the fleet), as a plant's \
            sensors on their own clocks do, instead of one burst per round. Needs a numeric --rate.
            """)
    var spread = false

    /// Whether sensor `index` sends CSV: `--payload csv`, or its turn under `--csv-fraction`
    /// (sensor i is CSV when floor((i+1)F) > floor(iF), so the share holds for any fleet size).
    func sendsCSV(_ index: Int) -> Bool {
        let share = payload == "csv" ? 1 : (csvFraction ?? 0)
        return (Double(index + 1) * share).rounded(.down) > (Double(index) * share).rounded(.down)
    }

    func validate() throws {
        guard sensors > 0 else { throw ValidationError("--sensors=\(sensors): must be at least 1") }
        guard firstBoot >= 0 else { throw ValidationError("--first-boot=\(firstBoot): a boot is 0 or more") }
        guard rate == "max" || (Double(rate).map { $0 > 0 } ?? false) else { throw ValidationError("--rate=\(rate): a positive number or max") }
        guard !spread || rate != "max" else { throw ValidationError("--spread needs a numeric --rate: max has no period to spread over") }
        for (name, p) in [
            ("skip-rate", skipRate), ("error-rate", errorRate), ("dup-rate", dupRate), ("reorder-rate", reorderRate),
            ("corrupt-rate", corruptRate), ("late-rate", lateRate), ("restart-rate", restartRate),
        ] where !(0...1).contains(p) {
            throw ValidationError("--\(name)=\(p): a probability between 0 and 1")
        }
        guard payload == "json" || payload == "csv" else { throw ValidationError("--payload=\(payload): expected json or csv") }
        guard (1...32).contains(measurement.utf8.count), measurement != "resend", measurement != "value",
            measurement.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D })
        else { throw ValidationError("--measurement=\(measurement): 1-32 characters of a-z 0-9 _ -, not resend or value") }
        guard validMin < validMax else { throw ValidationError("--valid-min=\(validMin) --valid-max=\(validMax): min must be below max") }
        if let csvFraction, !(0...1).contains(csvFraction) {
            throw ValidationError("--csv-fraction=\(csvFraction): a share between 0 and 1")
        }
        do throws(FirmwareFieldNames.Invalid) { _ = try FirmwareFieldNames(parsing: jsonFields) } catch {
            throw ValidationError("--json-fields=\(jsonFields): \(error.message)")
        }
        guard BrokerURL(broker)?.scheme == .mqtt else { throw ValidationError("--broker=\(broker): expected mqtt://HOST:PORT") }
        guard passwordFile == nil || username != nil else { throw ValidationError("--password-file needs --username") }
    }

    func run() async throws {
        let address = BrokerURL(broker)!
        var connection = MQTTConfiguration(host: address.host, port: address.port, clientID: "sensor-sim-\(seed)-\(ProcessInfo.processInfo.processIdentifier)")
        connection.username = username
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                FileHandle.standardError.write(Data("error: --password-file=\(passwordFile): cannot be read\n".utf8))
                throw ExitCode(66)
            }
            connection.password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        let client = try MQTTClient(connection)
        do { try await client.connect() } catch {
            FileHandle.standardError.write(Data("error: --broker=\(broker): \(error)\n".utf8))
            throw ExitCode(69)
        }
        // The pump subscribes to resend requests on this connection and on every reconnection.
        let requests = ResendInbox()
        let pump = Task { await requests.pump(client) }

        let hz = Double(rate) ?? 0
        let clock = ContinuousClock()
        let periodMs = hz > 0 ? max(1, Int64((1000 / hz).rounded())) : 10
        // A paced run of --duration seconds plays that many seconds of rounds (at 0.5/s, 60 s is 30
        // rounds, not 60); an unpaced one (`max`) plays rounds until the time is up.
        let rounds = count ?? (hz > 0 ? duration.map { Swift.max(1, Int(($0 * hz).rounded())) } : nil) ?? Int.max
        let unpacedUntil = hz > 0 || count != nil ? nil : duration.map { clock.now + .milliseconds(Int64($0 * 1000)) }
        let fleet = FleetPlayer(options: self, periodMs: periodMs, startTs: startTs ?? (Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000))
        let truthFile = try truth.map { try TruthWriter(path: $0) }
        let start = clock.now
        var lastReport = start
        var publishedAtReport = 0
        // With --spread, a round is played in slices about 10 ms apart; else in one go.
        let slices = spread ? max(1, min(sensors, Int(periodMs / 10))) : 1
        for round in 0..<rounds {
            for slice in 0..<slices {
                if slice > 0 {
                    let offset = Double(round) * 1000 / hz + Double(slice) * 1000 / hz / Double(slices)
                    try await Task.sleep(until: start + .microseconds(Int64(offset * 1000)), clock: clock)
                }
                try fleet.play(round, sensors: sensors * slice / slices..<sensors * (slice + 1) / slices, client: client, truth: truthFile)
            }
            if let until = unpacedUntil, clock.now >= until { break }
            try fleet.sendDueLate(round, client: client)
            try fleet.answer(requests.take(), client: client)
            if hz > 0 {
                try await Task.sleep(until: start + .milliseconds(Int64(Double(round + 1) * 1000 / hz)), clock: clock)
            } else if round % 100 == 0 {
                await Task.yield()
            }
            if clock.now - lastReport >= .seconds(1) {
                let rateNow = Double(fleet.published - publishedAtReport) / Double((clock.now - lastReport).components.seconds)
                FileHandle.standardError.write(Data("sensor-sim: published \(fleet.published) (\(Int(rateNow))/s)\n".utf8))
                lastReport = clock.now
                publishedAtReport = fleet.published
            }
        }
        try fleet.flushLate(client: client)
        truthFile?.close()
        let lingerUntil = clock.now + .milliseconds(Int64(linger * 1000))
        while clock.now < lingerUntil {
            try fleet.answer(requests.take(), client: client)
            try await Task.sleep(for: .milliseconds(50))
        }
        FileHandle.standardError.write(Data("sensor-sim: done, published \(fleet.published) messages, answered \(fleet.resent) resends\n".utf8))
        pump.cancel()
        await client.disconnect()
    }
}
