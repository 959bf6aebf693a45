import KafkaReplication

/// The modeled broker shell: what the lead's broker does around the state machines (metadata, fetch
/// serving and fetching, produce purgatory, AlterPartition round trips).
extension SimCluster {
    mutating func brokerTick(_ id: Int32) {
        let i = index(id)
        guard brokers[i].up, !brokers[i].paused else { return }
        guard let brokerEpoch = brokers[i].brokerEpoch else {
            if brokers[i].register.map({ now - $0.sentAt > 200 }) ?? true {
                brokers[i].register = InFlight(requestId: 0, payload: (), sentAt: now)
                send(.register(incarnation: brokers[i].incarnation, cleanShutdown: brokers[i].cleanShutdown), from: id, to: 0)
            }
            return
        }
        if now - brokers[i].lastHeartbeatSent >= 120 {
            brokers[i].lastHeartbeatSent = now
            send(.heartbeat(brokerEpoch: brokerEpoch, appliedImages: brokers[i].appliedImages), from: id, to: 0)
        }
        if now - brokers[i].lastMetadataFetch >= 150, brokers[i].metadataFetch.map({ now - $0.sentAt > 200 }) ?? true {
            brokers[i].lastMetadataFetch = now
            let request = requestId()
            brokers[i].metadataFetch = InFlight(requestId: request, payload: (), sentAt: now)
            send(.metadataFetch(appliedImages: brokers[i].appliedImages, requestId: request), from: id, to: 0)
        }
        switch brokers[i].role {
        case .leader(var state):
            if let alter = brokers[i].alter, now - alter.sentAt > 400 {
                brokers[i].alter = nil
                let actions = state.alterPartitionAnswered(alter.payload, result: .failure(.other(code: 7)), now: now)
                brokers[i].role = .leader(state)
                apply(actions, broker: id)
            }
            if now - brokers[i].lastShrinkCheck >= config.replicaLagTimeMaxMs / 2, var state = brokers[i].role.leaderState {
                brokers[i].lastShrinkCheck = now
                let actions = state.maybeShrinkIsr(now: now)
                brokers[i].role = .leader(state)
                apply(actions, broker: id)
            }
            let expired = brokers[i].purgatory.filter { $0.deadline <= now }
            brokers[i].purgatory.removeAll { $0.deadline <= now }
            for pending in expired {
                send(.produceAnswer(.failure(.other(code: 7)), requestId: pending.requestId), from: id, to: pending.producer)
            }
        case .follower:
            if let fetch = brokers[i].fetch, now - fetch.sentAt > 300 {
                brokers[i].fetch = nil
                if case .follower(var state) = brokers[i].role {
                    state.backOff(now: now)
                    brokers[i].role = .follower(state)
                }
            }
            if let list = brokers[i].listOffsets, now - list.sentAt > 300 { brokers[i].listOffsets = nil }
            driveFollower(id)
        case .none:
            break
        }
    }

    mutating func brokerReceived(_ message: SimMessage, from: Int32, broker id: Int32) {
        let i = index(id)
        switch message {
        case .registered(let brokerEpoch):
            guard brokers[i].brokerEpoch == nil else { return }
            brokers[i].brokerEpoch = brokerEpoch
            brokers[i].register = nil
            brokers[i].cleanShutdown = true
            log("broker \(id) registered with broker epoch \(brokerEpoch)")
        case .metadata(let newImages, let requestId):
            guard brokers[i].metadataFetch?.requestId == requestId else { return }
            brokers[i].metadataFetch = nil
            guard brokers[i].brokerEpoch != nil, let image = newImages.last else { return }
            brokers[i].appliedImages += newImages.count
            applyImage(image, broker: id)
        case .fetch(let brokerEpoch, let request, let requestId):
            serveFetch(request, brokerEpoch: brokerEpoch, from: from, requestId: requestId, broker: id)
        case .fetchAnswer(let request, let response, let records, let requestId):
            guard brokers[i].fetch?.requestId == requestId else { return }
            brokers[i].fetch = nil
            fetchAnswered(request, response, records: records, broker: id)
        case .listOffsets(let currentLeaderEpoch, let requestId):
            let answer: Result<(logStartOffset: Int64, logEndOffset: Int64), ReplicationError>
            if let state = brokers[i].role.leaderState {
                answer = state.leaderEpoch > currentLeaderEpoch ? .failure(.fencedLeaderEpoch)
                    : state.leaderEpoch < currentLeaderEpoch ? .failure(.unknownLeaderEpoch)
                    : .success((0, brokers[i].log.logEndOffset))
            } else {
                answer = .failure(.notLeaderOrFollower)
            }
            send(.listOffsetsAnswer(answer, currentLeaderEpoch: currentLeaderEpoch, requestId: requestId), from: id, to: from)
        case .listOffsetsAnswer(let answer, let epoch, let requestId):
            guard brokers[i].listOffsets?.requestId == requestId, case .follower(var state) = brokers[i].role else { return }
            brokers[i].listOffsets = nil
            switch answer {
            case .success(let offsets):
                let resolution = state.leaderOffsetsListed(
                    leaderLogStartOffset: offsets.logStartOffset, leaderLogEndOffset: offsets.logEndOffset,
                    localLogEndOffset: brokers[i].log.logEndOffset, localLatestEpoch: brokers[i].log.latestEpoch)
                log("broker \(id) out of range, leader offsets \(offsets): \(resolution)")
            case .failure(let error):
                _ = state.leaderOffsetsFailed(error, requestLeaderEpoch: epoch, now: now)
            }
            brokers[i].role = .follower(state)
            driveFollower(id)
        case .alterPartitionAnswer(let proposal, let result, let requestId):
            guard brokers[i].alter?.requestId == requestId else { return }
            brokers[i].alter = nil
            guard case .leader(var state) = brokers[i].role else { return }
            let actions = state.alterPartitionAnswered(proposal, result: result, now: now)
            brokers[i].role = .leader(state)
            apply(actions, broker: id)
            settlePurgatory(id)
        case .produce(let producerId, let sequence, let requestId):
            serveProduce(producerId: producerId, sequence: sequence, requestId: requestId, from: from, broker: id)
        default:
            break
        }
    }

    /// Applies a metadata image: leadership, ISR and broker statuses (Kafka's `applyDelta` for one partition).
    mutating func applyImage(_ image: SimImage, broker id: Int32) {
        let i = index(id)
        brokers[i].statuses = image.brokers
        let registration = image.registration
        switch brokers[i].role {
        case .leader(var state) where registration.leader == id:
            for follower in state.followers.keys { state.brokerStatusChanged(replicaId: follower, to: image.brokers[follower] ?? FollowerBrokerStatus(aliveBrokerEpoch: nil)) }
            let actions = state.applyRegistration(registration, now: now)
            brokers[i].role = .leader(state)
            apply(actions, broker: id)
            settlePurgatory(id)
        case _ where registration.leader == id:
            guard let brokerEpoch = brokers[i].brokerEpoch else { return }
            brokers[i].log.assignEpoch(registration.leaderEpoch, startOffset: brokers[i].log.logEndOffset)
            let state = PartitionLeaderState(
                localBrokerId: id, localBrokerEpoch: brokerEpoch, registration: registration,
                logEndOffset: brokers[i].log.logEndOffset, highWatermark: brokers[i].log.highWatermark, now: now,
                minInsyncReplicas: config.minInsyncReplicas, replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
                brokerStatus: image.brokers)
            brokers[i].fetch = nil
            brokers[i].listOffsets = nil
            brokers[i].role = .leader(state)
            brokers[i].log.highWatermark = state.highWatermark
            stats.leaderEpochs += 1
            log("broker \(id) leads epoch \(registration.leaderEpoch) from offset \(state.leaderEpochStartOffset), hw \(state.highWatermark)")
            becameLeader(id)
        default:
            if case .leader = brokers[i].role {
                log("broker \(id) resigns for \(registration)")
                for pending in brokers[i].purgatory {
                    send(.produceAnswer(.failure(.notLeaderOrFollower), requestId: pending.requestId), from: id, to: pending.producer)
                }
                brokers[i].purgatory = []
                brokers[i].alter = nil
                brokers[i].role = .none
            }
            guard registration.leader > 0, registration.replicas.contains(id) else {
                brokers[i].role = .none
                return
            }
            let log = brokers[i].log
            if case .follower(var state) = brokers[i].role {
                if state.leaderChanged(leaderId: registration.leader, leaderEpoch: registration.leaderEpoch,
                                       logEndOffset: log.logEndOffset, latestEpoch: log.latestEpoch, highWatermark: log.highWatermark) {
                    brokers[i].fetch = nil
                    brokers[i].listOffsets = nil
                }
                brokers[i].role = .follower(state)
            } else {
                brokers[i].role = .follower(FollowerFetchState(
                    leaderId: registration.leader, leaderEpoch: registration.leaderEpoch, logEndOffset: log.logEndOffset,
                    latestEpoch: log.latestEpoch, highWatermark: log.highWatermark, fetchBackoffMs: config.fetchBackoffMs))
            }
        }
        dirty.insert(id)
    }

    /// Performs the leader's actions.
    mutating func apply(_ actions: [PartitionLeaderAction], broker id: Int32) {
        let i = index(id)
        for action in actions {
            switch action {
            case .highWatermarkAdvanced(let highWatermark):
                brokers[i].log.highWatermark = highWatermark
                dirty.insert(id)
                leaderHighWatermarkAdvanced(id, to: highWatermark)
                settlePurgatory(id)
            case .sendAlterPartition(let proposal):
                let request = requestId()
                brokers[i].alter = InFlight(requestId: request, payload: proposal, sentAt: now)
                if let state = brokers[i].role.leaderState, case .shrink? = state.pendingIsrChange?.kind { stats.isrShrinks += 1 }
                log("broker \(id) proposes \(proposal)")
                send(.alterPartition(proposal, brokerEpoch: brokers[i].brokerEpoch ?? -1, requestId: request), from: id, to: 0)
            case .leaderEpochStarted(let epoch, let startOffset):
                brokers[i].log.assignEpoch(epoch, startOffset: startOffset)
                becameLeader(id)
            case .resigned:
                brokers[i].role = .none
            }
        }
    }

    /// Answers the produces whose acks=all outcome is settled.
    mutating func settlePurgatory(_ id: Int32) {
        let i = index(id)
        guard let state = brokers[i].role.leaderState else { return }
        var waiting: [PendingProduce] = []
        for pending in brokers[i].purgatory {
            switch state.acksAllOutcome(requiredOffset: pending.offset + 1, minInsyncReplicas: config.minInsyncReplicas) {
            case .notYet:
                waiting.append(pending)
            case .done:
                send(.produceAnswer(.success(AckedAt(offset: pending.offset, leaderEpoch: state.leaderEpoch)), requestId: pending.requestId),
                     from: id, to: pending.producer)
            case .notEnoughReplicasAfterAppend:
                send(.produceAnswer(.failure(.notEnoughReplicasAfterAppend), requestId: pending.requestId), from: id, to: pending.producer)
            }
        }
        brokers[i].purgatory = waiting
    }

    mutating func serveProduce(producerId: Int64, sequence: Int32, requestId: Int, from: Int32, broker id: Int32) {
        let i = index(id)
        guard case .leader(var state) = brokers[i].role else {
            send(.produceAnswer(.failure(.notLeaderOrFollower), requestId: requestId), from: id, to: from)
            return
        }
        if let error = state.minIsrCheck(requiredAcks: -1, minInsyncReplicas: config.minInsyncReplicas) {
            send(.produceAnswer(.failure(error), requestId: requestId), from: id, to: from)
            return
        }
        let (existing, lastSequence) = brokers[i].log.producerState(producerId, sequence: sequence)
        let offset: Int64
        if let existing {
            offset = existing
        } else if sequence == (lastSequence ?? -1) + 1 {
            offset = brokers[i].log.logEndOffset
            brokers[i].log.append(SimRecord(leaderEpoch: state.leaderEpoch, producerId: producerId, sequence: sequence))
            dirty.insert(id)
            let actions = state.leaderAppended(logEndOffset: brokers[i].log.logEndOffset, now: now)
            brokers[i].role = .leader(state)
            apply(actions, broker: id)
        } else {
            send(.produceAnswer(.failure(.other(code: 45)), requestId: requestId), from: id, to: from)
            return
        }
        brokers[i].purgatory.append(PendingProduce(producer: from, requestId: requestId, offset: offset, deadline: now + 800))
        settlePurgatory(id)
    }

    /// The leader serves a follower's Fetch (Kafka's `fetchRecords` for a follower).
    mutating func serveFetch(_ request: FetchPartitionRequest, brokerEpoch: Int64, from: Int32, requestId: Int, broker id: Int32) {
        let i = index(id)
        guard case .leader(var state) = brokers[i].role else {
            send(.fetchAnswer(request, FetchPartitionResponse(error: .notLeaderOrFollower), records: [], requestId: requestId), from: id, to: from)
            return
        }
        let log = brokers[i].log
        let check = LeaderFetchCheck.check(
            currentLeaderEpoch: request.currentLeaderEpoch, lastFetchedEpoch: request.lastFetchedEpoch,
            fetchOffset: request.fetchOffset, leaderEpoch: state.leaderEpoch, logStartOffset: 0,
            logEndOffset: log.logEndOffset, endOffsetForEpoch: log.endOffset(for:))
        switch check {
        case .error(let error):
            send(.fetchAnswer(request, FetchPartitionResponse(error: error), records: [], requestId: requestId), from: id, to: from)
        case .divergingEpoch(let diverging):
            let response = FetchPartitionResponse(highWatermark: log.highWatermark, logStartOffset: 0, divergingEpoch: diverging)
            send(.fetchAnswer(request, response, records: [], requestId: requestId), from: id, to: from)
        case .read:
            let end = min(log.logEndOffset, request.fetchOffset + Int64(config.maxFetchRecords))
            let records = Array(log.records[Int(request.fetchOffset)..<Int(end)])
            let response = FetchPartitionResponse(highWatermark: log.highWatermark, logStartOffset: 0)
            let fetch = FollowerFetch(
                replicaId: from, brokerEpoch: brokerEpoch, fetchOffset: request.fetchOffset,
                logStartOffset: request.logStartOffset, leaderLogEndOffset: log.logEndOffset,
                brokerStatus: brokers[i].statuses[from] ?? FollowerBrokerStatus(aliveBrokerEpoch: nil))
            do {
                let actions = try state.followerFetched(fetch, now: now)
                brokers[i].role = .leader(state)
                apply(actions, broker: id)
                send(.fetchAnswer(request, response, records: records, requestId: requestId), from: id, to: from)
            } catch {
                send(.fetchAnswer(request, FetchPartitionResponse(error: error), records: [], requestId: requestId), from: id, to: from)
            }
        }
    }

    /// The follower handles its Fetch answer (Kafka's `processFetchRequest` and `processPartitionData`).
    mutating func fetchAnswered(_ request: FetchPartitionRequest, _ response: FetchPartitionResponse, records: [SimRecord], broker id: Int32) {
        let i = index(id)
        guard case .follower(var state) = brokers[i].role else { return }
        let localLog = brokers[i].log
        let decision = state.handleResponse(
            to: request, response, localLogEndOffset: localLog.logEndOffset, now: now, endOffsetForEpoch: localLog.endOffset(for:))
        switch decision {
        case .append:
            guard request.fetchOffset == brokers[i].log.logEndOffset else {
                fail("broker \(id) appends fetched records at \(request.fetchOffset) but its log ends at \(brokers[i].log.logEndOffset)")
                return
            }
            for record in records { appendChecked(record, broker: id) }
            let highWatermark = state.appended(
                logEndOffset: brokers[i].log.logEndOffset, latestEpoch: records.last?.leaderEpoch, logStartOffset: 0,
                leaderHighWatermark: response.highWatermark)
            brokers[i].log.highWatermark = highWatermark
            dirty.insert(id)
            if records.isEmpty { brokers[i].fetchIdleUntil = now + 60 }
        case .truncate(let offset):
            log("broker \(id) diverges at \(response.divergingEpoch.map(String.init(describing:)) ?? "?"), truncates to \(offset) (sent \(request), log epochs \(brokers[i].log.epochs), end \(brokers[i].log.logEndOffset))")
        case .backOff, .awaitMetadata, .ignore, .listLeaderOffsets:
            break
        }
        brokers[i].role = .follower(state)
        driveFollower(id)
    }

    /// Appends a record, checking that its producer sequence is not already in the log.
    mutating func appendChecked(_ record: SimRecord, broker id: Int32) {
        let i = index(id)
        if brokers[i].log.producerState(record.producerId, sequence: record.sequence).offset != nil {
            fail("broker \(id) would hold \(record) twice")
        }
        brokers[i].log.append(record)
        dirty.insert(id)
    }

    /// Carries out the follower's next steps until it waits on the network, a timer or metadata.
    mutating func driveFollower(_ id: Int32) {
        let i = index(id)
        while case .follower(var state) = brokers[i].role {
            switch state.nextStep(now: now, logStartOffset: 0) {
            case .fetch(let request):
                guard brokers[i].fetch == nil, now >= brokers[i].fetchIdleUntil, let brokerEpoch = brokers[i].brokerEpoch else { return }
                let id2 = requestId()
                brokers[i].fetch = InFlight(requestId: id2, payload: request, sentAt: now)
                send(.fetch(brokerEpoch: brokerEpoch, request, requestId: id2), from: id, to: state.leaderId)
                return
            case .truncate(let offset):
                stats.truncations += 1
                brokers[i].log.truncate(to: offset)
                state.truncated(logEndOffset: brokers[i].log.logEndOffset, latestEpoch: brokers[i].log.latestEpoch)
                brokers[i].role = .follower(state)
                dirty.insert(id)
            case .truncateFullyAndStartAt(let offset):
                fail("broker \(id) told to restart its log at \(offset), but every log starts at 0")
                return
            case .listLeaderOffsets(let epoch):
                guard brokers[i].listOffsets == nil else { return }
                let id2 = requestId()
                brokers[i].listOffsets = InFlight(requestId: id2, payload: epoch, sentAt: now)
                send(.listOffsets(currentLeaderEpoch: epoch, requestId: id2), from: id, to: state.leaderId)
                return
            case .wait, .awaitMetadata:
                return
            }
        }
    }
}
