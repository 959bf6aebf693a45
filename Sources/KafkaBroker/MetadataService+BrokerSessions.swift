import KafkaController
import KafkaMetadata
import KafkaProtocol

/// The controller side of the broker lifecycle: BrokerRegistration and BrokerHeartbeat at the active
/// controller, and fencing the brokers whose session expired. Sessions restart with each quorum epoch
/// (a new controller gives every broker a full session before fencing it).
extension MetadataService {
    /// BrokerRegistration at the active controller (nil: not the active controller).
    func handleBrokerRegistration(_ request: BrokerRegistrationRequest) async -> BrokerRegistrationResponse? {
        let clusterID = self.clusterID, unclean = UncleanLeaderElection(config), bootstrap = bootstrapRecords
        let response = await asController({ _, image, nextOffset in
            BrokerLifecycle.register(request, image: image, clusterID: clusterID, nextOffset: nextOffset, unclean: unclean,
                                     bootstrap: bootstrap)
        }, failing: { r, code, _ in r.errorCode = code.rawValue })
        if response?.errorCode == 0 {
            sessions.touch(request.brokerID, now: clock.nowMs())
            sessions.track(request.brokerID, image: image, offset: image.provenance.offset)
        }
        return response
    }

    /// BrokerHeartbeat at the active controller (nil: not the active controller). A heartbeat that
    /// changes nothing (the usual one) is answered from the current image at once, without queueing
    /// behind controller decisions: a long CreateTopics must not starve heartbeats into fencing.
    /// A broker that entered controlled shutdown has its offset remembered once the records that moved
    /// its leaderships are committed (see `BrokerSessions.track`).
    func handleBrokerHeartbeat(_ request: BrokerHeartbeatRequest) async -> BrokerHeartbeatResponse? {
        guard isActiveController else { return nil }
        resetSessionsIfNewEpoch()
        let known = image.brokers[request.brokerID]?.epoch == request.brokerEpoch
        sessions.touch(request.brokerID, now: clock.nowMs(), metadataOffset: known ? request.currentMetadataOffset : nil)
        let unclean = UncleanLeaderElection(config)
        let quick = BrokerLifecycle.heartbeat(request, image: image, unclean: unclean, sessions: sessions)
        var response: BrokerHeartbeatResponse? = quick.response
        if !quick.records.isEmpty {
            let sessions = self.sessions
            let wasFenced = image.brokers[request.brokerID]?.fenced
            response = await asController({ _, image in BrokerLifecycle.heartbeat(request, image: image, unclean: unclean, sessions: sessions) },
                                          failing: { r, code, _ in r.errorCode = code.rawValue })
            // Why: only the decider knows (every node logs the fencing itself as it applies it).
            if wasFenced == false, response?.errorCode == 0, image.brokers[request.brokerID]?.fenced == true {
                let why = request.wantShutDown ? "whose controlled shutdown is complete" : "that asked to be fenced"
                logger.info("fenced a broker \(why)", metadata: ["kafka.broker": "\(request.brokerID)"])
            }
        }
        if response?.errorCode == 0 { self.sessions.track(request.brokerID, image: image, offset: image.provenance.offset) }
        return response
    }

    private func resetSessionsIfNewEpoch() {
        let epoch = quorumStatus.epoch
        if epoch != sessionsEpoch {
            sessionsEpoch = epoch
            sessions.reset(brokers: image.brokers.keys, now: clock.nowMs())
        }
    }

    /// Fences brokers whose session expired; the active controller runs it every second.
    func fenceExpiredBrokers() async {
        guard isActiveController else { return }
        resetSessionsIfNewEpoch()
        let timeout = config.brokerSessionTimeoutMs
        let clock = self.clock, unclean = UncleanLeaderElection(config)
        let expired = sessions.expired(image: image, now: clock.nowMs(), sessionTimeoutMs: timeout)
        for broker in expired {
            logger.warning("fencing a broker whose session expired", metadata: ["kafka.broker": "\(broker.id)", "timeout.ms": "\(timeout)"])
            let stillExpired = { (image: MetadataImage) in
                self.sessions.expired(image: image, now: clock.nowMs(), sessionTimeoutMs: timeout).contains { $0.id == broker.id }
            }
            _ = await asController({ _, image in
                // Re-checked under the controller: a heartbeat may have arrived while this waited.
                guard stillExpired(image), let current = image.brokers[broker.id] else { return ControllerResult(response: ()) }
                return ControllerResult(records: BrokerLifecycle.fence(current, image: image, unclean: unclean), response: ())
            }, failing: { _, _, _ in })
        }
    }
}
