import Foundation
import Gateway

/// An `http` address that cannot be bound (one that does not resolve, a port this user may not
/// take), refused at `config check` and at `run` as any bad value is: naming the setting and
/// where it came from, the file and line (found black-box, 47th review: the address alone).
enum HTTPRefusal {
    static func of(_ settings: GatewayConfiguration, configFile: String?, flags: [String: String]) -> ConfigurationError? {
        guard let address = settings.httpAddress, let problem = HTTPEndpoint.problem(of: address) else { return nil }
        let sources = try? ConfigurationLoader.sources(configFile: configFile, environment: ProcessInfo.processInfo.environment, flags: flags)
        let (value, source) = sources?["http"] ?? ("\(address.host):\(address.port)", .flag)
        return ConfigurationError(setting: "http", value: value, problem: problem, source: source)
    }
}
