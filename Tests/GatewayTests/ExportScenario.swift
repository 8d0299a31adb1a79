import Foundation
import TestSupport
import Wire

/// What the export's end-to-end tests do with a `GatewayScenario`: scripted readings one second
/// apart in event time, and waiting for a message on `cleaned/`.
extension GatewayScenario {
    static let exportBase: Int64 = 1_795_660_000_000

    /// Publishes `sensor`'s reading `seq` at `exportBase + seq` seconds.
    func send(_ sensor: String, _ seq: UInt64, _ temperature: Double, boot: Int? = nil) throws {
        try fleet.publishRaw(
            sensor, TestSensorFleet.payload(seq: seq, ts: Self.exportBase + Int64(seq) * 1000, temperature: temperature, boot: boot))
    }

    /// Waits until `cleaned/` has carried `what`, written `<sensor>/<seq>:<quality>`.
    func waitForCleaned(_ what: String) async throws {
        try await watcher.recorder.wait(for: what) { events in
            events.messages.compactMap(CleanedReading.init).contains { "\($0.sensorID)/\($0.seq):\($0.quality)" == what }
        }
    }
}
