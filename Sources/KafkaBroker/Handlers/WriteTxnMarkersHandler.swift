import KafkaLog
import KafkaMetadata
import KafkaProtocol

/// WriteTxnMarkers (v0-1), from transaction coordinators to partition leaders: each marker is
/// appended as a COMMIT or ABORT control batch to each of its partitions this node leads, and each
/// partition is answered once the marker is in the ISR (the high watermark passed it, acks=all) or
/// with the error that stopped it: UNKNOWN_TOPIC_OR_PARTITION (not in the metadata),
/// NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
/// REQUEST_TIMED_OUT (after `request.timeout.ms`, Kafka's 30 s).
struct WriteTxnMarkersHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1
    static let timeoutMs: Int64 = 30_000

    let metadata: MetadataService
    let replicas: ReplicaManager

    /// One partition's append: where the marker went and what the high watermark must reach.
    private struct Written {
        var marker: Int
        var topic: String
        var partition: Int32
        var replica: Partition
        var end: Int64
        var leaderEpoch: Int32
    }

    func handle(_ request: WriteTxnMarkersRequest, context: RequestContext) async -> WriteTxnMarkersResponse? {
        let image = metadata.image
        var codes: [[String: [Int32: ErrorCode]]] = Array(repeating: [:], count: request.markers.count)
        var written: [Written] = []
        for (i, marker) in request.markers.enumerated() {
            for topic in marker.topics {
                for p in topic.partitionIndexes {
                    let tp = TopicPartition(topic.name, p)
                    let known = image.topic(named: topic.name)?.partitions[p] != nil
                    guard known, let replica = replicas.replica(tp) else {
                        codes[i][topic.name, default: [:]][p] = known ? .notLeaderOrFollower : .unknownTopicOrPartition
                        continue
                    }
                    let now = replicas.clock.nowMs()
                    let appended: Result<Partition.LeaderAppend, LogValidator.Failure>? = try? await replicas.io.run {
                        let result = replica.appendMarker(producerId: marker.producerID, producerEpoch: marker.producerEpoch,
                                                          coordinatorEpoch: marker.coordinatorEpoch, isAbort: !marker.transactionResult, now: now)
                        if case let .success(append) = result, let pending = append.pendingFlush {
                            do throws(LogError) {
                                try replica.flush(pending, now: now)
                            } catch {
                                return .failure(LogValidator.Failure(error))
                            }
                        }
                        return result
                    }
                    switch appended {
                    case let .success(append)?:
                        replicas.appended.notify(tp)
                        written.append(Written(marker: i, topic: topic.name, partition: p, replica: replica,
                                               end: append.info.lastOffset + 1, leaderEpoch: append.leaderEpoch))
                    case let .failure(failure)?:
                        context.logger.info("refused a transaction marker", metadata: [
                            "kafka.topic": "\(topic.name)", "kafka.partition": "\(p)", "producer_id": "\(marker.producerID)",
                            "error": "\(failure.code)", "reason": "\(failure.message)"])
                        codes[i][topic.name, default: [:]][p] = failure.code
                    case nil:
                        codes[i][topic.name, default: [:]][p] = .unknownServerError
                    }
                }
            }
        }
        // Every append is out; the waits overlap, so the slowest partition bounds the answer.
        for w in written {
            let outcome = await w.replica.waitForHighWatermark(w.end, leaderEpoch: w.leaderEpoch, timeoutMs: Self.timeoutMs, clock: replicas.clock)
            codes[w.marker][w.topic, default: [:]][w.partition] = switch outcome {
            case .reached: .noError
            case .leadershipChanged: .notLeaderOrFollower
            case .timedOut: .requestTimedOut
            }
        }
        var response = WriteTxnMarkersResponse()
        for (i, marker) in request.markers.enumerated() {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult(producerID: marker.producerID)
            for topic in marker.topics {
                var t = WriteTxnMarkersResponse.WritableTxnMarkerResult.WritableTxnMarkerTopicResult(name: topic.name)
                for p in topic.partitionIndexes {
                    t.partitions.append(.init(partitionIndex: p, errorCode: (codes[i][topic.name]?[p] ?? .unknownServerError).rawValue))
                }
                result.topics.append(t)
            }
            response.markers.append(result)
        }
        return response
    }
}
