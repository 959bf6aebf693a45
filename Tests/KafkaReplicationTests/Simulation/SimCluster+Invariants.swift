import KafkaReplication

/// The safety invariants, checked after every event (incrementally: each on what the event changed).
/// - At most one leader per leader epoch.
/// - Within a leadership the high watermark never decreases and never passes the leader's log end offset.
/// - Every record acknowledged with acks=all stays at its offset in the log of every leader of its leader epoch
///   or a later one (checked when a leadership starts, and at each acknowledgement against every leader of
///   that epoch or later), leaders elected from KIP-966's eligible leader replicas included. The exception:
///   an unclean election of a replica that lost records in a crash (Kafka's last known leader, with the ISR
///   and the ELR empty), a loss Kafka accepts (`lossyUncleanElection`: the run stops there).
/// - Any two replicas hold identical records below the smaller of their high watermarks.
/// - No log holds a (producer id, sequence) twice.
extension SimCluster {
    mutating func becameLeader(_ id: Int32) {
        guard let state = brokers[index(id)].role.leaderState else { return }
        if let other = leaderOfEpoch[state.leaderEpoch], other != id {
            fail("leader epoch \(state.leaderEpoch) has two leaders: \(other) and \(id)")
        }
        leaderOfEpoch[state.leaderEpoch] = id
        if uncleanLeaderEpochs.contains(state.leaderEpoch), !brokers[index(id)].holdsCommitted {
            let lost = acked.first { $0.leaderEpoch <= state.leaderEpoch && !holds($0, broker: id) }
            if lost != nil { stats.lossyUncleanElectionsLosingAcks += 1 }
            lossyUncleanElection = "t=\(now): broker \(id) lost records in a crash and leads epoch \(state.leaderEpoch) by an unclean election"
                + (lost.map { ", without acknowledged p\($0.producerId)#\($0.sequence) at \($0.offset)" } ?? "")
            log("lossy unclean election: \(lossyUncleanElection!)")
            return
        }
        // A leader of an older epoch (a broker applying metadata late) need not hold what later ones acknowledged.
        for record in acked where record.leaderEpoch <= state.leaderEpoch {
            checkHolds(record, broker: id, why: "new leader \(id) in epoch \(state.leaderEpoch)")
        }
    }

    mutating func leaderHighWatermarkAdvanced(_ id: Int32, to highWatermark: Int64) {
        let i = index(id)
        guard let state = brokers[i].role.leaderState else { return }
        let key = "\(id)/\(brokers[i].incarnation)/\(state.leaderEpoch)"
        if let previous = leadershipHighWatermark[key], previous >= highWatermark {
            fail("leader \(id) in epoch \(state.leaderEpoch) moved its high watermark from \(previous) to \(highWatermark)")
        }
        if highWatermark > brokers[i].log.logEndOffset {
            fail("leader \(id) high watermark \(highWatermark) beyond its log end offset \(brokers[i].log.logEndOffset)")
        }
        leadershipHighWatermark[key] = highWatermark
    }

    mutating func acknowledged(producerId: Int64, sequence: Int32, offset: Int64, leaderEpoch epoch: Int32) {
        let record = AckedRecord(producerId: producerId, sequence: sequence, offset: offset, leaderEpoch: epoch)
        acked.append(record)
        stats.acked += 1
        log("acked p\(producerId)#\(sequence) at \(offset) (epoch \(epoch))")
        for broker in brokers where broker.up {
            if let state = broker.leaderState, state.leaderEpoch >= epoch {
                checkHolds(record, broker: broker.id, why: "leader \(broker.id) of epoch \(state.leaderEpoch) at the ack")
            }
        }
    }

    func holds(_ record: AckedRecord, broker id: Int32) -> Bool {
        let records = brokers[index(id)].log.records
        let offset = Int(record.offset)
        return records.indices.contains(offset) && records[offset].producerId == record.producerId
            && records[offset].sequence == record.sequence
    }

    mutating func checkHolds(_ record: AckedRecord, broker id: Int32, why: String) {
        let records = brokers[index(id)].log.records
        let offset = Int(record.offset)
        guard records.indices.contains(offset), records[offset].producerId == record.producerId,
              records[offset].sequence == record.sequence else {
            fail("\(why) lacks acknowledged p\(record.producerId)#\(record.sequence) at \(record.offset): "
                + "has \(records.indices.contains(offset) ? String(describing: records[offset]) : "nothing")")
            return
        }
    }

    mutating func checkInvariants() {
        guard failure == nil else { return }
        guard !dirty.isEmpty else { return }
        for id in dirty.sorted() {
            let i = index(id)
            let highWatermark = brokers[i].log.highWatermark
            if highWatermark > brokers[i].log.logEndOffset {
                fail("broker \(id) high watermark \(highWatermark) beyond its log end offset \(brokers[i].log.logEndOffset)")
            }
            for j in brokers.indices where j != i {
                let otherHighWatermark = brokers[j].log.highWatermark
                let bound = Int(min(highWatermark, otherHighWatermark))
                guard bound > 0, brokers[i].log.records[..<bound] != brokers[j].log.records[..<bound] else { continue }
                let offset = (0..<bound).first { brokers[i].log.records[$0] != brokers[j].log.records[$0] }!
                fail("brokers \(id) and \(j + 1) differ at offset \(offset) below both high watermarks "
                    + "(\(highWatermark), \(otherHighWatermark)): \(brokers[i].log.records[offset]) vs \(brokers[j].log.records[offset])")
                return
            }
        }
    }
}

/// Liveness once the faults stop: the partition converges unless it is offline for good (nothing left to
/// elect but by an unclean election, which the simulation does not make: `isOfflineForGood`).
extension SimCluster {
    /// nil when converged: every producer's records acknowledged, the registered leader leads its epoch with
    /// all three replicas in its committed ISR, and every replica holds the leader's log with the high
    /// watermark at its end.
    func convergenceProblem() -> String? {
        let registration = controller.registration
        if controller.isOfflineForGood { return nil }
        guard registration.leader > 0 else { return "no leader: \(registration)" }
        let leader = brokers[index(registration.leader)]
        guard let state = leader.role.leaderState, state.leaderEpoch == registration.leaderEpoch else {
            return "broker \(registration.leader) does not lead epoch \(registration.leaderEpoch) yet"
        }
        if state.isr.count != 3 { return "leader's ISR \(state.isr.sorted())" }
        if let producer = producers.first(where: { $0.nextSequence < config.recordsPerProducer }) {
            return "producer \(producer.producerId) at sequence \(producer.nextSequence)"
        }
        for broker in brokers {
            if broker.log.records != leader.log.records || broker.log.highWatermark != leader.log.logEndOffset {
                return "broker \(broker.id) log end \(broker.log.logEndOffset) hw \(broker.log.highWatermark), leader's end \(leader.log.logEndOffset)"
            }
        }
        return nil
    }
}
