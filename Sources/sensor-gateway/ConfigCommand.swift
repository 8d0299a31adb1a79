import ArgumentParser
import Foundation
import Gateway

/// `sensor-gateway config check|show`: what `run` would use, without starting anything.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check or show the settings `run` would use (config file and SENSOR_GATEWAY_* variables).",
        subcommands: [Check.self, Show.self])

    struct Options: ParsableArguments {
        @Option(help: "Config file (default: SENSOR_GATEWAY_CONFIG, or none).") var config: String?

        var file: String? { config ?? ProcessInfo.processInfo.environment["SENSOR_GATEWAY_CONFIG"] }

        func load() throws -> GatewayConfiguration {
            do {
                return try ConfigurationLoader.load(
                    configFile: file, environment: ProcessInfo.processInfo.environment, flags: [:],
                    defaultGatewayID: HostName.gatewayID())
            } catch {
                throw Diagnostics.failure(error.description, status: error.exitStatus)
            }
        }

        func warnAboutUnknownVariables() {
            for name in ConfigurationLoader.unknownEnvironmentVariables(ProcessInfo.processInfo.environment) {
                FileHandle.standardError.write(Data("warning: \(name) names no setting and is ignored\n".utf8))
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Exit 0 when the settings are valid and the journal can be opened with them (saying what run will do with it); otherwise name the problem and exit 78 (73 when a running gateway holds the data folder)."
        )
        @OptionGroup var options: Options

        func run() throws {
            options.warnAboutUnknownVariables()
            let settings = try options.load()
            for warning in ConfigurationWarnings.of(settings) { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            for override in ConfigurationLoader.overriddenInFile(configFile: options.file, environment: ProcessInfo.processInfo.environment, flags: [:]) {
                FileHandle.standardError.write(Data("note: \(override)\n".utf8))
            }
            // A running gateway holds the folder: `run` would stop at once, so this is no ok. The
            // settings themselves are valid, which is what an operator checking an edit before
            // a reload wants to know (found black-box, 63rd review: only the lock was named).
            if let inUse = JournalOpening.inUse(settings) {
                throw Diagnostics.failure(
                    "\(inUse). The settings are valid (a reload, SIGHUP or systemctl reload, applies them to the running gateway, except changes to \(SettingsReload.restartOnlySettings.joined(separator: ", ")), which wait for its next start, as the reload's log will say; what run would do with the journal is not checked while it runs): \(settings.summary)",
                    status: .dataDirectoryInUse)
            }
            // What `run` will do with the journal there (a changed size resizes it, or refuses).
            let journal = JournalOpening.plan(settings)
            if journal.refused { throw Diagnostics.failure(journal.text, status: .configuration) }
            if let refusal = HTTPRefusal.of(settings, configFile: options.file, flags: [:]) {
                throw Diagnostics.failure(refusal.description, status: .configuration)
            }
            print("ok: \(settings.summary)")
            print(journal.text)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every setting's effective value and where it came from.")
        @OptionGroup var options: Options

        func run() throws {
            options.warnAboutUnknownVariables()
            let settings = try options.load()
            let sources =
                (try? ConfigurationLoader.sources(
                    configFile: options.file, environment: ProcessInfo.processInfo.environment,
                    flags: [:])) ?? [:]
            let width = settings.effectiveSettings.map(\.name.count).max() ?? 0
            for (name, value) in settings.effectiveSettings {
                let origin: String
                switch sources[name]?.1 {
                case .file(let path, let line?): origin = "file \(path), line \(line)"
                case .file(let path, nil): origin = "file \(path)"
                case .environment: origin = "environment \(ConfigurationLoader.environmentSource(name, in: ProcessInfo.processInfo.environment))"
                case .flag: origin = "flag"
                case nil: origin = "default"
                }
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value.isEmpty ? "-" : value) + "  (\(origin))")
            }
        }
    }
}
