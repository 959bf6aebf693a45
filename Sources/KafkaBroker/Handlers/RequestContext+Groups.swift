import KafkaGroups

/// What the group coordinator needs to know of a request: its version, and the client id and host that
/// `DescribeGroups` and `ConsumerGroupDescribe` report for each member.
extension RequestContext {
    var groupContext: GroupRequestContext {
        GroupRequestContext(apiVersion: apiVersion, clientID: clientID ?? "", clientHost: "/\(remoteAddress)")
    }
}
