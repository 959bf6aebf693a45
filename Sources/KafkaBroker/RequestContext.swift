import KafkaProtocol
import KafkaSecurity
import Logging

/// What a handler knows about the request it serves besides the body.
public struct RequestContext: Sendable {
    public var apiVersion: Int16
    public var correlationID: Int32
    public var clientID: String?
    public var connectionID: UInt64
    public var remoteAddress: String
    /// The listener the request arrived on (`PLAINTEXT`), so replies name endpoints on the same one.
    public var listenerName: String
    public var logger: Logger
    /// Who sent the request: the SASL user on a SASL listener, `User:ANONYMOUS` otherwise.
    public var principal: KafkaPrincipal = .anonymous
    /// The API of the request, for the authorizer's audit lines.
    public var apiKey: APIKey?
    /// The ACLs this request is decided against, read once when it arrived; nil when the node has no
    /// authorizer (every action allowed, as in Kafka without `authorizer.class.name`).
    public var authorizer: StandardAuthorizer?
    /// Lets the connection read its next request before this one is answered (see `ConnectionRelease`);
    /// responses still leave in request order.
    public var releaseConnection: @Sendable () -> Void = {}
}

