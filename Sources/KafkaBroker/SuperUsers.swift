import KafkaSecurity
import StromConfig

/// Until ACLs are enforced (issue 13), `super.users` guards the requests that would let a client take
/// over the cluster's security: changing SCRAM credentials (the brokers' own among them) and the
/// quorum's voters. With `super.users` set, such a request is served only for a listed principal; it
/// is checked on every client listener and on a secured (SASL or SSL) controller listener, where
/// brokers forward what their clients sent (a broker's principal must then be listed too). Without
/// `super.users` they are open, as in a Kafka without an authorizer, and the start-up log says so.
extension ServerConfig {
    func mayAdministerSecurity(_ context: RequestContext) -> Bool {
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
