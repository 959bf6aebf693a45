import KafkaMetadata
import KafkaProtocol
import StromConfig

/// Dynamic broker configs (Kafka's KIP-226): keys set on the broker resources with
/// IncrementalAlterConfigs or AlterConfigs, kept as ConfigRecords of resource type 4, either for one
/// node (resource name "<node.id>") or for every node (the cluster default, resource name "").
/// Precedence, as Kafka's: this node's dynamic value, the cluster default, server.properties, Kafka's default.
///
/// What a key may be, by ``kind(of:knownKeys:)``:
/// - ``Kind/applied``: the broker defaults of topic configs (`log.retention.ms`, `message.max.bytes`,
///   `min.insync.replicas`, `log.cleanup.policy`, …, and the hour/minute forms of retention and roll):
///   every topic without its own value follows them at once;
/// - ``Kind/stored``: keys Kafka makes dynamic for features Strom does not have (Kerberos, thread pools,
///   connection limits, metric reporters, tiered storage): accepted, kept and described, with no effect;
///   so are keys neither Kafka nor Strom know, as Kafka keeps them;
/// - ``Kind/refused``: every other key Strom reads from server.properties (listeners, TLS and SASL
///   settings, node identity, …): Strom applies them only at start-up, so a change is refused with
///   INVALID_REQUEST rather than kept without effect.
///
/// Kafka's per-broker-only keys (listener security settings, here the stored Kerberos and login-refresh
/// keys) are refused at the cluster-default level with Kafka's message, and values are checked against
/// the key's type before anything is written.
public enum DynamicBrokerConfigs {
    public enum Kind: Hashable, Sendable {
        case applied, stored, refused
    }

    /// Kafka's hour and minute forms of the millisecond broker keys, with their factor.
    static let unitSynonyms: [String: [(name: String, factor: Int64)]] = [
        "log.retention.ms": [("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)],
        "log.roll.ms": [("log.roll.hours", 3_600_000)],
        "log.roll.jitter.ms": [("log.roll.jitter.hours", 3_600_000)],
    ]

    /// The broker keys topic configs default from, with the topic key each stands for.
    static let appliedKeys: [String: String] = {
        var keys: [String: String] = [:]
        // message.format.version is not reconfigurable in Kafka either (`DynamicLogConfig`).
        for d in TopicConfigs.definitions where d.name != "message.format.version" {
            guard let b = d.brokerSynonym else { continue }
            keys[b] = d.name
            for alias in unitSynonyms[b] ?? [] { keys[alias.name] = d.name }
        }
        return keys
    }()

    /// Kafka 3.9's dynamic broker keys for which Strom has no behaviour, with how Kafka types them.
    static let storedKeys: [String: TopicConfigDefinition.ValueType] = [
        "sasl.kerberos.service.name": .string, "sasl.kerberos.kinit.cmd": .string,
        "sasl.kerberos.ticket.renew.window.factor": .double, "sasl.kerberos.ticket.renew.jitter": .double,
        "sasl.kerberos.min.time.before.relogin": .long, "sasl.kerberos.principal.to.local.rules": .list,
        "sasl.login.refresh.window.factor": .double, "sasl.login.refresh.window.jitter": .double,
        "sasl.login.refresh.min.period.seconds": .short, "sasl.login.refresh.buffer.seconds": .short,
        "num.io.threads": .int, "num.network.threads": .int, "num.replica.fetchers": .int,
        "num.recovery.threads.per.data.dir": .int, "background.threads": .int,
        "log.cleaner.threads": .int, "log.cleaner.dedupe.buffer.size": .long, "log.cleaner.io.buffer.size": .int,
        "log.cleaner.io.buffer.load.factor": .double, "log.cleaner.io.max.bytes.per.second": .double,
        "max.connections": .int, "max.connection.creation.rate": .int, "max.connections.per.ip": .int,
        "max.connections.per.ip.overrides": .string, "metric.reporters": .list,
        "remote.log.index.file.cache.total.size.bytes": .long, "remote.fetch.max.wait.ms": .int,
        "remote.log.manager.copy.max.bytes.per.second": .long, "remote.log.manager.fetch.max.bytes.per.second": .long,
    ]

    /// Kafka's per-broker-only keys among the stored ones: the listener security settings.
    static let perBrokerOnly: Set<String> = [
        "sasl.kerberos.service.name", "sasl.kerberos.kinit.cmd", "sasl.kerberos.ticket.renew.window.factor",
        "sasl.kerberos.ticket.renew.jitter", "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.principal.to.local.rules",
        "sasl.login.refresh.window.factor", "sasl.login.refresh.window.jitter", "sasl.login.refresh.min.period.seconds",
        "sasl.login.refresh.buffer.seconds",
    ]

    /// Kafka's `SslConfigs.RECONFIGURABLE_CONFIGS`: dynamic only with a listener prefix.
    static let sslReconfigurable: Set<String> = [
        "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password", "ssl.truststore.type",
        "ssl.truststore.location", "ssl.truststore.password", "ssl.keystore.key", "ssl.keystore.certificate.chain",
        "ssl.truststore.certificates",
    ]

    /// Keys Kafka 3.9 updates at run time that Strom reads only at start-up.
    static func dynamicInKafkaOnly(_ key: String) -> Bool {
        key.hasPrefix("listener.name.") || [
            "listeners", "advertised.listeners", "listener.security.protocol.map", "principal.builder.class",
            "log.cleaner.backoff.ms", "producer.id.expiration.ms", "transaction.partition.verification.enable",
            "sasl.enabled.mechanisms", "sasl.jaas.config", "sasl.mechanism.inter.broker.protocol", "ssl.client.auth",
            "ssl.protocol", "ssl.enabled.protocols", "ssl.cipher.suites", "ssl.endpoint.identification.algorithm",
        ].contains(key)
    }

    public static func kind(of key: String, knownKeys: Set<String>) -> Kind {
        if appliedKeys[key] != nil { return .applied }
        if storedKeys[key] != nil { return .stored }
        if knownKeys.contains(key) || key.hasPrefix("listener.name.") || key.hasPrefix("ssl.") || key.hasPrefix("sasl.")
            || ["listeners", "advertised.listeners", "listener.security.protocol.map", "principal.builder.class"].contains(key) {
            return .refused
        }
        return .stored
    }

    /// Whether DescribeConfigs says the key may change at run time (Kafka's `readOnly` is the opposite):
    /// applied and Kafka's stored dynamic keys; not the static ones, nor keys neither knows.
    public static func isUpdatable(_ key: String, knownKeys: Set<String>) -> Bool {
        appliedKeys[key] != nil || storedKeys[key] != nil
    }

    /// Kafka's default of a list-typed dynamic key, from which APPEND and SUBTRACT start when the
    /// resource does not set it.
    public static func kafkaDefault(of key: String) -> String? {
        ["log.cleanup.policy": "delete", "sasl.kerberos.principal.to.local.rules": "DEFAULT", "metric.reporters": ""][key]
    }

    /// How Kafka types a dynamic broker key (a string when neither Kafka nor Strom knows it).
    public static func type(of key: String) -> TopicConfigDefinition.ValueType {
        appliedKeys[key].flatMap { TopicConfigs.byName[$0]?.type } ?? storedKeys[key] ?? .string
    }

    /// Checks the dynamic configs a broker resource would hold after a change (`configs`, the whole
    /// set): nil when they may be written, else Kafka's error. `name` is "" (cluster default) or a node id.
    public static func validate(name: String, configs: [String: String], knownKeys: Set<String>) -> (code: ErrorCode, message: String)? {
        if !name.isEmpty {
            guard let id = Int32(name) else { return (.invalidRequest, "Unable to parse broker name as a base 10 number.") }
            guard id >= 0 else { return (.invalidRequest, "Invalid negative broker ID.") }
        }
        let refused = configs.keys.filter { kind(of: $0, knownKeys: knownKeys) == .refused }.sorted()
        // Kafka's own refusals first, with its messages; then the keys Kafka would take but Strom reads at start-up only.
        let bareSecurity = refused.filter { sslReconfigurable.contains($0) }
        if !bareSecurity.isEmpty {
            return (.invalidRequest, "These security configs can be dynamically updated only per-listener using the listener prefix: Set(\(bareSecurity.joined(separator: ", ")))")
        }
        let staticInKafka = refused.filter { !dynamicInKafkaOnly($0) }
        if !staticInKafka.isEmpty {
            return (.invalidRequest, "Cannot update these configs dynamically: Set(\(staticInKafka.joined(separator: ", ")))")
        }
        if !refused.isEmpty {
            return (.invalidRequest, "Strom cannot update these configs dynamically, though Kafka can; it applies them from server.properties at start-up: Set(\(refused.joined(separator: ", ")))")
        }
        if name.isEmpty {
            let perBroker = configs.keys.filter { perBrokerOnly.contains($0) }.sorted()
            if !perBroker.isEmpty {
                return (.invalidRequest, "Cannot update these configs at default cluster level, broker id must be specified: Set(\(perBroker.joined(separator: ", ")))")
            }
        }
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
            if let problem = invalidValue(key, value) { return (.invalidRequest, problem) }
        }
        return nil
    }

    /// Why `value` is not a valid value of `key`, or nil.
    static func invalidValue(_ key: String, _ value: String) -> String? {
        if let topicKey = appliedKeys[key], let definition = TopicConfigs.byName[topicKey] {
            let asTopicValue: String
            if let alias = unitSynonyms.values.joined().first(where: { $0.name == key }) {
                guard let n = Int64(value), n >= -1, n <= Int64.max / alias.factor else { return "Invalid value \(value) for configuration \(key)" }
                asTopicValue = String(n < 0 ? n : n * alias.factor)
            } else {
                asTopicValue = value
            }
            // Kafka's KafkaConfig.validateValues: a broker keeps records at least 1 ms, or forever (-1).
            if topicKey == "retention.ms", asTopicValue == "0" {
                return "Invalid value \(value) for configuration \(key): log.retention.ms must be unlimited (-1) or, equal or greater than 1"
            }
            return definition.isValid(asTopicValue) ? nil : "Invalid value \(value) for configuration \(key)"
        }
        switch storedKeys[key] {
        case .int?, .short?: return Int32(value) == nil ? "Invalid value \(value) for configuration \(key): Not a number of type INT" : nil
        case .long?: return Int64(value) == nil ? "Invalid value \(value) for configuration \(key): Not a number of type LONG" : nil
        case .double?: return Double(value) == nil ? "Invalid value \(value) for configuration \(key): Not a number of type DOUBLE" : nil
        default: return nil
        }
    }

    /// The dynamic value standing for broker key `name` in `layer`, converting the hour and minute forms.
    static func value(_ name: String, in layer: [String: String]) -> String? {
        if let v = layer[name] { return v }
        for alias in unitSynonyms[name] ?? [] {
            if let v = layer[alias.name], let n = Int64(v) { return String(n < 0 ? n : n &* alias.factor) }
        }
        return nil
    }
}

extension ServerConfig {
    /// This configuration with the dynamic broker configs of `image` in force for this node.
    public func with(dynamicConfigsOf image: MetadataImage) -> ServerConfig {
        var c = self
        c.dynamicPerBroker = image.configs(for: .broker(String(nodeID)))
        c.dynamicClusterDefault = image.configs(for: .broker(""))
        return c
    }

    /// `message.max.bytes` in force with the dynamic broker configs of `image`, without building the
    /// whole dynamic configuration (for per-request paths such as Produce).
    public func messageMaxBytesInForce(in image: MetadataImage) -> Int {
        let key = "message.max.bytes"
        return (image.configs(for: .broker(String(nodeID)))[key] ?? image.configs(for: .broker(""))[key]).flatMap { Int($0) } ?? messageMaxBytes
    }

    /// Where the dynamic value of broker key `name` comes from (per-broker, else cluster default), and
    /// the value in each, converting Kafka's hour and minute forms.
    public func dynamicLayers(_ name: String) -> (perBroker: String?, clusterDefault: String?) {
        (DynamicBrokerConfigs.value(name, in: dynamicPerBroker), DynamicBrokerConfigs.value(name, in: dynamicClusterDefault))
    }
}
