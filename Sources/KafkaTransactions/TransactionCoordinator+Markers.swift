import KafkaProtocol

extension TransactionCoordinator {
    /// PrepareCommit/PrepareAbort is written: the completion becomes the pending transition and the
    /// markers go out (Kafka's `prepareComplete` and `addTxnMarkersToSend`).
    mutating func startMarkers(_ transactionalID: String, coordinatorEpoch: Int32, now: Int64) -> [TransactionAction] {
        guard var m = transactions[transactionalID] else { return [] }
        let completion = m.complete(now: now)
        m.pending = completion
        transactions[transactionalID] = m
        inFlight[transactionalID] = InFlight(
            transition: completion, coordinatorEpoch: coordinatorEpoch, waiter: .none, phase: .markers)
        return sendMarkersOrComplete(transactionalID)
    }

    /// The markers for the partitions still without one, or, when none is left, the completion.
    mutating func sendMarkersOrComplete(_ transactionalID: String) -> [TransactionAction] {
        guard var flight = inFlight[transactionalID], let m = transactions[transactionalID] else { return [] }
        if m.partitions.isEmpty {
            flight.phase = .appending
            inFlight[transactionalID] = flight
            return [appendAction(transactionalID, flight.transition, coordinatorEpoch: flight.coordinatorEpoch)]
        }
        flight.phase = .markersSent
        inFlight[transactionalID] = flight
        return [.writeMarkers(TransactionMarkers(
            transactionalID: transactionalID, producerID: m.producerID, producerEpoch: m.producerEpoch,
            result: m.state == .prepareCommit ? .commit : .abort, coordinatorEpoch: flight.coordinatorEpoch,
            partitions: m.partitions))]
    }

    /// The answer to the last `.writeMarkers` of `transactionalID`, one outcome per partition.
    /// Written (or deleted) partitions leave the transaction; the others are sent again after
    /// `markerRetryBackoffMs`; a fenced coordinator stops.
    public mutating func markersWritten(transactionalID: String, coordinatorEpoch: Int32,
                                        _ outcomes: [TopicPartition: MarkerOutcome], now: Int64) -> [TransactionAction] {
        guard var flight = inFlight[transactionalID], flight.phase == .markersSent, flight.coordinatorEpoch == coordinatorEpoch,
              var m = transactions[transactionalID] else { return [] }
        var retry = false
        for (tp, outcome) in outcomes {
            switch outcome {
            case .written, .partitionDeleted:
                m.partitions.remove(tp)
            case .retry:
                retry = true
            case .fenced:
                // A newer coordinator owns this id; it completes the transaction once loaded.
                flight.phase = .fenced
                inFlight[transactionalID] = flight
                transactions[transactionalID] = m
                return []
            }
        }
        transactions[transactionalID] = m
        if retry || outcomes.isEmpty && !m.partitions.isEmpty {
            flight.phase = .markers
            inFlight[transactionalID] = flight
            retryAt[transactionalID] = now + config.markerRetryBackoffMs
            return []
        }
        return sendMarkersOrComplete(transactionalID)
    }
}
