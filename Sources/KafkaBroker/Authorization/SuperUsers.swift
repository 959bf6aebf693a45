import KafkaClient
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
            // The nodes' own requests are decided like any other, including the administration a broker
            // forwards to the active controller as itself: the principals the nodes authenticate as must
            // be super users, as in Kafka. This node's are known: User:ANONYMOUS on a PLAINTEXT listener,
            // its JAAS username on a SASL one (a certificate's name on SSL is not checked here).
            for listener in Array(Set(controllerListenerNames + [interBrokerListenerName])).sorted() {
                let principal: String?
                switch listenerSecurityProtocols[listener] ?? "PLAINTEXT" {
                case "PLAINTEXT": principal = KafkaPrincipal.anonymous.description
                case "SASL_PLAINTEXT", "SASL_SSL": principal = SaslClientCredentials.forListener(listener, config: self).map { "User:\($0.username)" }
                default: principal = nil
                }
                if let principal, !superUsers.contains(principal) {
                    warnings.append("the authorizer decides the nodes' own requests too: on listener \(listener) this node is \(principal), "
                        + "which is not in super.users; the other nodes will refuse its quorum, registration, replication and forwarded requests")
                }
            }
        }
        return warnings
    }
}
