import KafkaMetadata
import KafkaProtocol

/// The metadata shell's file system: directories of named children and files of text, as Kafka
/// 3.9's `MetadataNode`s lay out a `MetadataImage` under `/image` (and `/local` for the shell itself):
///
///     /image/provenance                       offset, epoch of the last record applied
///     /image/features/metadataVersion, zkMigrationState, finalized_<feature>
///     /image/cluster/brokers/<id>             the broker's registration
///     /image/cluster/controllers              (empty: Strom's nodes are combined)
///     /image/topics/byName/<topic>/{name,id,<partition>}, /image/topics/byId/<id>/...
///     /image/configs/<TYPE>[:<name>]/<key>    e.g. TOPIC:orders/retention.ms, BROKER (cluster defaults)
///     /image/clientQuotas/<entity>/<key>      e.g. user(alice)/producer_byte_rate
///     /image/producerIds                      the next producer id
///     /image/acls/byId/<id>                   one ACL
///     /image/scram/<mechanism>/<user>         one credential (iterations; keys redacted)
///     /image/delegationToken                  (empty)
///     /local/version
///
/// Pure: built once from an image.
public indirect enum MetadataShellNode: Hashable, Sendable {
    case directory([String: MetadataShellNode])
    case file(String)

    public var isDirectory: Bool { if case .directory = self { true } else { false } }

    public var children: [String: MetadataShellNode] {
        if case let .directory(c) = self { return c }
        return [:]
    }

    /// The node at `components` below this one.
    public func child(_ components: [String]) -> MetadataShellNode? {
        var node = self
        for c in components {
            guard let next = node.children[c] else { return nil }
            node = next
        }
        return node
    }

    public static func root(_ image: MetadataImage) -> MetadataShellNode {
        .directory(["image": imageNode(image), "local": .directory(["version": .file("strom"), "commitId": .file("unknown")])])
    }

    static func imageNode(_ image: MetadataImage) -> MetadataShellNode {
        var features: [String: MetadataShellNode] = [
            "metadataVersion": .file(image.features["metadata.version"].map { "metadata.version level \($0)" } ?? "unknown"),
            "zkMigrationState": .file("NONE"),
        ]
        for (name, level) in image.finalizedFeatures where name != "metadata.version" { features["finalized_" + name] = .file("\(level)") }
        var brokers: [String: MetadataShellNode] = [:]
        for (id, b) in image.brokers { brokers["\(id)"] = .file(describe(b)) }
        var byName: [String: MetadataShellNode] = [:]
        var byID: [String: MetadataShellNode] = [:]
        for t in image.topicsByID.values {
            var children: [String: MetadataShellNode] = ["name": .file(t.name), "id": .file("\(t.id)")]
            for (p, r) in t.partitions { children["\(p)"] = .file(describe(r)) }
            byName[t.name] = .directory(children)
            byID["\(t.id)"] = .directory(children)
        }
        var configs: [String: MetadataShellNode] = [:]
        for (resource, values) in image.configs where !values.isEmpty {
            let type = resource.type == ConfigResource.topicType ? "TOPIC" : resource.type == ConfigResource.brokerType ? "BROKER" : "TYPE\(resource.type)"
            configs[resource.name.isEmpty ? type : "\(type):\(resource.name)"] = .directory(values.mapValues { .file($0) })
        }
        var quotas: [String: MetadataShellNode] = [:]
        for (entity, values) in image.clientQuotas {
            let name = entity.components.sorted { $0.type < $1.type }.map { "\($0.type)(\($0.name ?? "<default>"))" }.joined(separator: "_")
            quotas[name] = .directory(values.mapValues { .file("\($0)") })
        }
        var acls: [String: MetadataShellNode] = [:]
        for (id, a) in image.acls {
            acls["\(id)"] = .file("StandardAcl(resourceType=\(a.resourceType), resourceName=\(a.resourceName), patternType=\(a.patternType), "
                                  + "principal=\(a.principal), host=\(a.host), operation=\(a.operation), permissionType=\(a.permissionType))")
        }
        var scram: [String: [String: MetadataShellNode]] = [:]
        for (key, c) in image.scramCredentials {
            let mechanism = key.mechanism == 1 ? "SCRAM-SHA-256" : key.mechanism == 2 ? "SCRAM-SHA-512" : "MECHANISM-\(key.mechanism)"
            scram[mechanism, default: [:]][key.user] = .file("ScramCredentialData(salt=[redacted], storedKey=[redacted], serverKey=[redacted], iterations=\(c.iterations))")
        }
        return .directory([
            "provenance": .file("offset \(image.provenance.offset), epoch \(image.provenance.epoch)"),
            "features": .directory(features),
            "cluster": .directory(["brokers": .directory(brokers), "controllers": .directory([:])]),
            "topics": .directory(["byName": .directory(byName), "byId": .directory(byID)]),
            "configs": .directory(configs),
            "clientQuotas": .directory(quotas),
            "producerIds": .file("\(image.nextProducerID)"),
            "acls": .directory(["byId": .directory(acls)]),
            "scram": .directory(scram.mapValues { .directory($0) }),
            "delegationToken": .directory([:]),
        ])
    }

    /// As Kafka's `PartitionRegistration.toString`.
    static func describe(_ r: PartitionRegistration) -> String {
        func list(_ l: [Int32]) -> String { "[" + l.map(String.init).joined(separator: ", ") + "]" }
        let recovery = r.leaderRecoveryState == 1 ? "RECOVERING" : "RECOVERED"
        return "PartitionRegistration(replicas=\(list(r.replicas)), directories=[" + r.directories.map { "\($0)" }.joined(separator: ", ")
            + "], isr=\(list(r.isr)), removingReplicas=\(list(r.removingReplicas)), addingReplicas=\(list(r.addingReplicas)), elr=\(list(r.elr)), "
            + "lastKnownElr=\(list(r.lastKnownElr)), leader=\(r.leader), leaderRecoveryState=\(recovery), leaderEpoch=\(r.leaderEpoch), partitionEpoch=\(r.partitionEpoch))"
    }

    /// As Kafka's `BrokerRegistration.toString`.
    static func describe(_ b: BrokerRegistration) -> String {
        let protocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
        let listeners = b.endpoints.map { e in
            "Endpoint(listenerName='\(e.listenerName)', securityProtocol=\(protocols.indices.contains(Int(e.securityProtocol)) ? protocols[Int(e.securityProtocol)] : "\(e.securityProtocol)"), host='\(e.host)', port=\(e.port))"
        }.joined(separator: ", ")
        let features = b.supportedFeatures.keys.sorted().map { "\($0): \(b.supportedFeatures[$0]!.lowerBound)-\(b.supportedFeatures[$0]!.upperBound)" }.joined(separator: ", ")
        return "BrokerRegistration(id=\(b.id), epoch=\(b.epoch), incarnationId=\(b.incarnationID), listeners=[\(listeners)], supportedFeatures={\(features)}, "
            + "rack=\(b.rack.map { "Optional[\($0)]" } ?? "Optional.empty"), fenced=\(b.fenced), inControlledShutdown=\(b.inControlledShutdown), isMigratingZkBroker=false)"
    }
}
