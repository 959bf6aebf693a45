import KafkaProtocol

/// A broker as registered with the controller: its listeners, rack and fencing state.
public struct BrokerRegistration: Hashable, Sendable {
    public struct Endpoint: Hashable, Sendable {
        public var listenerName: String
        public var host: String
        public var port: UInt16
        /// Kafka's security protocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL.
        public var securityProtocol: Int16

        public init(listenerName: String, host: String, port: UInt16, securityProtocol: Int16 = 0) {
            self.listenerName = listenerName
            self.host = host
            self.port = port
            self.securityProtocol = securityProtocol
        }
    }

    public var id: Int32
    public var incarnationID: KafkaUUID
    public var epoch: Int64
    public var endpoints: [Endpoint]
    public var rack: String?
    public var fenced: Bool
    public var inControlledShutdown: Bool
    public var supportedFeatures: [String: ClosedRange<Int16>]

    public init(
        id: Int32, incarnationID: KafkaUUID, epoch: Int64, endpoints: [Endpoint], rack: String? = nil,
        fenced: Bool = true, inControlledShutdown: Bool = false, supportedFeatures: [String: ClosedRange<Int16>] = [:]
    ) {
        self.id = id
        self.incarnationID = incarnationID
        self.epoch = epoch
        self.endpoints = endpoints
        self.rack = rack
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
        self.supportedFeatures = supportedFeatures
    }

    public init(_ record: RegisterBrokerRecord) {
        var features: [String: ClosedRange<Int16>] = [:]
        for f in record.features where f.minSupportedVersion <= f.maxSupportedVersion {
            features[f.name] = f.minSupportedVersion...f.maxSupportedVersion
        }
        self.init(
            id: record.brokerID, incarnationID: record.incarnationID, epoch: record.brokerEpoch,
            endpoints: record.endPoints.map {
                Endpoint(listenerName: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            rack: record.rack, fenced: record.fenced, inControlledShutdown: record.inControlledShutdown,
            supportedFeatures: features
        )
    }

    public var record: RegisterBrokerRecord {
        RegisterBrokerRecord(
            brokerID: id, incarnationID: incarnationID, brokerEpoch: epoch,
            endPoints: endpoints.map {
                .init(name: $0.listenerName, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            features: supportedFeatures.sorted { $0.key < $1.key }.map {
                .init(name: $0.key, minSupportedVersion: $0.value.lowerBound, maxSupportedVersion: $0.value.upperBound)
            },
            rack: rack, fenced: fenced, inControlledShutdown: inControlledShutdown
        )
    }

    public func endpoint(named listener: String) -> Endpoint? {
        endpoints.first { $0.listenerName == listener }
    }
}
