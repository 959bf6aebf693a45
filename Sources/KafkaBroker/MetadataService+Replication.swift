import KafkaController
import KafkaMetadata
import KafkaProtocol

/// The controller's side of replication: AlterPartition from partition leaders, ElectLeaders from
/// administrators, and the active controller's periodic elections (preferred leaders back, unclean
/// elections for leaderless partitions of topics that allow them).
extension MetadataService {
    /// AlterPartition, sent by a partition leader to the active controller (`version` is the one the
    /// request is sent in: it decides names vs ids and plain vs epoch-carrying ISRs). Runs here when this
    /// node is the active controller, else goes to it; top-level NOT_CONTROLLER when none answered in
    /// time. The answer comes once the change is committed and replayed here.
    public func alterPartition(_ request: AlterPartitionRequest, version: Int16 = AlterPartitionRequest.validVersions.upperBound) async
        -> AlterPartitionResponse {
        let answer = await controllerCall(request, version: version,
                                          local: { await self.alterPartitionAsController(request, version: version) },
                                          notController: { $0.errorCode == ErrorCode.notController.rawValue })
        return answer ?? AlterPartitionResponse(errorCode: ErrorCode.notController.rawValue)
    }

    /// AlterPartition at the active controller (nil: not the active controller). A commit that fails
    /// answers with its error for the whole request.
    func alterPartitionAsController(_ request: AlterPartitionRequest, version: Int16) async -> AlterPartitionResponse? {
        let unclean = UncleanLeaderElection(config)
        return await asController({ _, image in AlterPartition.alter(request, version: version, image: image, unclean: unclean) },
                                  failing: { response, code, _ in response = AlterPartitionResponse(errorCode: code.rawValue) })
    }

    /// ElectLeaders from a client: decided by the active controller, forwarded to it when that is not
    /// this node (as CreatePartitions). NOT_CONTROLLER everywhere when none answered in time.
    /// Goes to the controller in the latest version (v0's implied preferred election made explicit), so
    /// a NOT_CONTROLLER answer is always visible at the top level.
    public func electLeaders(_ request: ElectLeadersRequest, version: Int16) async -> ElectLeadersResponse {
        var explicit = request
        if version < 1 { explicit.electionType = 0 }
        let forwarded = explicit, latest = ElectLeadersRequest.validVersions.upperBound
        let answer = await controllerCall(forwarded, version: latest,
                                          local: { await self.electLeadersAsController(forwarded, version: latest) },
                                          notController: { r in
                                              r.errorCode == ErrorCode.notController.rawValue
                                                  || r.replicaElectionResults.contains { $0.partitionResult.contains { $0.errorCode == ErrorCode.notController.rawValue } }
                                          })
        return answer ?? Self.failedElections(request, code: .notController, message: "No active controller answered in time")
    }

    /// ElectLeaders at the active controller (nil: not the active controller).
    func electLeadersAsController(_ request: ElectLeadersRequest, version: Int16) async -> ElectLeadersResponse? {
        await asController({ _, image in ElectLeaders.elect(request, version: version, image: image) },
                           failing: { response, code, message in
            for t in response.replicaElectionResults.indices {
                for p in response.replicaElectionResults[t].partitionResult.indices
                    where response.replicaElectionResults[t].partitionResult[p].errorCode == 0 {
                    response.replicaElectionResults[t].partitionResult[p].errorCode = code.rawValue
                    response.replicaElectionResults[t].partitionResult[p].errorMessage = message
                }
            }
        })
    }

    /// Every partition named in `request` with `code`, and `code` for the whole request.
    static func failedElections(_ request: ElectLeadersRequest, code: ErrorCode, message: String) -> ElectLeadersResponse {
        ElectLeadersResponse(errorCode: code.rawValue, replicaElectionResults: (request.topicPartitions ?? []).map { t in
            .init(topic: t.topic, partitionResult: t.partitions.map { .init(partitionID: $0, errorCode: code.rawValue, errorMessage: message) })
        })
    }

    /// Kafka's controller looks for leaderless partitions to elect uncleanly this often.
    static let uncleanElectionIntervalMs: Int64 = 300_000

    /// The active controller's periodic elections, run from the node's controller duties: every
    /// `leader.imbalance.check.interval.seconds` the automatic preferred leader rebalance (when
    /// `auto.leader.rebalance.enable`), every 5 minutes unclean elections for leaderless partitions of
    /// topics that allow them. Both wait a full interval after this node becomes the active controller.
    func runPeriodicElections() async {
        guard isActiveController else {
            nextLeaderRebalanceMs = nil
            nextUncleanElectionMs = nil
            return
        }
        let now = clock.nowMs()
        let rebalanceIntervalMs = config.leaderImbalanceCheckIntervalSeconds * 1_000
        guard let rebalanceAt = nextLeaderRebalanceMs, let uncleanAt = nextUncleanElectionMs else {
            nextLeaderRebalanceMs = now + rebalanceIntervalMs
            nextUncleanElectionMs = now + Self.uncleanElectionIntervalMs
            return
        }
        if now >= rebalanceAt {
            nextLeaderRebalanceMs = now + rebalanceIntervalMs
            if config.autoLeaderRebalanceEnable {
                let percentage = config.leaderImbalancePerBrokerPercentage
                let elected = await asController({ _, image in
                    let records = LeaderRebalance.elections(image: image, imbalancePercentage: percentage)
                    return ControllerResult(records: records, response: records.count)
                }, failing: { _, _, _ in })
                if let elected, elected > 0 {
                    logger.info("moved leaderships back to preferred replicas", metadata: ["kafka.partitions": "\(elected)"])
                    // Kafka goes on at once when it stopped at its per-round limit.
                    if elected >= LeaderRebalance.maxElections { nextLeaderRebalanceMs = now }
                }
            }
        }
        if now >= uncleanAt {
            nextUncleanElectionMs = now + Self.uncleanElectionIntervalMs
            let unclean = UncleanLeaderElection(config)
            let elected = await asController({ _, image in
                let records = ElectLeaders.uncleanElectionsForLeaderless(image: image, unclean: unclean)
                return ControllerResult(records: records, response: records.count)
            }, failing: { _, _, _ in })
            if let elected, elected > 0 {
                logger.warning("elected leaders outside the ISR (unclean leader election): records may be lost",
                               metadata: ["kafka.partitions": "\(elected)"])
            }
        }
    }
}
