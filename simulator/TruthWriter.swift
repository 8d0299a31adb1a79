import ArgumentParser
import Foundation
import Wire

/// Writes the truth file: one JSON line per measured reading.
final class TruthWriter {
    private let handle: FileHandle
    private var buffer = Data()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("--truth=\(path): cannot create the file")
        }
        handle = h
    }

    func write(sensor: String, _ m: SimulatedSensor.Measurement, fault: SimulatedSensor.Fault) {
        let record = TruthRecord(
            sensorID: sensor, boot: Int64(m.boot), seq: m.seq, ts: m.ts, temperature: m.temperature, status: "\(m.status)", fault: fault.rawValue)
        buffer.append(contentsOf: (try? WireJSON.encode(record)) ?? [])
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count > 1 << 16 { flush() }
    }

    func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        handle.closeFile()
    }
}
