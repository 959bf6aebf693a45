import KafkaLog
import KafkaMetadata
import KafkaProtocol
import Logging

/// Writes transaction markers to partitions this node leads (the partition side of WriteTxnMarkers):
/// each marker is appended as a COMMIT or ABORT control batch to each of its partitions, and each
/// partition is answered once the marker is in the ISR (the high watermark passed it, acks=all) or
/// with the error that stopped it: UNKNOWN_TOPIC_OR_PARTITION (not in the metadata),
/// NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
/// REQUEST_TIMED_OUT (after `timeoutMs`).
///
/// A marker written to a `__consumer_offsets` partition also ends the producer's transactional offset
/// commits there: the group coordinator hears of it (Kafka's `onTransactionCompleted`) before the
/// partition is answered, so once the transaction is complete its offsets are visible.
struct TransactionMarkerWriter: Sendable {
    let replicas: ReplicaManager
    /// The group coordinator that applies markers written to `__consumer_offsets`.
    let groups: GroupCoordinatorService
    let logger: Logger

    /// One marker: WriteTxnMarkers' `WritableTxnMarker`.
    struct Marker: Sendable {
        var producerID: Int64
        var producerEpoch: Int16
        var coordinatorEpoch: Int32
        var commit: Bool
        var partitions: [TopicPartition]
        /// The transaction's version (WriteTxnMarkers v2, KIP-1228; 0 before): from 2 the marker's
        /// epoch must be newer than the producer's at the partition, as the coordinator bumped it.
        var transactionVersion: Int8 = 0
    }

    /// One partition's append: where the marker went and what the high watermark must reach.
    private struct Written: Sendable {
        var marker: Int
        var partition: TopicPartition
        var replica: Partition
        var end: Int64
        var leaderEpoch: Int32
    }

    /// The error code of each marker's partitions, in `markers` order. The partitions are written
    /// concurrently (their appends and fsyncs overlap on the I/O executor); one partition's markers
    /// stay in `markers` order.
    func write(_ markers: [Marker], image: MetadataImage, timeoutMs: Int64) async -> [[TopicPartition: ErrorCode]] {
        var codes: [[TopicPartition: ErrorCode]] = Array(repeating: [:], count: markers.count)
        var byPartition: [TopicPartition: [(index: Int, marker: Marker)]] = [:]
        for (i, marker) in markers.enumerated() {
            for tp in marker.partitions { byPartition[tp, default: []].append((i, marker)) }
        }
        let outcomes = await withTaskGroup(of: [(Int, TopicPartition, Result<Written, ErrorCode>)].self) { group in
            for (tp, list) in byPartition {
                group.addTask { await writeMarkers(list, to: tp, image: image) }
            }
            var all: [(Int, TopicPartition, Result<Written, ErrorCode>)] = []
            for await results in group { all += results }
            return all
        }
        var written: [Written] = []
        for (i, tp, outcome) in outcomes {
            switch outcome {
            case let .success(w): written.append(w)
            case let .failure(code): codes[i][tp] = code
            }
        }
        // Every append is out; the waits overlap, so the slowest partition bounds the answer.
        for w in written {
            let outcome = await w.replica.waitForHighWatermark(w.end, leaderEpoch: w.leaderEpoch, timeoutMs: timeoutMs, clock: replicas.clock)
            codes[w.marker][w.partition] = switch outcome {
            case .reached: .noError
            case .leadershipChanged: .notLeaderOrFollower
            case .timedOut: .requestTimedOut
            }
        }
        return codes
    }

    /// One partition's markers, one after another.
    private func writeMarkers(_ list: [(index: Int, marker: Marker)], to tp: TopicPartition,
                              image: MetadataImage) async -> [(Int, TopicPartition, Result<Written, ErrorCode>)] {
        var out: [(Int, TopicPartition, Result<Written, ErrorCode>)] = []
        for (i, marker) in list {
            let known = image.topic(named: tp.topic)?.partitions[tp.partition] != nil
            guard known, let replica = replicas.replica(tp) else {
                out.append((i, tp, .failure(known ? .notLeaderOrFollower : .unknownTopicOrPartition)))
                continue
            }
            let now = replicas.clock.nowMs()
            let appended: Result<Partition.LeaderAppend, LogValidator.Failure>? = try? await replicas.io.run {
                let result = replica.appendMarker(producerId: marker.producerID, producerEpoch: marker.producerEpoch,
                                                  coordinatorEpoch: marker.coordinatorEpoch, isAbort: !marker.commit,
                                                  bumpedEpoch: marker.transactionVersion >= 2, now: now)
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
                if tp.topic == ConsumerOffsetsLog.topic {
                    await groups.transactionCompleted(partition: tp.partition, producerID: marker.producerID, committed: marker.commit)
                }
                out.append((i, tp, .success(Written(marker: i, partition: tp, replica: replica, end: append.info.lastOffset + 1,
                                                      leaderEpoch: append.leaderEpoch))))
            case let .failure(failure)?:
                logger.info("refused a transaction marker", metadata: [
                    "kafka.partition": "\(tp)", "producer_id": "\(marker.producerID)", "error": "\(failure.code)", "reason": "\(failure.message)",
                ])
                out.append((i, tp, .failure(failure.code)))
            case nil:
                out.append((i, tp, .failure(.unknownServerError)))
            }
        }
        return out
    }
}
