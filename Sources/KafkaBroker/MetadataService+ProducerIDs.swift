import KafkaController
import KafkaProtocol

/// Producer ids: a broker hands them out from blocks the active controller reserves for it
/// (AllocateProducerIds), as Kafka's brokers do, so ids stay unique across the cluster.
extension MetadataService {
    /// The next producer id, reserving a new block from the controller when the current one runs out.
    public func nextProducerID() async throws -> Int64 {
        if producerIDs.isEmpty {
            let request = AllocateProducerIdsRequest(brokerID: nodeID, brokerEpoch: await brokerEpoch)
            guard let response = await controllerCall(request, version: 0, local: { await self.handleAllocateProducerIDs(request) },
                                                      notController: { $0.errorCode == ErrorCode.notController.rawValue }),
                  response.errorCode == 0, response.producerIDLen > 0, response.producerIDStart >= 0,
                  response.producerIDStart <= Int64.max - Int64(response.producerIDLen) else {
                throw QuorumDriver.AppendFailure(code: .notController, description: "no controller allocated producer ids")
            }
            producerIDs = response.producerIDStart..<(response.producerIDStart + Int64(response.producerIDLen))
        }
        return producerIDs.popFirst()!
    }

    /// AllocateProducerIds at the active controller (nil: not the active controller).
    func handleAllocateProducerIDs(_ request: AllocateProducerIdsRequest) async -> AllocateProducerIdsResponse? {
        await asController({ _, image in
            guard let broker = image.brokers[request.brokerID], broker.epoch == request.brokerEpoch else {
                return ControllerResult(response: AllocateProducerIdsResponse(errorCode: ErrorCode.staleBrokerEpoch.rawValue))
            }
            let (range, record) = ProducerIDBlocks.allocate(image: image, brokerID: request.brokerID, brokerEpoch: request.brokerEpoch)
            return ControllerResult(records: [record], response: AllocateProducerIdsResponse(
                producerIDStart: range.lowerBound, producerIDLen: Int32(range.count)))
        }, failing: { r, code, _ in r.errorCode = code.rawValue })
    }
}
