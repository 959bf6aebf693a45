import KafkaReplication

/// The safety invariants, checked after every event (incrementally: each on what the event changed).
/// - At most one leader per leader epoch.
/// - Within a leadership the high watermark never decreases and never passes the leader's log end offset.
/// - Every record acknowledged with acks=all stays at its offset in every later leader's log (checked when a
///   leadership starts, and at each acknowledgement against every leader of that epoch or later).
/// - Any two replicas hold identical records below the smaller of their high watermarks.
/// - No log holds a (producer id, sequence) twice.
extension SimCluster {
    mutating func becameLeader(_ id: Int32) {
        guard let state = brokers[index(id)].leaderState else { return }
        if let other = leaderOfEpoch[state.leaderEpoch], other != id {
            fail("leader epoch \(state.leaderEpoch) has two leaders: \(other) and \(id)")
        }
        leaderOfEpoch[state.leaderEpoch] = id
        for record in acked { checkHolds(record, broker: id, why: "new leader \(id) in epoch \(state.leaderEpoch)") }
    }

    mutating func leaderHighWatermarkAdvanced(_ id: Int32, to highWatermark: Int64) {
        let i = index(id)
        guard let state = brokers[i].leaderState else { return }
        let key = "\(id)/\(brokers[i].incarnation)/\(state.leaderEpoch)"
        if let previous = leadershipHighWatermark[key], previous >= highWatermark {
            fail("leader \(id) in epoch \(state.leaderEpoch) moved its high watermark from \(previous) to \(highWatermark)")
        }
        if highWatermark > brokers[i].log.logEndOffset {
            fail("leader \(id) high watermark \(highWatermark) beyond its log end offset \(brokers[i].log.logEndOffset)")
        }
        leadershipHighWatermark[key] = highWatermark
    }

    mutating func acknowledged(producerId: Int64, sequence: Int32, offset: Int64) {
        let epoch = brokers.compactMap { broker -> Int32? in
            guard broker.up, let state = broker.leaderState, broker.log.records.indices.contains(Int(offset)),
                  broker.log.records[Int(offset)].producerId == producerId,
                  broker.log.records[Int(offset)].sequence == sequence else { return nil }
            return state.leaderEpoch
        }.min() ?? -1
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
        for id in dirty.sorted() {
            let log = brokers[index(id)].log
            if log.highWatermark > log.logEndOffset {
                fail("broker \(id) high watermark \(log.highWatermark) beyond its log end offset \(log.logEndOffset)")
            }
            for other in brokers where other.id != id {
                let bound = Int(min(log.highWatermark, other.log.highWatermark))
                for offset in 0..<bound where log.records[offset] != other.log.records[offset] {
                    fail("brokers \(id) and \(other.id) differ at offset \(offset) below both high watermarks "
                        + "(\(log.highWatermark), \(other.log.highWatermark)): \(log.records[offset]) vs \(other.log.records[offset])")
                    return
                }
            }
        }
    }
}
