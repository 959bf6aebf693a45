import KafkaSecurity
import StromConfig

/// The requests that would let a client take over the cluster's security: changing SCRAM credentials
/// (the brokers' own among them) and the quorum's voters. With an authorizer they need ALTER on the
/// cluster, as in Kafka. Without one, Strom still lets `super.users` guard them: with it set, such a
/// request is served only for a listed principal; it is checked on every client listener and on a
/// secured (SASL or SSL) controller listener, where brokers forward what their clients sent (a
/// broker's principal must then be listed too). Without either they are open, as in a Kafka without
/// an authorizer, and the start-up log says so.
extension ServerConfig {
    func mayAdministerSecurity(_ context: RequestContext) -> Bool {
        if context.authorizer != nil { return context.authorizeCluster(.alter) }
        guard !superUsers.isEmpty else { return true }
        let controllerListener = controllerListenerNames.contains(context.listenerName)
        let secured = (listenerSecurityProtocols[context.listenerName] ?? "PLAINTEXT") != "PLAINTEXT"
        if controllerListener && !secured { return true }
        let allowed = superUsers.contains(context.principal.description)
        if !allowed {
            context.logger.info("denied: not a super user", metadata: [
                "kafka.principal": "\(context.principal)", "net.peer": "\(context.remoteAddress)", "kafka.rule": "super.users",
            ])
        }
        return allowed
    }
}

extension ServerConfig {
    /// What the start-up log warns about in this node's security settings.
    var securityWarnings: [String] {
        var warnings: [String] = []
        let secured = listenerSecurityProtocols.values.contains { $0 != "PLAINTEXT" }
        if !authorizerEnabled && superUsers.isEmpty && secured {
            warnings.append("super.users is not set and there is no authorizer.class.name: any client may change SCRAM credentials and the quorum's voters")
        }
        if authorizerEnabled {
            // The nodes' own requests are decided like any other: on a PLAINTEXT listener they come from
            // User:ANONYMOUS, which then needs to be a super user (or hold CLUSTER_ACTION) for the quorum,
            // registrations and replication to work, as in Kafka.
            let own = Set(controllerListenerNames + [interBrokerListenerName])
            let plain = own.filter { (listenerSecurityProtocols[$0] ?? "PLAINTEXT") == "PLAINTEXT" }.sorted()
            if !plain.isEmpty && !superUsers.contains("User:ANONYMOUS") {
                warnings.append("the authorizer decides the nodes' own requests too: on PLAINTEXT listener(s) \(plain.joined(separator: ", ")) they come "
                    + "from User:ANONYMOUS, which is not in super.users; unless ACLs give it CLUSTER_ACTION, the other nodes will be refused")
            }
        }
        return warnings
    }
}
