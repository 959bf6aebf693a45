import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import NIOPosix

/// Produce (v0-11; v0-2 carry legacy message sets, up-converted to v2 batches): validates each partition's batch, appends it (idempotent producers are checked
/// by sequence; a retried batch is acknowledged with its original offsets, not written twice) and,
/// for acks=all, makes it durable before answering unless a flush policy is configured. acks=0 gets
/// no response. Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, and those
/// of `ProduceValidation` and the log (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, …).
struct ProduceHandler: RequestHandler {
    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let image = metadata.image
        var response = ProduceResponse()
        let acksValid = request.acks == -1 || request.acks == 0 || request.acks == 1
        for topic in request.topicData {
            var topicResponse = ProduceResponse.TopicProduceResponse(name: topic.name)
            for p in topic.partitionData {
                var result = ProduceResponse.TopicProduceResponse.PartitionProduceResponse(index: p.index, baseOffset: -1)
                let outcome: Result<AppendInfo, ProduceValidation.Failure>
                if !acksValid {
                    outcome = .failure(.init(code: .invalidRequiredAcks, message: "acks must be -1, 0 or 1, not \(request.acks)"))
                } else if request.transactionalID != nil {
                    outcome = .failure(.init(code: .transactionalIDAuthorizationFailed, message: "Transactions are not supported by Strom yet"))
                } else {
                    outcome = await append(p.records, to: TopicPartition(topic.name, p.index), image: image, acks: request.acks, context: context)
                }
                switch outcome {
                case let .success(info):
                    result.baseOffset = info.firstOffset
                    result.logAppendTimeMs = info.logAppendTime
                    result.logStartOffset = info.logStartOffset
                case let .failure(f):
                    result.errorCode = f.code.rawValue
                    result.errorMessage = f.message
                    context.logger.debug("produce refused", metadata: [
                        "kafka.partition": "\(topic.name)-\(p.index)", "kafka.error": "\(f.code)", "reason": "\(f.message)",
                    ])
                }
                topicResponse.partitionResponses.append(result)
            }
            response.responses.append(topicResponse)
        }
        return request.acks == 0 ? nil : response
    }

    private func append(_ records: ByteBuffer?, to tp: TopicPartition, image: MetadataImage, acks: Int16,
                        context: RequestContext) async -> Result<AppendInfo, ProduceValidation.Failure> {
        let replica: PartitionReplica
        let registration: PartitionRegistration
        switch replicas.leader(of: tp, image: image, nodeID: nodeID) {
        case let .success(leader): (replica, registration) = leader
        case let .failure(code):
            let message = code == .unknownTopicOrPartition ? "This server does not host this topic-partition."
                : "This server is not the leader for that topic-partition."
            return .failure(.init(code: code, message: message))
        }
        let settings = replica.settings
        var limits = ProduceValidation.Limits(maxMessageBytes: settings.maxMessageBytes, decompressionLimit: 256 << 20)
        limits.logAppendTime = settings.logAppendTime
        limits.timestampBeforeMaxMs = settings.timestampBeforeMaxMs
        limits.timestampAfterMaxMs = settings.timestampAfterMaxMs
        let now = BrokerClock.nowMs()
        let batch: RecordBatch
        switch ProduceValidation.validate(records, produceVersion: context.apiVersion, limits: limits, now: now) {
        case let .success(b): batch = b
        case let .failure(f): return .failure(f)
        }
        let leaderEpoch = registration.leaderEpoch
        let flush = acks == -1 && settings.flushBeforeAcksAll
        do {
            // File writes and fsync block; they run on NIO's blocking-I/O pool, not on the async executor.
            let info = try await NIOThreadPool.singleton.runIfActive {
                try replica.withLog { log -> AppendInfo in
                    let info = try log.append(batch.bytes, leaderEpoch: leaderEpoch,
                                              timestampType: settings.logAppendTime ? .logAppendTime : .createTime, now: now,
                                              crcVerified: true)
                    if flush { try log.flush(now: now) }
                    log.updateHighWatermark(log.logEndOffset)
                    return info
                }
            }
            replicas.appended.notifyAll()
            return .success(info)
        } catch let error as LogError {
            if error.errorCode == .kafkaStorageError {
                context.logger.error("append failed", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
            }
            return .failure(.init(code: error.errorCode, message: error.description))
        } catch {
            return .failure(.init(code: .unknownServerError, message: "\(error)"))
        }
    }
}
