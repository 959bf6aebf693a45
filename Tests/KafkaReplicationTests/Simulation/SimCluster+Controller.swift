import KafkaReplication

extension SimCluster {
    /// Publishes the controller's current state as the next metadata image.
    mutating func publish() {
        var statuses: [Int32: FollowerBrokerStatus] = [:]
        for id in Int32(1)...3 { statuses[id] = controller.brokerStatus(id) }
        let image = SimImage(registration: controller.registration, brokers: statuses)
        let elr = controller.eligibleLeaderReplicas
        defer { publishedELR = elr }
        if let last = images.last, last.registration == image.registration, last.brokers == image.brokers { return }
        let registration = image.registration
        if controller.electedUncleanly { uncleanLeaderEpochs.insert(registration.leaderEpoch) }
        if let last = images.last, registration.leader > 0, registration.leader != last.registration.leader {
            if publishedELR.contains(registration.leader) {
                stats.elrElections += 1
                if brokers.contains(where: { !$0.holdsCommitted }) { stats.elrElectionsAfterLoss += 1 }
            }
            if controller.electedUncleanly, brokers[index(registration.leader)].holdsCommitted { stats.harmlessUncleanElections += 1 }
        }
        if let last = images.last, registration.isr != last.registration.isr {
            // A broker admitted to the ISR by the controller (its registered incarnation: the controller
            // may still see one that crashed) holds every committed record again; not one that an unclean
            // election made the ISR.
            for id in registration.isr where !last.registration.isr.contains(id) {
                let broker = brokers[index(id)]
                guard broker.up, broker.brokerEpoch != nil, broker.brokerEpoch == statuses[id]?.aliveBrokerEpoch,
                      !(uncleanLeaderEpochs.contains(registration.leaderEpoch) && id == registration.leader) else { continue }
                broker.holdsCommitted = true
            }
        }
        images.append(image)
        log("image \(images.count): \(image.registration) fenced \(statuses.filter { $0.value.isFenced }.keys.sorted())")
    }

    mutating func controllerReceived(_ message: SimMessage, from: Int32) {
        switch message {
        case .register(let incarnation, let cleanShutdown):
            let brokerEpoch = controller.registerBroker(from, incarnation: incarnation, cleanShutdown: cleanShutdown)
            publish()
            lastHeartbeat[from] = now
            send(.registered(brokerEpoch: brokerEpoch), from: 0, to: from)
        case .heartbeat(let brokerEpoch, let appliedImages):
            guard controller.brokerStatus(from).aliveBrokerEpoch == brokerEpoch else { return }
            lastHeartbeat[from] = now
            if appliedImages >= images.count - 1, controller.unfenceBroker(from) { publish() }
        case .metadataFetch(let applied, let requestId):
            send(.metadata(images: Array(images[min(applied, images.count)...]), requestId: requestId), from: 0, to: from)
        case .alterPartition(let proposal, let brokerEpoch, let requestId):
            let before = controller.registration.isr.count
            let result = controller.alterPartition(proposal, brokerEpoch: brokerEpoch)
            if case .success = result { publish() }
            if controller.registration.isr.count > before { stats.isrExpansions += 1 }
            log("controller: \(proposal) -> \(result)")
            send(.alterPartitionAnswer(proposal, result, requestId: requestId), from: 0, to: from)
        default:
            break
        }
    }

    /// Fences the brokers whose session expired.
    mutating func controllerTick() {
        for id in Int32(1)...3 {
            let status = controller.brokerStatus(id)
            guard !status.isFenced, now - (lastHeartbeat[id] ?? 0) > config.sessionTimeoutMs else { continue }
            if controller.fenceBroker(id) {
                log("controller fences \(id)")
                publish()
            }
        }
    }
}

extension SimCluster {
    mutating func producerTick(_ index: Int) {
        var producer = producers[index]
        defer { producers[index] = producer }
        if let inFlight = producer.inFlight, now - inFlight.sentAt > 1000 { producer.inFlight = nil }
        guard producer.inFlight == nil, producer.nextSequence < config.recordsPerProducer, now >= producer.retryAt else { return }
        let leader = controller.registration.leader
        guard leader > 0 else { return }
        let id = requestId()
        producer.inFlight = InFlight(requestId: id, payload: producer.nextSequence, sentAt: now)
        send(.produce(producerId: producer.producerId, sequence: producer.nextSequence, requestId: id), from: producer.node, to: leader)
    }

    mutating func producerReceived(_ message: SimMessage, producer index: Int) {
        guard case .produceAnswer(let result, let requestId) = message, let inFlight = producers[index].inFlight,
              inFlight.requestId == requestId else { return }
        producers[index].inFlight = nil
        switch result {
        case .success(let ack):
            let producerId = producers[index].producerId
            acknowledged(producerId: producerId, sequence: inFlight.payload, offset: ack.offset, leaderEpoch: ack.leaderEpoch)
            producers[index].nextSequence += 1
            producerTick(index)
        case .failure:
            producers[index].retryAt = now + 50
            schedule(.producerRetry(index), after: 50)
        }
    }
}
