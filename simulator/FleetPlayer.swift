import Foundation
import MQTT
import Wire

/// Plays rounds: every sensor measures once per round, then faults decide what goes out. A class:
/// as a struct held across the run loop's suspension points, its 10,000-sensor array was copied
/// every round.
final class FleetPlayer {
    let options: RunSimulation
    let periodMs: Int64
    let startTs: Int64
    var sensors: [SimulatedSensor]
    var heldForReorder: [Int: [UInt8]] = [:]
    var late: [(dueRound: Int, sensor: String, payload: [UInt8])] = []
    var published = 0
    var resent = 0
    static let maxUnacknowledged = 1000

    init(options: RunSimulation, periodMs: Int64, startTs: Int64) {
        self.options = options
        self.periodMs = periodMs
        self.startTs = startTs
        sensors = (0..<options.sensors).map {
            SimulatedSensor(
                id: "\(options.sensorPrefix)\($0)", index: $0, seed: options.seed, bufferSize: options.resendBuffer, csv: options.sendsCSV($0),
                field: options.measurement, range: options.validMin...options.validMax,
                names: (try? FirmwareFieldNames(parsing: options.jsonFields)) ?? FirmwareFieldNames(), firstBoot: options.firstBoot)
        }
    }

    /// Plays `round` for the sensors in `range` (all of them, or a slice with `--spread`).
    func play(_ round: Int, sensors range: Range<Int>, client: MQTTClient, truth: TruthWriter?) throws {
        let lateRounds = max(1, Int(Int64(options.lateDelayMs) / periodMs))
        for i in range {
            if sensors[i].rng.chance(options.restartRate) { sensors[i].restart() }
            let m = sensors[i].measure(ts: startTs + Int64(round) * periodMs)
            let fault = chooseFault(&sensors[i].rng)
            truth?.write(sensor: sensors[i].id, m, fault: fault)
            let id = sensors[i].id
            var outgoing: [[UInt8]] = []
            switch fault {
            case .skip: break
            case .error: outgoing = [Array(sensors[i].glitch(m).utf8)]
            case .corrupt: outgoing = [sensors[i].corrupt(m)]
            case .dup: outgoing = [Array(m.payload.utf8), Array(m.payload.utf8)]
            case .late: late.append((round + lateRounds, id, Array(m.payload.utf8)))
            case .reorder:
                if let earlier = heldForReorder.removeValue(forKey: i) { outgoing = [earlier] }
                heldForReorder[i] = Array(m.payload.utf8)
                try send(outgoing, id, client)
                continue
            case .none: outgoing = [Array(m.payload.utf8)]
            }
            try send(outgoing, id, client)
            if let held = heldForReorder.removeValue(forKey: i) { try send([held], id, client) }
        }
    }

    /// Sends the late readings whose delay has run out by the end of `round`.
    func sendDueLate(_ round: Int, client: MQTTClient) throws {
        while let first = late.firstIndex(where: { $0.dueRound <= round }) {
            let l = late.remove(at: first)
            try send([l.payload], l.sensor, client)
        }
    }

    private func chooseFault(_ rng: inout SimulationRandom) -> SimulatedSensor.Fault {
        let u = rng.unit()
        var edge = 0.0
        for (fault, p) in [
            (SimulatedSensor.Fault.skip, options.skipRate), (.error, options.errorRate), (.corrupt, options.corruptRate),
            (.late, options.lateRate), (.reorder, options.reorderRate), (.dup, options.dupRate),
        ] {
            edge += p
            if u < edge { return fault }
        }
        return .none
    }

    private func send(_ payloads: [[UInt8]], _ sensor: String, _ client: MQTTClient) throws {
        for p in payloads {
            // Keep libmosquitto's queue short: it walks the whole queue for every acknowledgement,
            // so a round of 10,000 sensors queued at once made the simulator its own bottleneck.
            client.waitForUnacknowledged(below: FleetPlayer.maxUnacknowledged)
            try client.publish(topic: Topics.reading(sensor, options.measurement), payload: p, qos: .atLeastOnce)
            published += 1
        }
    }

    func flushLate(client: MQTTClient) throws {
        for l in late { try send([l.payload], l.sensor, client) }
        late.removeAll()
        for (i, held) in heldForReorder { try send([held], sensors[i].id, client) }
        heldForReorder.removeAll()
    }

    /// Republishes buffered readings for each resend request addressed to this fleet.
    func answer(_ requests: [(sensor: String, request: ResendRequest)], client: MQTTClient) throws {
        for r in requests where r.request.isFor(options.measurement) {
            guard let s = sensors.first(where: { $0.id == r.sensor }) else { continue }
            for m in s.resend(r.request) {
                try send([Array(m.payload.utf8)], s.id, client)
                resent += 1
            }
        }
    }
}
