/// A node's properties, built from up to three layers, later ones winning key by key:
///
/// 1. the base: the `--config` file when one is given; else the `KAFKA_*` environment alone when it
///    sets any key; else `ServerConfig.embeddedDefaults` (the zero-configuration node);
/// 2. the `KAFKA_*` environment (`EnvironmentConfig`), over a file;
/// 3. the command line's `--override key=value`s, in order.
///
/// As in Kafka's docker image, when nothing sets `listeners` but the environment sets
/// `advertised.listeners`, the listeners are the advertised ones bound to every interface
/// (`0.0.0.0`).
public struct ConfigLayers: Hashable, Sendable {
    public enum Base: Hashable, Sendable {
        case file, environment, embeddedDefaults
    }

    public var properties: [String: String]
    public var base: Base

    public init(file: [String: String]?, environment: [String: String], overrides: [(key: String, value: String)]) throws(ConfigError) {
        let fromEnvironment = try EnvironmentConfig.properties(environment)
        if let file {
            properties = file
            base = .file
        } else if !fromEnvironment.isEmpty {
            properties = [:]
            base = .environment
        } else {
            properties = ServerConfig.embeddedDefaults
            base = .embeddedDefaults
        }
        properties.merge(fromEnvironment) { $1 }
        for (key, value) in overrides { properties[key] = value }
        if properties["listeners"] == nil, fromEnvironment["listeners"] == nil,
           let advertised = fromEnvironment["advertised.listeners"] {
            properties["listeners"] = Self.boundToEveryInterface(advertised)
        }
    }

    /// `NAME://host:port,…` with every host replaced by `0.0.0.0`; entries that are not
    /// `NAME://host:port` are kept as written (parsing reports them).
    static func boundToEveryInterface(_ listeners: String) -> String {
        listeners.split(separator: ",", omittingEmptySubsequences: false).map { entry -> String in
            guard let l = Listener(parsing: String(entry)) else { return String(entry) }
            return Listener(name: l.name, host: "0.0.0.0", port: l.port).description
        }.joined(separator: ",")
    }

    /// One `--override` argument, `key=value`; nil when it is not that.
    public static func override(_ argument: String) -> (key: String, value: String)? {
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else { return nil }
        let key = argument[..<eq].trimmingWhitespace()
        guard !key.isEmpty else { return nil }
        return (key, String(argument[argument.index(after: eq)...]))
    }
}

extension ConfigLayers {
    /// The properties as a start-up log may show them: the values Kafka types as passwords
    /// (`*.password`, `*sasl.jaas.config`, `*ssl.keystore.key`, with any listener prefix) as `[hidden]`,
    /// as Kafka logs them.
    public var maskedProperties: [String: String] {
        properties.reduce(into: [:]) { out, entry in out[entry.key] = Self.isSecret(entry.key) ? "[hidden]" : entry.value }
    }

    public static func isSecret(_ key: String) -> Bool {
        key.hasSuffix("password") || key.hasSuffix("sasl.jaas.config") || key.hasSuffix("ssl.keystore.key")
    }
}
