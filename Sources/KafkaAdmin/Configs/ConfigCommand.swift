import Foundation
import KafkaProtocol
import KafkaSecurity
import StromConfig

/// `strom configs`: kafka-configs.sh over the wire (DescribeConfigs, IncrementalAlterConfigs,
/// AlterConfigs for brokers as 3.9 sends it, Describe/AlterClientQuotas, Describe/AlterUserScramCredentials).
/// A broker's refusal is printed as Kafka prints it: "Error while executing config command with args
/// '...'" and the exception on standard error, exit 1.
public enum ConfigCommand {
    static let quotaKeys: Set<String> = ["producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate"]
    static let ipQuotaKeys: Set<String> = ["connection_creation_rate"]

    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: ConfigCommandOptions.options) {
            let opts = try ConfigCommandOptions(arguments: arguments)
            let client = try AdminTool.client(bootstrap: opts.bootstrapServer ?? opts.bootstrapController ?? "", commandConfig: opts.commandConfig)
            do {
                if opts.alter { try await alter(opts, client, console) } else { try await describe(opts, client, console) }
                await client.close()
                return 0
            } catch let e as ToolFailure {
                await client.close()
                throw e
            } catch {
                await client.close()
                console.errorLine("Error while executing config command with args '\(arguments.joined(separator: " "))'")
                let detail = (error as? KafkaFailure).map { "java.util.concurrent.ExecutionException: " + $0.javaConfigException } ?? AdminTool.message(error)
                console.errorLine(detail)
                return 1
            }
        }
    }

    static func singular(_ type: String) -> String { String(type.dropLast()) }

    // MARK: describe

    static func describe(_ opts: ConfigCommandOptions, _ client: AdminClient, _ console: Console) async throws {
        switch opts.entityTypes[0] {
        case "topics", "brokers", "broker-loggers", "client-metrics":
            try await describeResource(opts.entityTypes[0], name: opts.entityNames.first, all: opts.describeAll, client, console)
        case "users", "clients":
            try await describeQuotas(opts.entityTypes, opts.entityNames, client, console)
            if !opts.entityTypes.contains("clients") && !opts.entityNames.contains("") {
                try await describeScram(users: opts.entityNames, client, console)
            }
        default:
            try await describeQuotas(opts.entityTypes, opts.entityNames, client, console)
        }
    }

    static func resourceType(_ type: String) -> ConfigResourceType {
        switch type {
        case "topics": .topic
        case "brokers": .broker
        case "broker-loggers": .brokerLogger
        default: .clientMetrics
        }
    }

    /// The entries Kafka's `getResourceConfig` keeps: every one with `--all`, else those of the
    /// resource's dynamic source (none filtered for broker loggers), sorted by name.
    public static func filtered(_ entries: [ConfigEntry], type: String, name: String, all: Bool) -> [ConfigEntry] {
        let source: ConfigSource? = switch type {
        case "topics": .dynamicTopicConfig
        case "brokers": name.isEmpty ? .dynamicDefaultBrokerConfig : .dynamicBrokerConfig
        case "client-metrics": .clientMetricsConfig
        default: nil
        }
        return entries.filter { all || source == nil || $0.source == source }.sorted { $0.name < $1.name }
    }

    static func resourceConfig(_ type: String, _ name: String, all: Bool, synonyms: Bool, _ client: AdminClient) async throws -> [ConfigEntry] {
        if type == "topics" && !name.isEmpty { _ = name } // Kafka validates the name locally; the broker refuses bad ones too
        let r = try await client.describeConfigs(resourceType(type), names: [name], includeSynonyms: synonyms)
        guard let result = r[name] else { throw ToolFailure("no configs returned for \(singular(type)) \(name)") }
        return filtered(try result.get(), type: type, name: name, all: all)
    }

    static func describeResource(_ type: String, name: String?, all: Bool, _ client: AdminClient, _ console: Console) async throws {
        var entities: [String]
        if let name {
            entities = [name]
        } else {
            switch type {
            case "topics": entities = try await client.listTopics(listInternal: true).map(\.name)
            case "brokers", "broker-loggers": entities = try await client.describeCluster().brokers.map { String($0.id) } + [""]
            default: throw ToolFailure("Listing client-metrics resources is not supported by strom's admin client: give --entity-name")
            }
        }
        for entity in entities {
            if entity.isEmpty {
                console.line("Default configs for \(type) in the cluster are:")
            } else {
                console.line("\(all ? "All" : "Dynamic") configs for \(singular(type)) \(entity) are:")
            }
            for e in try await resourceConfig(type, entity, all: all, synonyms: true, client) {
                console.line(ConfigFormat.entryLine(e))
            }
        }
    }

    static func quotaEntityType(_ type: String) -> String {
        switch type {
        case "users": "user"
        case "clients": "client-id"
        default: "ip"
        }
    }

    /// DescribeClientQuotas with Kafka's `containsOnly` filter of the given types and names ("" the
    /// default entity, a missing name any entity of the type).
    static func quotas(_ types: [String], _ names: [String], _ client: AdminClient) async throws -> [([(String, String?)], [(String, Double)])] {
        var components: [DescribeClientQuotasRequest.ComponentData] = []
        for (i, t) in types.enumerated() {
            let type = quotaEntityType(t)
            if i < names.count {
                components.append(names[i].isEmpty ? .init(entityType: type, matchType: 1, match: nil) : .init(entityType: type, matchType: 0, match: names[i]))
            } else {
                components.append(.init(entityType: type, matchType: 2, match: nil))
            }
        }
        if names.count > types.count { throw ToolFailure("More entity names specified than entity types") }
        let r = try await client.send(DescribeClientQuotasRequest(components: components, strict: true))
        if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw failure }
        return (r.entries ?? []).map { e in (e.entity.map { ($0.entityType, $0.entityName) }, e.values.map { ($0.key, $0.value) }) }
    }

    static func describeQuotas(_ types: [String], _ names: [String], _ client: AdminClient, _ console: Console) async throws {
        let entries = try await quotas(types, names, client)
        for line in entries.map({ ConfigFormat.quotaLine(entity: $0.0, values: $0.1) }).sorted() { console.line(line) }
    }

    static func describeScram(users: [String], _ client: AdminClient, _ console: Console) async throws {
        let r = try await client.send(DescribeUserScramCredentialsRequest(users: users.map { .init(name: $0) }))
        if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw failure }
        for u in r.results where u.errorCode != ErrorCode.resourceNotFound.rawValue {
            if let failure = KafkaFailure(code: u.errorCode, message: u.errorMessage) {
                console.line("Error retrieving SCRAM credential configs for user-principal '\(u.user)': \(failure.javaConfigException.split(separator: ".").last ?? "")")
                continue
            }
            let infos = u.credentialInfos.map { i in "\(ScramMechanism(rawValue: i.mechanism)?.mechanismName ?? "UNKNOWN")=iterations=\(i.iterations)" }
            console.line("SCRAM credential configs for user-principal '\(u.user)' are " + infos.joined(separator: ", "))
        }
    }

    // MARK: alter

    static func configsToAdd(_ opts: ConfigCommandOptions) throws -> [(String, String)] {
        var out: [(String, String)] = []
        if let path = opts.addConfigFile {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ToolFailure("\(path) (No such file or directory)")
            }
            out += JavaProperties.parse(text).map { ($0.key, $0.value) }
            try ConfigValues.validateKeys(out.map(\.0))
        }
        if let text = opts.addConfig { out += try ConfigValues.parseAddConfig(text) }
        var seen: [String: Int] = [:]
        var merged: [(String, String)] = []
        for (k, v) in out { if let i = seen[k] { merged[i].1 = v } else { seen[k] = merged.count; merged.append((k, v)) } }
        return merged
    }

    static func alter(_ opts: ConfigCommandOptions, _ client: AdminClient, _ console: Console) async throws {
        let type = opts.entityTypes[0]
        let name = opts.entityNames[0]
        let add = try configsToAdd(opts)
        let delete = opts.deleteConfig
        switch type {
        case "topics", "client-metrics", "broker-loggers":
            let old = try await resourceConfig(type, name, all: false, synonyms: type == "broker-loggers", client)
            if type == "broker-loggers" {
                let valid = Set(old.map(\.name))
                let invalid = delete.filter { !valid.contains($0) } + add.map(\.0).filter { !valid.contains($0) }
                if !invalid.isEmpty { throw ToolFailure("Invalid broker logger(s): " + invalid.joined(separator: ",")) }
            } else {
                let invalid = delete.filter { d in !old.contains { $0.name == d } }
                if !invalid.isEmpty { throw ToolFailure("Invalid config(s): " + invalid.joined(separator: ",")) }
            }
            let ops = add.map { IncrementalAlterConfigsRequest.AlterConfigsResource.AlterableConfig(name: $0.0, configOperation: 0, value: $0.1) }
                + delete.map { .init(name: $0, configOperation: 1, value: nil) }
            let target: AdminClient.Target = type == "broker-loggers" ? .node(Int32(name) ?? -1) : .any
            let r = try await client.send(IncrementalAlterConfigsRequest(resources: [.init(resourceType: resourceType(type).rawValue, resourceName: name, configs: ops)]),
                                          to: target)
            for x in r.responses { if let f = KafkaFailure(code: x.errorCode, message: x.errorMessage) { throw f } }
        case "brokers":
            let old = try await resourceConfig(type, name, all: false, synonyms: false, client)
            let invalid = delete.filter { d in !old.contains { $0.name == d } }
            if !invalid.isEmpty { throw ToolFailure("Invalid config(s): " + invalid.joined(separator: ",")) }
            // AlterConfigs replaces the broker's dynamic configs: the old ones, the added, less the deleted.
            var entries: [(String, String?)] = old.map { ($0.name, $0.value) }
            for (k, v) in add {
                if let i = entries.firstIndex(where: { $0.0 == k }) { entries[i].1 = v } else { entries.append((k, v)) }
            }
            entries.removeAll { delete.contains($0.0) }
            let sensitive = entries.filter { $0.1 == nil }.map(\.0)
            if !sensitive.isEmpty {
                throw ToolFailure("All sensitive broker config entries must be specified for --alter, missing entries: Set(" + sensitive.joined(separator: ", ") + ")")
            }
            let target: AdminClient.Target = name.isEmpty ? .any : .node(Int32(name) ?? -1)
            let r = try await client.send(AlterConfigsRequest(resources: [.init(resourceType: ConfigResourceType.broker.rawValue, resourceName: name,
                                                                                configs: entries.map { .init(name: $0.0, value: $0.1) })]), to: target)
            for x in r.responses { if let f = KafkaFailure(code: x.errorCode, message: x.errorMessage) { throw f } }
        case "users", "clients":
            let addKeys = add.map(\.0)
            let scramAdd = add.filter { ScramMechanism(mechanismName: $0.0) != nil }
            let scramDelete = delete.filter { ScramMechanism(mechanismName: $0) != nil }
            let unknownAdd = addKeys.filter { ScramMechanism(mechanismName: $0) == nil && !quotaKeys.contains($0) }
            let unknownDelete = delete.filter { ScramMechanism(mechanismName: $0) == nil && !quotaKeys.contains($0) }
            let quotaChange = addKeys.contains(where: quotaKeys.contains) || delete.contains(where: quotaKeys.contains)
            if type == "clients" || opts.entityTypes.count == 2 {
                if !unknownAdd.isEmpty || !scramAdd.isEmpty {
                    throw ToolFailure("Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: " + setText(unknownAdd + scramAdd.map(\.0)))
                }
                if !unknownDelete.isEmpty || !scramDelete.isEmpty {
                    throw ToolFailure("Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: " + setText(unknownDelete + scramDelete))
                }
            } else {
                if !unknownAdd.isEmpty {
                    throw ToolFailure("Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: " + setText(unknownAdd))
                }
                if !unknownDelete.isEmpty {
                    throw ToolFailure("Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: " + setText(unknownDelete))
                }
                if !scramAdd.isEmpty || !scramDelete.isEmpty {
                    if opts.entityNames.contains("") {
                        throw ToolFailure("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.")
                    }
                    if quotaChange { throw ToolFailure("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.") }
                }
            }
            if quotaChange {
                try await alterQuotas(opts.entityTypes, opts.entityNames, add, delete, client)
            } else {
                try await alterScram(user: name, add: scramAdd, delete: scramDelete, client)
            }
        default: // ips
            let unknown = (add.map(\.0) + delete).filter { !ipQuotaKeys.contains($0) }
            if !unknown.isEmpty {
                throw ToolFailure("Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: " + unknown.joined(separator: ","))
            }
            try await alterQuotas(opts.entityTypes, opts.entityNames, add, delete, client)
        }
        if !name.isEmpty {
            console.line("Completed updating config for \(singular(type)) \(name).")
        } else {
            console.line("Completed updating default config for \(type) in the cluster.")
        }
    }

    /// Scala's `Set(...)`/`List(...)` text for an unexpected-names message.
    static func setText(_ names: [String]) -> String { "Set(" + names.joined(separator: ", ") + ")" }

    static func alterQuotas(_ types: [String], _ names: [String], _ add: [(String, String)], _ delete: [String], _ client: AdminClient) async throws {
        let existing = try await quotas(types, names, client).first?.1 ?? []
        let invalid = delete.filter { d in !existing.contains { $0.0 == d } }
        if !invalid.isEmpty { throw ToolFailure("Invalid config(s): " + invalid.joined(separator: ",")) }
        var ops: [AlterClientQuotasRequest.EntryData.OpData] = []
        for (k, v) in add {
            guard let d = Double(v) else { throw ToolFailure("Cannot parse quota configuration value for \(k): \(v)") }
            ops.append(.init(key: k, value: d, remove: false))
        }
        ops += delete.map { .init(key: $0, value: 0, remove: true) }
        let entity = zip(types, names).map { AlterClientQuotasRequest.EntryData.EntityData(entityType: quotaEntityType($0.0), entityName: $0.1.isEmpty ? nil : $0.1) }
        let r = try await client.send(AlterClientQuotasRequest(entries: [.init(entity: entity, ops: ops)]), to: .controller)
        for e in r.entries { if let f = KafkaFailure(code: e.errorCode, message: e.errorMessage) { throw f } }
    }

    static func alterScram(user: String, add: [(String, String)], delete: [String], _ client: AdminClient) async throws {
        var upsertions: [AlterUserScramCredentialsRequest.ScramCredentialUpsertion] = []
        for (name, value) in add {
            let mechanism = ScramMechanism(mechanismName: name)!
            let (iterations, password) = try ConfigValues.scramCredential(mechanism: name, value, minIterations: ScramMechanism.minIterations)
            let salt = ScramCredential.randomSalt()
            upsertions.append(.init(name: user, mechanism: mechanism.rawValue, iterations: iterations, salt: salt,
                                    saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: iterations)))
        }
        let deletions = delete.map { AlterUserScramCredentialsRequest.ScramCredentialDeletion(name: user, mechanism: ScramMechanism(mechanismName: $0)!.rawValue) }
        let r = try await client.send(AlterUserScramCredentialsRequest(deletions: deletions, upsertions: upsertions), to: .controller)
        for x in r.results { if let f = KafkaFailure(code: x.errorCode, message: x.errorMessage) { throw f } }
    }
}

/// The lines kafka-configs.sh prints. Pure.
public enum ConfigFormat {
    /// `  name=value sensitive=false synonyms={SOURCE:name=value, ...}`.
    public static func entryLine(_ e: ConfigEntry) -> String {
        let synonyms = e.synonyms.map { "\($0.source):\($0.name)=\($0.value ?? "null")" }.joined(separator: ", ")
        return "  \(e.name)=\(e.valueText) sensitive=\(e.isSensitive) synonyms={\(synonyms)}"
    }

    /// `Quota configs for user-principal 'alice', client-id 'c' are producer_byte_rate=1024.0, ...`;
    /// a nil name is "the default user-principal".
    public static func quotaLine(entity: [(String, String?)], values: [(String, Double)]) -> String {
        var parts: [String] = []
        for type in ["user", "client-id", "ip"] {
            guard let e = entity.first(where: { $0.0 == type }) else { continue }
            let label = type == "user" ? "user-principal" : type
            parts.append(e.1.map { "\(label) '\($0)'" } ?? "the default \(label)")
        }
        let v = values.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(ConfigValues.javaDouble($0.1))" }.joined(separator: ", ")
        return "Quota configs for \(parts.joined(separator: ", ")) are \(v)"
    }
}

extension KafkaFailure {
    /// The exception kafka-configs.sh's stack trace starts with for this code.
    var javaConfigException: String {
        let names: [Int16: String] = [
            3: "UnknownTopicOrPartitionException", 31: "ClusterAuthorizationException", 35: "UnsupportedVersionException", 49: "DuplicateResourceException",
            40: "InvalidConfigurationException", 41: "NotControllerException", 42: "InvalidRequestException", 44: "PolicyViolationException",
            91: "ResourceNotFoundException",
        ]
        return "org.apache.kafka.common.errors." + (names[code.rawValue] ?? "ApiException") + ": " + description
    }
}
