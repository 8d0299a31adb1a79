import ArgumentParser

@main
struct SensorSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-sim",
        abstract: "Plays a fleet of temperature sensors over MQTT with field faults, and scores the gateway's output.",
        version: "0.2.0",  // released with the gateway (GatewayVersion.current)
        subcommands: [RunSimulation.self, VerifyCommand.self],
        defaultSubcommand: RunSimulation.self
    )
}
