import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// The quorum's messages: requests from other replicas (and admin clients) fed to the core and
/// answered with its reply, and the core's requests to its peers, whose responses come back as inputs.
/// Quorum Fetch answers go out as the stored batches where they line up (`fetchResponse`).
///
/// Invariant: each inbound request is answered once, by the core's reply, its timeout, or shutdown;
/// a later request that reuses a (sender, correlation id) pair supersedes the earlier one.
extension QuorumDriver {
    /// A quorum request from another replica; returns the core's answer (nil if it gave none in time).
    func receive(source: Int32, correlationID: Int32, message: RaftMessage, timeoutMs: Int64) async -> RaftMessage? {
        let key = InboundKey(source: source, correlationID: correlationID)
        if let stale = inbound.removeValue(forKey: key) { stale.continuation.resume(returning: nil) }
        guard !stopped else { return nil }
        nextInboundToken &+= 1
        let token = nextInboundToken
        return await withCheckedContinuation { continuation in
            inbound[key] = (token, continuation)
            handle(.received(RaftEnvelope(source: source, destination: localID, correlationID: correlationID, message: message)))
            if inbound[key] != nil {
                Task { [weak self] in
                    guard let clock = self?.clock else { return }
                    try? await clock.sleep(forMs: timeoutMs)
                    await self?.expire(key, token: token)
                }
            }
        }
    }

    /// Gives up on a request still waiting; a later request that reused its key is left alone.
    private func expire(_ key: InboundKey, token: UInt64) {
        guard inbound[key]?.token == token else { return }
        inbound.removeValue(forKey: key)?.continuation.resume(returning: nil)
    }

    /// An AddRaftVoter or RemoveRaftVoter from an admin client; returns the core's answer, which comes
    /// once the change commits, or nil if none came within `timeoutMs`.
    func receiveAdmin(_ message: RaftMessage, timeoutMs: Int64) async -> RaftMessage? {
        nextAdminCorrelationID &+= 1
        return await receive(source: RaftEnvelope.adminClient, correlationID: nextAdminCorrelationID, message: message, timeoutMs: timeoutMs)
    }

    /// The wire answer to a replica's Fetch: the core's answer with its entries sent as the batches
    /// stored in the metadata log when they line up (see `MetadataRaftLog.storedBatches`), else encoded.
    nonisolated func fetchResponse(_ answer: KafkaRaft.FetchResponse) throws -> KafkaProtocol.FetchResponse {
        let records = answer.records, base = answer.recordsBaseOffset
        if !records.isEmpty,
           let stored = disk.storedBatches(from: base, before: base + Int64(records.count), maxBytes: Self.fetchMaxBytes, epochAt: { offset in
               let i = Int(offset - base)
               return records.indices.contains(i) ? records[i].epoch : nil
           }) {
            var bare = answer
            bare.records = []
            var response = try RaftWire.fetchResponse(bare, entries: codec, now: clock.nowMs())
            response.responses[0].partitions[0].records = stored
            return response
        }
        return try RaftWire.fetchResponse(answer, entries: codec, now: clock.nowMs())
    }

    /// At most this many bytes of stored batches per quorum Fetch answer.
    static let fetchMaxBytes = 8 << 20

    func send(_ envelope: RaftEnvelope) {
        if !envelope.message.isRequest {
            let key = InboundKey(source: envelope.destination, correlationID: envelope.correlationID)
            inbound.removeValue(forKey: key)?.continuation.resume(returning: envelope.message)
            return
        }
        let timeout = core.config.requestTimeoutMs + core.config.fetchMaxWaitMs
        _ = peers.send(envelope, codec: codec, timeoutMs: timeout,
                       deliver: { [weak self] response in await self?.delivered(response) },
                       finished: { [weak self] token in await self?.sent(token) })
    }

    private func sent(_ token: UInt64) {
        peers.finished(token)
    }

    private func delivered(_ envelope: RaftEnvelope) {
        handle(.received(envelope))
    }
}
