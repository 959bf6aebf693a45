import KafkaLog
import KafkaProtocol

/// ListOffsets (v1-9): earliest (-2), latest (-1: the high watermark, which is also the last
/// stable offset as Strom has no transactions), max timestamp (-3, v7+), earliest local (-4, v8+),
/// latest tiered (-5, v9+: none without tiered storage), or the first offset whose timestamp is at
/// least the given one.
struct ListOffsetsHandler: RequestHandler {
    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: ListOffsetsRequest, context: RequestContext) async -> ListOffsetsResponse? {
        let image = metadata.image
        var response = ListOffsetsResponse()
        for topic in request.topics {
            var t = ListOffsetsResponse.ListOffsetsTopicResponse(name: topic.name)
            for p in topic.partitions {
                var r = ListOffsetsResponse.ListOffsetsTopicResponse.ListOffsetsPartitionResponse(partitionIndex: p.partitionIndex)
                let tp = TopicPartition(topic.name, p.partitionIndex)
                if let registration = image.topic(named: topic.name)?.partitions[p.partitionIndex] {
                    if registration.leader != nodeID {
                        r.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                    } else if p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < registration.leaderEpoch {
                        r.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                    } else if p.currentLeaderEpoch > registration.leaderEpoch {
                        r.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                    } else if let replica = replicas.replica(tp) {
                        do {
                            let found: TimestampAndOffset? = try replica.withLog { log in
                                switch p.timestamp {
                                case PartitionLog.latestTimestamp: return TimestampAndOffset(timestamp: -1, offset: log.highWatermark)
                                case -4: return TimestampAndOffset(timestamp: -1, offset: log.logStartOffset)
                                case -5: return nil
                                default: return try log.offsetForTimestamp(p.timestamp)
                                }
                            }
                            r.timestamp = found?.timestamp ?? -1
                            r.offset = found?.offset ?? -1
                            if context.apiVersion >= 4 { r.leaderEpoch = found == nil ? -1 : registration.leaderEpoch }
                        } catch let error as LogError {
                            r.errorCode = error.errorCode.rawValue
                        } catch {
                            r.errorCode = ErrorCode.unknownServerError.rawValue
                        }
                    } else {
                        r.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                    }
                } else {
                    r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}

/// DeleteRecords (v0-2): moves each partition's log start offset up to the given offset (-1: the
/// high watermark); beyond the high watermark is OFFSET_OUT_OF_RANGE. Answers the new low watermark.
struct DeleteRecordsHandler: RequestHandler {
    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: DeleteRecordsRequest, context: RequestContext) async -> DeleteRecordsResponse? {
        let image = metadata.image
        var response = DeleteRecordsResponse()
        for topic in request.topics {
            var t = DeleteRecordsResponse.DeleteRecordsTopicResult(name: topic.name)
            for p in topic.partitions {
                var r = DeleteRecordsResponse.DeleteRecordsTopicResult.DeleteRecordsPartitionResult(partitionIndex: p.partitionIndex, lowWatermark: -1)
                let tp = TopicPartition(topic.name, p.partitionIndex)
                if image.topic(named: topic.name)?.partitions[p.partitionIndex] == nil {
                    r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                } else if let replica = replicas.replica(tp), image.topic(named: topic.name)?.partitions[p.partitionIndex]?.leader == nodeID {
                    do {
                        r.lowWatermark = try replica.withLog { log in
                            try log.deleteRecords(before: p.offset == -1 ? log.highWatermark : p.offset)
                        }
                    } catch let error as LogError {
                        r.errorCode = error.errorCode.rawValue
                    } catch {
                        r.errorCode = ErrorCode.unknownServerError.rawValue
                    }
                } else {
                    r.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}
