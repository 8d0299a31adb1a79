import ArgumentParser
import Foundation

/// `sensor-sim verify`: scores cleaned output against the truth; exit 1 when the contract breaks.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Score cleaned output against the truth file.")

    @Option(help: "Truth file written by `sensor-sim run --truth`.") var truth: String
    @Option(help: "Cleaned output as JSON lines (e.g. `mosquitto_sub -t 'cleaned/#'` or `sensor-gateway replay`).") var cleaned: String
    @Option(name: .customLong("valid-min")) var validMin = 50.0
    @Option(name: .customLong("valid-max")) var validMax = 55.0

    func run() throws {
        var verifier = Verifier()
        verifier.validRange = validMin...validMax
        let report: Verifier.Report
        do {
            report = verifier.verify(truth: try Verifier.loadTruth(truth), cleaned: try Verifier.jsonLines(cleaned))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(66)
        }
        print(report.table())
        if report.broken { throw ExitCode(1) }
    }
}
