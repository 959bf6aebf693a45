import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import NIOCore

/// Who sends a Fetch (Kafka's `FetchParams`: its replica id and client metadata).
enum Fetcher: Hashable, Sendable {
    /// A follower replicating from this node, the leader: reads up to the log end offset.
    case follower(id: Int32, brokerEpoch: Int64)
    /// A consumer: reads up to the high watermark. From Fetch v11 it has client metadata (KIP-392) and may
    /// read from any replica of the partition; before, only from the leader.
    case consumer(ClientMetadata?)

    /// What a consumer's Fetch v11+ says of its client (Kafka's `ClientMetadata`, the parts Strom uses).
    struct ClientMetadata: Hashable, Sendable {
        /// `client.rack`; empty when not set.
        var rackID: String
        /// The listener the request arrived on: the client reaches other brokers on theirs of that name.
        var listenerName: String
    }
}

/// Reads the partitions of one Fetch (Kafka's `ReplicaManager.readFromLog`): whole batches from the one
/// holding each fetch offset, up to the high watermark for consumers (a follower replica's own high
/// watermark when a consumer reads there) and the log end offset for followers, within `maxBytes` and
/// each partition's limit; the first partition with data always gets at least one whole batch (KIP-74).
///
/// With `replica.selector.class` set, a leader answers a consumer whose Fetch (v11+) names a rack by the
/// replica it should fetch from instead (``KafkaReplication/PartitionLeaderState/preferredReadReplica(clientRack:fetchOffset:racks:now:)``):
/// that partition carries `PreferredReadReplica` and no records, as in Kafka. A follower never redirects.
struct FetchReader {
    typealias PartitionData = FetchResponse.FetchableTopicResponse.PartitionData

    let replicas: ReplicaManager
    let nodeID: Int32
    /// Below this many bytes a partition's records are copied into the response instead of sent from the file.
    var spliceThreshold: Int

    /// What one partition's read produced: the response entry (records null when they are in `slice`).
    struct PartitionRead {
        var partition: FetchSessions.Partition
        var data: PartitionData
        var slice: LogFileRange?
        var recordBytes: Int { slice?.length ?? data.records?.readableBytes ?? 0 }
    }

    func read(_ partitions: [FetchSessions.Partition], image: MetadataImage, maxBytes: Int, isolationLevel: Int8,
              fetcher: Fetcher) -> [PartitionRead] {
        var remaining = max(0, maxBytes)
        var first = true
        let follower: (id: Int32, brokerEpoch: Int64)? = if case let .follower(id, epoch) = fetcher { (id, epoch) } else { nil }
        return partitions.map { p in
            var data = PartitionData(partitionIndex: p.topicPartition.partition, highWatermark: -1, records: ByteBuffer())
            data.abortedTransactions = isolationLevel == 1 ? [] : nil
            var slice: LogFileRange?
            func fail(_ code: ErrorCode) -> PartitionRead {
                data.errorCode = code.rawValue
                return PartitionRead(partition: p, data: data, slice: nil)
            }
            func offsets(of replica: Partition) {
                let snapshot = replica.withLog { ($0.highWatermark, $0.lastStableOffset, $0.logStartOffset) }
                data.highWatermark = snapshot.0
                data.lastStableOffset = snapshot.1
                data.logStartOffset = snapshot.2
            }
            let replica: Partition
            switch lookUp(p, image: image, fetcher: fetcher) {
            case let .success(found): replica = found
            case let .failure(code): return fail(code)
            }
            if case let .consumer(client?) = fetcher, let preferred = preferredReadReplica(of: replica, for: p, client: client, image: image) {
                // Kafka's answer: where to fetch, the offsets, no records.
                offsets(of: replica)
                data.preferredReadReplica = preferred
                return PartitionRead(partition: p, data: data, slice: nil)
            }
            do {
                let limit = min(Int(max(0, p.maxBytes)), remaining)
                let now = replicas.clock.nowMs()
                let leaderEpoch = replica.leaderEpoch
                let readCommitted = isolationLevel == 1
                let outcome = try replica.withLog { log -> (fetched: FetchData?, diverging: (Int32, Int64)?, logEndOffset: Int64,
                                                            lastStableOffset: Int64, aborted: [AbortedTransaction]) in
                    // KIP-320: a fetcher whose last fetched epoch ends before its fetch offset here (or that
                    // epoch is newer than any here) diverged; it is told where that epoch ends instead.
                    if p.lastFetchedEpoch >= 0 {
                        switch LeaderFetchCheck.check(
                            currentLeaderEpoch: nil, lastFetchedEpoch: p.lastFetchedEpoch, fetchOffset: p.fetchOffset,
                            leaderEpoch: leaderEpoch, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
                            endOffsetForEpoch: { let e = log.endOffset(forLeaderEpoch: $0); return EpochEndOffset(leaderEpoch: e.leaderEpoch, endOffset: e.endOffset) }
                        ) {
                        case .read: break
                        case let .divergingEpoch(end): return (nil, (end.leaderEpoch, end.endOffset), log.logEndOffset, log.lastStableOffset, [])
                        case .error: throw LogError.offsetOutOfRange(offset: p.fetchOffset, validRange: log.logStartOffset...log.logEndOffset)
                        }
                    }
                    // Followers read up to the log end offset; consumers up to this replica's high watermark, or
                    // with read_committed up to its last stable offset, told which transactions there were
                    // aborted (all that overlap the fetch up to that offset: a consumer ignores those past
                    // the records it got).
                    let lastStable = log.lastStableOffset
                    let bound: Int64? = follower != nil ? nil : readCommitted ? lastStable : log.highWatermark
                    let fetched = try log.read(fetchOffset: p.fetchOffset, maxBytes: limit, minOneBatch: first, upperBound: bound)
                    let aborted = readCommitted && fetched.records != nil ? log.abortedTransactions(from: p.fetchOffset, upTo: lastStable) : []
                    return (fetched, nil, log.logEndOffset, lastStable, aborted)
                }
                if let (epoch, endOffset) = outcome.diverging {
                    offsets(of: replica)
                    data.divergingEpoch = .init(epoch: epoch, endOffset: endOffset)
                    return PartitionRead(partition: p, data: data, slice: nil)
                }
                let fetched = outcome.fetched!
                if let follower {
                    replica.recordFollowerFetch(replicaID: follower.id, brokerEpoch: follower.brokerEpoch, fetchOffset: p.fetchOffset,
                                                logStartOffset: p.logStartOffset, leaderLogEndOffset: outcome.logEndOffset, now: now)
                }
                // A follower's fetch may just have moved the high watermark: it learns the new one at once.
                let highWatermark = follower == nil ? fetched.highWatermark : replica.highWatermark
                data.highWatermark = highWatermark
                data.lastStableOffset = min(outcome.lastStableOffset, highWatermark)
                data.logStartOffset = fetched.logStartOffset
                if readCommitted {
                    data.abortedTransactions = outcome.aborted.map { .init(producerID: $0.producerId, firstOffset: $0.firstOffset) }
                }
                if let range = fetched.records {
                    if range.length >= spliceThreshold {
                        slice = range
                        data.records = nil
                    } else {
                        data.records = try range.readBytes()
                    }
                    remaining = max(0, remaining - range.length)
                    first = false
                }
            } catch let error as LogError {
                offsets(of: replica)
                return fail(error.errorCode)
            } catch {
                return fail(.unknownServerError)
            }
            return PartitionRead(partition: p, data: data, slice: slice)
        }
    }

    /// The local replica `p` is read from, or the partition's error: followers and consumers before Fetch
    /// v11 read from the leader only (Kafka's `fetchOnlyLeader`); a consumer's Fetch v11+ from any replica.
    private func lookUp(_ p: FetchSessions.Partition, image: MetadataImage, fetcher: Fetcher) -> Result<Partition, ErrorCode> {
        switch fetcher {
        case let .follower(id, _):
            return replicas.leader(of: p.topicPartition, image: image, nodeID: nodeID, currentLeaderEpoch: p.currentLeaderEpoch)
                .flatMap { leader in
                    // A replica fetch from a broker that is not assigned this partition.
                    leader.registration.replicas.contains(id) ? .success(leader.replica) : .failure(.notLeaderOrFollower)
                }
        case .consumer(nil):
            return replicas.leader(of: p.topicPartition, image: image, nodeID: nodeID, currentLeaderEpoch: p.currentLeaderEpoch)
                .map(\.replica)
        case .consumer(.some):
            return replicas.localReplica(of: p.topicPartition, image: image, nodeID: nodeID, currentLeaderEpoch: p.currentLeaderEpoch)
        }
    }

    /// The replica `client` should fetch `p` from instead of this node (Kafka's `findPreferredReadReplica`):
    /// only with a replica selector, only while this node leads, and never this node itself. A replica's
    /// broker counts only while it is unfenced and has an endpoint on the client's listener.
    private func preferredReadReplica(of replica: Partition, for p: FetchSessions.Partition, client: Fetcher.ClientMetadata,
                                      image: MetadataImage) -> Int32? {
        guard replicas.config.replicaSelectorClass == .rackAware, !client.rackID.isEmpty,
              let registration = image.topic(named: p.topicPartition.topic)?.partitions[p.topicPartition.partition] else { return nil }
        var racks: [Int32: String] = [:]
        for id in registration.replicas {
            guard let broker = image.brokers[id], !broker.fenced, broker.endpoint(named: client.listenerName) != nil,
                  let rack = broker.rack else { continue }
            racks[id] = rack
        }
        return replica.preferredReadReplica(clientRack: client.rackID, fetchOffset: p.fetchOffset, racks: racks, now: replicas.clock.nowMs())
    }
}
