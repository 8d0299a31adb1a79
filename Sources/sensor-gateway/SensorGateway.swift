import ArgumentParser
import Gateway

@main
struct SensorGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-gateway",
        abstract: "Cleans MQTT temperature readings: journals, reorders, fills gaps, flags quality, republishes on cleaned/.",
        version: GatewayVersion.current,
        subcommands: [RunCommand.self, ReplayCommand.self, ExportCommand.self, JournalCommand.self, ConfigCommand.self]
    )
}
