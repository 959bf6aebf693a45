/// `server.properties` keys given as environment variables, the way Apache Kafka's docker image
/// reads them: `KAFKA_` then the key upper-cased, with each `.` written `_`, each `_` written `__`
/// and each `-` written `___`.
///
///     KAFKA_NODE_ID=2               node.id=2
///     KAFKA_LOG_DIRS=/data          log.dirs=/data
///     KAFKA_ABC__DEF=x              abc_def=x
///     KAFKA_ABC___DEF=x             abc-def=x
///
/// Variables of Kafka's JVM launcher (`KAFKA_HEAP_OPTS`, `KAFKA_OPTS`, `KAFKA_LOG4J_*`, …) are not
/// keys and are passed over. `CLUSTER_ID` names the cluster to format unformatted log directories
/// with. Four or more underscores in a row mean nothing in Kafka's convention and are refused.
public enum EnvironmentConfig {
    public static let prefix = "KAFKA_"
    public static let clusterIDVariable = "CLUSTER_ID"

    /// `KAFKA_`-prefixed variables that Kafka's scripts give to the JVM, not to the broker.
    public static let launcherVariables: Set<String> = [
        "KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS",
        "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS",
        "KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_JMX_PORT", "KAFKA_JMX_HOSTNAME", "KAFKA_DEBUG",
    ]

    /// The key a variable sets; nil for variables that set none (no `KAFKA_` prefix, or a launcher
    /// variable). Throws, naming the variable, when the rest is not a key.
    public static func key(forVariable name: String) throws(ConfigError) -> String? {
        guard name.hasPrefix(prefix), !launcherVariables.contains(name) else { return nil }
        let encoded = name.dropFirst(prefix.count)
        var key = ""
        var underscores = 0
        func flush() throws(ConfigError) {
            switch underscores {
            case 0: return
            case 1: key.append(".")
            case 2: key.append("_")
            case 3: key.append("-")
            default: throw ConfigError(key: name, "\(underscores) underscores in a row stand for nothing (`_` is `.`, `__` is `_`, `___` is `-`)")
            }
            underscores = 0
        }
        for c in encoded {
            if c == "_" {
                underscores += 1
                continue
            }
            try flush()
            key.append(contentsOf: c.lowercased())
        }
        try flush()
        guard let first = key.first, let last = key.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            throw ConfigError(key: name, "`\(key)` is not a configuration key")
        }
        return key
    }

    /// The variable that sets `key`: the inverse of `key(forVariable:)`.
    public static func variable(forKey key: String) -> String {
        var name = prefix
        for c in key {
            switch c {
            case ".": name += "_"
            case "_": name += "__"
            case "-": name += "___"
            default: name += c.uppercased()
            }
        }
        return name
    }

    /// Every key the environment sets, with its value as given.
    /// Two variables that set one key (`KAFKA_NODE_ID` and `KAFKA_node_id`) are an error naming both.
    public static func properties(_ environment: [String: String]) throws(ConfigError) -> [String: String] {
        var properties: [String: String] = [:]
        var setBy: [String: String] = [:]
        for name in environment.keys.sorted() {
            guard let key = try key(forVariable: name) else { continue }
            if let earlier = setBy[key] {
                throw ConfigError(key: key, "set by both \(earlier) and \(name)")
            }
            setBy[key] = name
            properties[key] = environment[name]
        }
        return properties
    }

    /// `CLUSTER_ID`, when set and not blank.
    public static func clusterID(_ environment: [String: String]) -> String? {
        guard let id = environment[clusterIDVariable]?.trimmingWhitespace(), !id.isEmpty else { return nil }
        return id
    }
}
