import KafkaMetadata
import KafkaSecurity
import NIOConcurrencyHelpers
import StromConfig

/// The node's `StandardAuthorizer` (with `authorizer.class.name` set): the ACLs of the published
/// metadata image with the node's `super.users` and `allow.everyone.if.no.acl.found`.
///
/// Invariant: `current` holds exactly the ACLs of the last image published; it is rebuilt by a
/// metadata publisher, before the image is published, whenever a delta adds or removes an ACL. Each
/// request reads it once (`RequestDispatcher`), so one request is decided against one set of ACLs.
public final class NodeAuthorizer: Sendable {
    private let state: NIOLockedValueBox<StandardAuthorizer>

    public init(config: ServerConfig) {
        state = NIOLockedValueBox(StandardAuthorizer(superUsers: config.superUsers,
                                                     allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound))
    }

    public var current: StandardAuthorizer { state.withLockedValue { $0 } }

    /// Takes the ACLs of `image` when `delta` changed any.
    public func apply(delta: MetadataDelta, image: MetadataImage) {
        guard delta.aclsChanged else { return }
        let acls = image.acls.mapValues(StandardAcl.init(record:))
        state.withLockedValue { $0 = StandardAuthorizer(acls: acls, superUsers: $0.superUsers,
                                                        allowEveryoneIfNoAclFound: $0.allowEveryoneIfNoAclFound) }
    }
}
