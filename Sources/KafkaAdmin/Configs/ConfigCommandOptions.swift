import Foundation

/// `strom configs` arguments, checked as kafka-configs.sh (3.9, `ConfigCommandOptions.checkArgs`) checks
/// them. Entity types come from `--entity-type` (in order) and then the shorthand flags; names pair with
/// them by order: each `--entity-name` or `--entity-default` (""), then the shorthands' values. Pure.
public struct ConfigCommandOptions: Sendable {
    public static let supportedTypes = ["topics", "clients", "users", "brokers", "ips", "broker-loggers", "client-metrics"]

    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "The Kafka servers to connect to.", valueName: "server to connect to"),
        ToolOption("bootstrap-controller", .required, help: "The Kafka controllers to connect to.", valueName: "controller to connect to"),
        ToolOption("command-config", .required, help: "Property file containing configs to be passed to Admin Client.", valueName: "command config property file"),
        ToolOption("alter", help: "Alter the configuration for the entity."),
        ToolOption("describe", help: "List configs for the given entity."),
        ToolOption("all", help: "List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)"),
        ToolOption("entity-type", .required, help: "Type of entity (topics/clients/users/brokers/broker-loggers/ips/client-metrics)", valueName: "entity-type"),
        ToolOption("entity-name", .required, help: "Name of entity (topic name/client id/user principal name/broker id/ip/client metrics)", valueName: "entity-name"),
        ToolOption("entity-default", help: "Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)"),
        ToolOption("add-config", .required, help: "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'.",
                   valueName: "add-config"),
        ToolOption("add-config-file", .required, help: "Path to a properties file with configs to add.", valueName: "add-config-file"),
        ToolOption("delete-config", .required, help: "config keys to remove 'k1,k2'", valueName: "delete-config", separator: ","),
        ToolOption("force", help: "Suppress console prompts"),
        ToolOption("topic", .required, help: "The topic's name.", valueName: "topic"),
        ToolOption("client", .required, help: "The client's ID.", valueName: "client"),
        ToolOption("client-defaults", help: "The config defaults for all clients."),
        ToolOption("user", .required, help: "The user's principal name.", valueName: "user"),
        ToolOption("user-defaults", help: "The config defaults for all users."),
        ToolOption("broker", .required, help: "The broker's ID.", valueName: "broker"),
        ToolOption("broker-defaults", help: "The config defaults for all brokers."),
        ToolOption("broker-logger", .required, help: "The broker's ID for its logger config.", valueName: "broker-logger"),
        ToolOption("ip-defaults", help: "The config defaults for all IPs."),
        ToolOption("ip", .required, help: "The IP address.", valueName: "ip"),
        ToolOption("help", help: "Print usage information."),
    ]

    static let entityFlags = [("topic", "topics"), ("client", "clients"), ("user", "users"), ("broker", "brokers"), ("broker-logger", "broker-loggers"), ("ip", "ips")]
    static let defaultFlags = [("client-defaults", "clients"), ("user-defaults", "users"), ("broker-defaults", "brokers"), ("ip-defaults", "ips")]

    public var alter: Bool
    public var describeAll: Bool
    public var bootstrapServer: String?
    public var bootstrapController: String?
    public var commandConfig: String?
    public var entityTypes: [String]
    /// "" is the default entity.
    public var entityNames: [String]
    public var addConfig: String?
    public var addConfigFile: String?
    public var deleteConfig: [String]

    public init(arguments: [String]) throws {
        let a = try ToolArguments(parsing: arguments, options: Self.options)
        if a.has("help") || arguments.isEmpty {
            throw ToolUsageError("This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip or client-metrics")
        }
        if a.given(["alter", "describe"]).count != 1 { throw ToolUsageError("Command must include exactly one action: --describe, --alter") }
        try a.refuse(["describe"], with: "alter")
        try a.refuse(["alter", "add-config", "delete-config"], with: "describe")

        var types = a.values("entity-type")
        for (flag, type) in Self.entityFlags + Self.defaultFlags where a.has(flag) { types.append(type) }
        var names: [String] = []
        for o in a.occurrences where o.name == "entity-name" || o.name == "entity-default" { names.append(o.value ?? "") }
        for (flag, _) in Self.entityFlags where a.has(flag) { names.append(a.value(flag) ?? "") }
        for (flag, _) in Self.defaultFlags where a.has(flag) { names.append("") }

        var seen = Set<String>()
        let duplicates = types.filter { !seen.insert($0).inserted }
        if !duplicates.isEmpty { throw ToolFailure("Duplicate entity type(s) specified: " + Array(Set(duplicates)).sorted().joined(separator: ",")) }
        let connect = a.given(["bootstrap-server", "bootstrap-controller"])
        for t in types where !Self.supportedTypes.contains(t) {
            throw ToolFailure("Invalid entity type \(t), the entity type must be one of " + Self.supportedTypes.joined(separator: ", ")
                + " with a --bootstrap-server or --bootstrap-controller argument")
        }
        if types.isEmpty { throw ToolFailure("At least one entity type must be specified") }
        if types.count > 1 && Set(types) != ["users", "clients"] { throw ToolFailure("Only 'users' and 'clients' entity types may be specified together") }
        if (a.has("entity-name") || a.has("entity-type") || a.has("entity-default")) && (Self.entityFlags + Self.defaultFlags).contains(where: { a.has($0.0) }) {
            throw ToolFailure("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
        }
        let hasName = names.contains { !$0.isEmpty }
        let hasDefault = names.contains("")
        if connect.isEmpty { throw ToolFailure("One of the required --bootstrap-server, --boostrap-controller, or --zookeeper arguments must be specified") }
        if connect.count > 1 { throw ToolFailure("Only one of --bootstrap-server, --boostrap-controller, and --zookeeper can be specified") }
        if hasName && (types.contains("brokers") || types.contains("broker-loggers")) {
            for flag in ["entity-name", "broker", "broker-logger"] {
                if let id = a.value(flag), Int32(id) == nil {
                    throw ToolFailure("The entity name for \(types[0]) must be a valid integer broker id, but it is: \(id)")
                }
            }
        }
        if a.has("describe") && types.contains("broker-loggers") && !hasName {
            throw ToolFailure("an entity name must be specified with --describe of " + types.joined(separator: ","))
        }
        if a.has("alter") {
            if types.contains(where: { ["users", "clients", "brokers", "ips"].contains($0) }) {
                if !hasName && !hasDefault { throw ToolFailure("an entity-name or default entity must be specified with --alter of users, clients, brokers or ips") }
            } else if !hasName {
                throw ToolFailure("an entity name must be specified with --alter of " + types.joined(separator: ","))
            }
            if a.has("add-config") && a.has("add-config-file") { throw ToolFailure("Only one of --add-config or --add-config-file must be specified") }
            if !a.has("add-config") && !a.has("add-config-file") && !a.has("delete-config") {
                throw ToolFailure("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
            }
            if types.count != names.count { throw ToolFailure("An entity name must be specified for every entity type") }
        }
        alter = a.has("alter")
        describeAll = a.has("all")
        bootstrapServer = a.value("bootstrap-server")
        bootstrapController = a.value("bootstrap-controller")
        commandConfig = a.value("command-config")
        entityTypes = types
        entityNames = names
        addConfig = a.value("add-config")
        addConfigFile = a.value("add-config-file")
        deleteConfig = a.values("delete-config").map { $0.trimmedWhitespace() }
    }
}

/// The values of `--add-config`: `k1=v1,k2=[a,b],k3=v3`, commas and `=` inside brackets kept, the
/// brackets then dropped from the value (Kafka's `parseConfigsToBeAdded`); keys limited to
/// `[a-zA-Z0-9._-]`. Later keys win. Pure.
public enum ConfigValues {
    public static func parseAddConfig(_ text: String) throws(ToolFailure) -> [(String, String)] {
        var out: [(String, String)] = []
        for item in splitTopLevel(text, on: ",") {
            let kv = splitTopLevel(item, on: "=")
            guard kv.count == 2 else { throw ToolFailure("requirement failed: Invalid entity config: all configs to be added must be in the format \"key=val\".") }
            let key = kv[0].trimmedWhitespace()
            let value = kv[1].filter { $0 != "[" && $0 != "]" }.trimmedWhitespace()
            out.append((key, value))
        }
        try validateKeys(out.map(\.0))
        return out
    }

    public static func validateKeys(_ keys: [String]) throws(ToolFailure) {
        for k in keys where !k.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }) {
            throw ToolFailure("Invalid character found for config key: \(k)")
        }
    }

    /// Splits at `separator` outside square brackets, keeping empty parts (Java's `split(..., -1)`).
    static func splitTopLevel(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) }
            if c == separator && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    /// `SCRAM-SHA-256=[iterations=8192,password=alice-secret]`'s value: (iterations, password), 4096
    /// iterations when not given or -1.
    public static func scramCredential(mechanism: String, _ value: String, minIterations: Int32) throws(ToolFailure) -> (Int32, String) {
        var rest = Substring(value)
        var iterations: Int32 = 4096
        if rest.hasPrefix("iterations=") {
            rest = rest.dropFirst("iterations=".count)
            guard let comma = rest.firstIndex(of: ",") else { throw ToolFailure("Invalid credential property \(mechanism)=\(value)") }
            let n = rest[..<comma]
            guard n.isEmpty || Int32(n) != nil else { throw ToolFailure("Invalid credential property \(mechanism)=\(value)") }
            if let v = Int32(n), v != -1 { iterations = v }
            rest = rest[rest.index(after: comma)...]
        }
        guard rest.hasPrefix("password=") else { throw ToolFailure("Invalid credential property \(mechanism)=\(value)") }
        if iterations < minIterations {
            throw ToolFailure("Iterations \(iterations) is less than the minimum \(minIterations) required for \(mechanism)")
        }
        return (iterations, String(rest.dropFirst("password=".count)))
    }

    /// Java's `Double.toString`: `1024.0`, `0.5`, `1.0E7`, `1.5E-4`.
    public static func javaDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        let a = abs(d)
        if a == 0 || (a >= 1e-3 && a < 1e7) {
            var s = "\(d)"
            if !s.contains(".") && !s.contains("e") { s += ".0" }
            return s
        }
        var exponent = Int(floor(log10(a)))
        var mantissa = d / pow(10, Double(exponent))
        if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }
        var m = "\(mantissa)"
        if !m.contains(".") { m += ".0" }
        return m + "E" + String(exponent)
    }
}
