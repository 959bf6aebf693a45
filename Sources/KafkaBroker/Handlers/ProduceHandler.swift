import KafkaController
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore

/// Produce (v0-2 carry legacy message sets, up-converted to v2 batches): validates each partition's batch, appends it (idempotent producers are checked
/// by sequence; a retried batch is acknowledged with its original offsets, not written twice) and,
/// for acks=all, makes it durable before answering unless a flush policy is configured. acks=0 gets
/// no response. Per-partition errors: INVALID_TOPIC_EXCEPTION for internal topics (`__consumer_offsets` and
/// the like, which only the broker writes), UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, and those
/// of `LogValidator` and the log (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, …).
///
/// Authorization, as Kafka's: transactional records need a transactional id with WRITE on it, else
/// every partition is TRANSACTIONAL_ID_AUTHORIZATION_FAILED; a topic without WRITE is
/// TOPIC_AUTHORIZATION_FAILED (decided before whether it exists).
///
/// v13 (Kafka 4.1, KIP-516) names topics by id, in the request and the answer (`ProduceHandler+TopicIDs`).
///
/// `producer_byte_rate` counts the request's bytes (`ClientQuotaManager`): over the quota, the answer
/// carries the throttle time and the connection is muted for it, as Kafka does; the records are
/// appended all the same.
///
/// Order of work: every partition is validated and appended first (page cache writes, under each
/// partition's lock, all in one job on the blocking-I/O executor), then for acks=all the partitions that
/// need it are synced in parallel and without their locks (`PendingFlush`), so a request for n
/// partitions waits for about one sync, not n, and fetches and other producers are not held up by it.
/// A request with one partition to sync has it synced by the job that appended it, once the connection
/// is released (the sync starts as the append ends). Validation runs ahead of the request's turn, in a
/// job of its own, while the request before it appends; when the turn has come by the end of that job,
/// the same job appends, else the request before hands the append to the executor as it releases the
/// connection, with no task resumed in between (`validateAndAppend`; a transactional request waits in
/// its task, as it verifies its transaction once its turn came). The high watermark of an acks=all append
/// that needs a flush advances only after the flush. (An acks=1 append to the same partition meanwhile
/// advances it to the log end offset, exposing the unsynced records too, as on a Kafka broker, where
/// the high watermark never waits for fsync.)
struct ProduceHandler: RequestHandler {
    /// v0-2 (legacy message sets, up-converted) stay: librdkafka up to 2.9 compresses with gzip,
    /// snappy or lz4 only when the broker's Produce range includes v0. v12 (the layout of v11) is
    /// transaction version 2: this leader adds a transactional batch's partition to the transaction;
    /// v13 is v12 with topic ids.
    static let versions: ClosedRange<Int16> = 0...13

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32
    /// Where transactional batches are verified (KIP-890 part 1) or, from v12, added (part 2)
    /// before they open a transaction on a partition.
    let transactions: TransactionCoordinatorService?
    /// `transaction.partition.verification.enable`: whether batches before v12 are verified.
    var verificationEnabled = true

    /// Bytes that decompressing one request's records may produce in total: 64 times `message.max.bytes`,
    /// at least 64 MiB. Strom inflates compressed records to validate them (Kafka validates as it streams
    /// and has no such cap), so this bounds the memory one request can make the node take; a batch that
    /// inflates past it is refused with INVALID_RECORD.
    static func requestInflateBudget(messageMaxBytes: Int) -> Int {
        max(64 << 20, messageMaxBytes.multipliedReportingOverflow(by: 64).overflow ? Int.max : messageMaxBytes * 64)
    }

    private typealias PartitionResponse = ProduceResponse.TopicProduceResponse.PartitionProduceResponse

    /// One partition's append waiting for its flush.
    private struct Durability: Sendable {
        var topic: Int
        var partition: Int
        var replica: Partition
        var flush: PendingFlush
    }

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        // producer_byte_rate counts every Produce request's bytes; over the quota, the connection is muted
        // before it may read the next request.
        let (throttle, _) = context.recordQuota(.produce, Double(context.requestSize))
        context.throttleConnection(throttle)
        // The connection may read its next request now (muted first, if over the quota): it is validated
        // while this one is appended, and appends after it (`awaitTurn`).
        context.admitNextRequest()
        guard var response = await produceNamingTopics(request, context: context) else { return nil }
        response.throttleTimeMs = max(response.throttleTimeMs, throttle)
        guard request.acks != 0 else {
            // acks=0 gets no answer. A failed append closed the connection before it was released; a
            // v13 topic id no topic has closes it now.
            if let failed = response.responses.lazy.flatMap({ t in t.partitionResponses.map { (t.name.isEmpty ? "\(t.topicID)" : t.name, $0) } })
                .first(where: { $0.1.errorCode != 0 }) {
                context.closeConnection("acks=0 produce to \(failed.0)-\(failed.1.index) failed: \(ErrorCode(rawValue: failed.1.errorCode))")
            }
            return nil
        }
        return response
    }

    /// One partition's records, checked before the request's turn to append.
    private enum Prepared: Sendable {
        /// Refused before anything else is asked: not authorized, bad acks, an internal topic.
        case refusedFirst(LogValidator.Failure)
        /// Refused for leadership or invalid records (after a transaction verification's refusal, as
        /// Kafka verifies before it validates).
        case refused(LogValidator.Failure)
        /// Valid, to be appended to `replica` once it is the request's turn.
        case valid(Partition, Partition.LeaderValidation)
    }

    /// Produces `request`, whose topics are named and whose transactional records (if any) the
    /// principal may write (`ProduceHandler+TopicIDs` checked both). The work in order: checks and
    /// validation (before its turn, while the connection's previous Produce may still be appending),
    /// then, in its turn, the transaction verification and the appends, the connection's release, and
    /// the flush and replication waits. Nil when the connection closes instead of answering.
    ///
    /// Without a transaction to verify, validation and the turn's work need no task in between
    /// (`validateAndAppend`): one job when the turn has come by the end of validation, else two, the
    /// second submitted by the request before this one as it releases the connection.
    ///
    /// `refusedByCaller` says why a part of the producer's request the caller answered itself failed (a
    /// v13 topic id no topic has): with acks=0 the connection then closes before its release, as on a
    /// failure here.
    func produce(_ request: ProduceRequest, context: RequestContext, refusedByCaller: String? = nil) async -> ProduceResponse? {
        let writable = context.authorizedNames(.write, .topic, request.topicData.map(\.name))
        let image = metadata.image
        var response = ProduceResponse()
        var waiting: [Durability] = []
        var replication: [Replication] = []
        let partitions = request.topicData.map { topic in topic.partitionData.map { TopicPartition(topic.name, $0.index) } }
        var (prepared, toValidate) = check(request, partitions: partitions, writable: writable, image: image)
        let verified: Verified
        let appendIndex: [[Int?]]
        let appended: TurnOutcome
        if !toValidate.isEmpty, request.transactionalID == nil {
            verified = Verified()
            guard let done = await validateAndAppend(prepared, toValidate, partitions: partitions, image: image,
                                                     acks: request.acks, context: context) else {
                context.closeConnection("an earlier request on this connection closed it")
                return nil
            }
            (prepared, appendIndex, appended) = done
        } else {
            if !toValidate.isEmpty { await validate(&prepared, toValidate, image: image, context: context) }
            // Every record of the connection's requests before this one is appended (or the connection is
            // closing). A wait for other requests: not this one's work for request_percentage.
            guard await context.parked({ await context.awaitTurn() }) else {
                context.closeConnection("an earlier request on this connection closed it")
                return nil
            }
            verified = await verifyTransaction(request, writable: writable, image: image, version: context.apiVersion)
            let appends: [Append]
            (appends, appendIndex) = Self.plan(prepared, partitions: partitions, verified: verified)
            // The job releases the connection itself unless the release must wait for this request's
            // outcome: acks=0 closes the connection instead on a failure, and a transactional batch that
            // was refused drops its verification (below) before the producer's next request may ask again.
            appended = await appendInTurn(appends, acks: request.acks, releasing: request.acks != 0 && verified.guards.isEmpty,
                                          context: context)
        }
        for (t, topic) in request.topicData.enumerated() {
            var topicResponse = ProduceResponse.TopicProduceResponse(name: topic.name)
            for (i, p) in topic.partitionData.enumerated() {
                var result = PartitionResponse(index: p.index, baseOffset: -1)
                let outcome: Result<(AppendInfo, Durability?, Replication), LogValidator.Failure>
                let tp = partitions[t][i]
                switch (prepared[t][i], verified.failures[tp], appendIndex[t][i]) {
                case let (_, _, n?):
                    outcome = appended.outcomes[n]
                case let (.refusedFirst(failure), _, nil), let (_, failure?, nil), let (.refused(failure), nil, nil):
                    outcome = .failure(failure)
                case (.valid, nil, nil):
                    // Not reached: a valid partition without a verification failure has an append.
                    outcome = .failure(.init(code: .unknownServerError, message: "not appended"))
                }
                switch outcome {
                case let .success((info, durability, replicated)):
                    if !info.isDuplicate { context.metrics?.produced(topic: topic.name, messages: Int(info.recordCount), bytes: info.validBytes) }
                    result.baseOffset = info.firstOffset
                    result.logAppendTimeMs = info.logAppendTime
                    result.logStartOffset = info.logStartOffset
                    if let durability { waiting.append(durability) }
                    if request.acks == -1 { replication.append(replicated) }
                case let .failure(f):
                    Self.refuse(&result, f, partition: "\(topic.name)-\(p.index)", context: context)
                }
                topicResponse.partitionResponses.append(result)
                // A confirmed batch that was not written (it failed validation, or the request's acks)
                // leaves no verification behind: the producer's retry asks again.
                if result.errorCode != 0, let guardValue = verified.guards[tp], let replica = verified.replicas[tp] {
                    replica.dropVerification(producerID: verified.producerID, guardValue: guardValue)
                }
            }
            response.responses.append(topicResponse)
        }
        // acks=0: a failed append closes the connection, as Kafka tells such a producer; the requests
        // read after this one must not append, so the close is asked for before the release.
        if request.acks == 0,
           let failed = response.responses.lazy.flatMap({ t in t.partitionResponses.map { (t.name, $0) } }).first(where: { $0.1.errorCode != 0 }) {
            context.closeConnection("acks=0 produce to \(failed.0)-\(failed.1.index) failed: \(ErrorCode(rawValue: failed.1.errorCode))")
            return nil
        }
        if request.acks == 0, let refusedByCaller {
            context.closeConnection(refusedByCaller)
            return nil
        }
        // Every record of this request is in its log, in order: the next request may append after them
        // while these are synced and replicated.
        context.releaseConnection()
        if let (d, outcome, took) = appended.flushed {
            // The append's thread synced it right after the release (`appendInTurn`): a wait, as below.
            context.parked(for: took)
            if let f = flushFailure(outcome, d.replica.topicPartition, context: context) {
                Self.fail(&response, (d.topic, d.partition), f, partition: d.replica.topicPartition, context: context)
            }
            replicas.appended.notify(d.replica.topicPartition)
        }
        if !waiting.isEmpty {
            for (d, f) in await context.parked({ await flush(waiting, context: context) }) {
                Self.fail(&response, (d.topic, d.partition), f, partition: d.replica.topicPartition, context: context)
            }
        }
        // acks=all: each partition's records must be in every in-sync replica's log (the high watermark
        // passed them) before the producer hears of them.
        let replicated = replication.filter { response.responses[$0.topic].partitionResponses[$0.partition].errorCode == 0 }
        if !replicated.isEmpty {
            for (r, code) in await context.parked({ await waitForReplication(replicated, timeoutMs: Int64(max(0, request.timeoutMs))) }) {
                Self.fail(&response, (r.topic, r.partition), .init(code: code, message: Self.replicationMessage(code, r.replica.topicPartition)),
                          partition: r.replica.topicPartition, context: context)
            }
        }
        return response
    }

    /// Turns an answered partition's success into `failure`: its records were appended, but the producer
    /// must not count on them (a failed flush, a replication wait that ended without them).
    private static func fail(_ response: inout ProduceResponse, _ position: (topic: Int, partition: Int), _ failure: LogValidator.Failure,
                             partition: TopicPartition, context: RequestContext) {
        response.responses[position.topic].partitionResponses[position.partition].baseOffset = -1
        refuse(&response.responses[position.topic].partitionResponses[position.partition], failure, partition: "\(partition)", context: context)
    }

    /// Whether `records` start with a transactional v2 batch (legacy message sets never are).
    static func isTransactional(_ records: ByteBuffer?) -> Bool {
        transactionalHeader(records) != nil
    }

    /// The header of `records`' first batch when it is a transactional v2 batch with a producer id.
    static func transactionalHeader(_ records: ByteBuffer?) -> RecordBatchHeader? {
        guard let records, records.readableBytes >= RecordBatchHeader.size,
              let header = try? RecordBatchHeader(parsing: records), header.magic == 2, header.isTransactional,
              header.producerId >= 0 else { return nil }
        return header
    }

    /// KIP-890 for one request: whether verification is enforced, the guard of each partition whose
    /// batch would open a transaction there and that its coordinator confirmed, and the partitions it
    /// refused (with the producer's error).
    private struct Verified {
        var enforced = false
        var guards: [TopicPartition: UInt64] = [:]
        var failures: [TopicPartition: LogValidator.Failure] = [:]
        /// The partitions behind `guards`, and the producer, to release the guards of batches that were
        /// not written.
        var replicas: [TopicPartition: Partition] = [:]
        var producerID: Int64 = -1
    }

    /// Asks the coordinator about the partitions this node leads where the producer has no transaction
    /// open yet at the batch's epoch, all at once (see `TransactionCoordinatorService.verifyForProduce`).
    /// From v12 (transaction version 2) this adds them, whether verification is enabled or not.
    private func verifyTransaction(_ request: ProduceRequest, writable: Set<String>, image: MetadataImage, version: Int16) async -> Verified {
        let addsPartitions = version >= TransactionCoordinatorService.firstProduceVersionAddingPartitions
        guard let transactions, let transactionalID = request.transactionalID, verificationEnabled || addsPartitions else { return Verified() }
        var verified = Verified(enforced: true)
        var pending: [TopicPartition: (replica: Partition, guardValue: UInt64)] = [:]
        var producer: (id: Int64, epoch: Int16)?
        for topic in request.topicData where !TopicName.internalTopics.contains(topic.name) && writable.contains(topic.name) {
            for p in topic.partitionData {
                guard let header = Self.transactionalHeader(p.records) else { continue }
                let tp = TopicPartition(topic.name, p.index)
                guard case let .success(leader) = replicas.leader(of: tp, image: image, nodeID: nodeID),
                      let guardValue = leader.replica.transactionVerificationGuard(
                          producerID: header.producerId, producerEpoch: header.producerEpoch, supportsEpochBump: addsPartitions) else { continue }
                if let producer, producer != (header.producerId, header.producerEpoch) {
                    verified.failures[tp] = .init(code: .invalidRecord, message: "One Produce request carries batches of two producers")
                    continue
                }
                producer = (header.producerId, header.producerEpoch)
                pending[tp] = (leader.replica, guardValue)
            }
        }
        guard let producer, !pending.isEmpty else { return verified }
        let codes = await transactions.verifyForProduce(transactionalID: transactionalID, producerID: producer.id, producerEpoch: producer.epoch,
                                                        partitions: Set(pending.keys), produceVersion: version)
        for (tp, (replica, guardValue)) in pending {
            let code = codes[tp] ?? .unknownServerError
            if code == .noError {
                verified.guards[tp] = guardValue
                verified.replicas[tp] = replica
                verified.producerID = producer.id
            } else {
                replica.dropVerification(producerID: producer.id, guardValue: guardValue)
                verified.failures[tp] = .init(code: code, message: "The transaction coordinator did not confirm \(tp) is in producer \(producer.id)'s transaction (KIP-890): \(code)")
            }
        }
        return verified
    }

    private static func refuse(_ result: inout PartitionResponse, _ f: LogValidator.Failure, partition: String, context: RequestContext) {
        result.errorCode = f.code.rawValue
        result.errorMessage = f.message
        // KIP-467 (v8+): the records that made the batch invalid; older versions drop the field.
        result.recordErrors = f.recordErrors.map { .init(batchIndex: $0.batchIndex, batchIndexErrorMessage: $0.message) }
        context.logger.debug("produce refused", metadata: [
            "kafka.partition": "\(partition)", "kafka.error": "\(f.code)", "reason": "\(f.message)",
        ])
    }

    /// A request refused as a whole, answered in its turn: the connection's release stays in request
    /// order, and an acks=0 refusal closes the connection as a failed append would.
    func inTurn(_ response: ProduceResponse, acks: Int16, context: RequestContext) async -> ProduceResponse? {
        guard await context.parked({ await context.awaitTurn() }) else {
            context.closeConnection("an earlier request on this connection closed it")
            return nil
        }
        if acks == 0, let failed = response.responses.first, let partition = failed.partitionResponses.first {
            context.closeConnection("acks=0 produce to \(failed.name.isEmpty ? "\(failed.topicID)" : failed.name)-\(partition.index) failed: \(ErrorCode(rawValue: partition.errorCode))")
            return nil
        }
        return response
    }

    /// One partition's records to validate, at `t`, `i` in the request.
    private struct ToValidate: Sendable {
        var t: Int
        var i: Int
        var replica: Partition
        var records: ByteBuffer?
    }

    /// Everything about each partition that does not depend on its records or on the records before
    /// this request's: authorization, the acks, internal topics, leadership in `image` (checked again
    /// when appending). Indexed like the request's topics and partitions; the partitions that passed
    /// are left to validate (`validate`), marked refused until they are.
    private func check(_ request: ProduceRequest, partitions tps: [[TopicPartition]], writable: Set<String>,
                       image: MetadataImage) -> ([[Prepared]], [ToValidate]) {
        let acksValid = request.acks == -1 || request.acks == 0 || request.acks == 1
        var prepared: [[Prepared]] = []
        var toValidate: [ToValidate] = []
        for (t, topic) in request.topicData.enumerated() {
            var partitions: [Prepared] = []
            for (i, p) in topic.partitionData.enumerated() {
                let failure: LogValidator.Failure
                if !writable.contains(topic.name) {
                    failure = .init(code: .topicAuthorizationFailed, message: "Topic authorization failed.")
                } else if !acksValid {
                    failure = .init(code: .invalidRequiredAcks, message: "acks must be -1, 0 or 1, not \(request.acks)")
                } else if TopicName.internalTopics.contains(topic.name) {
                    // Only the broker's own coordinators write there (Kafka: internalTopicsAllowed is false
                    // for clients). A record a coordinator cannot read would otherwise stop every reload.
                    failure = .init(code: .invalidTopicException, message: "Cannot append to internal topic \(topic.name)")
                } else {
                    switch replicas.leader(of: tps[t][i], image: image, nodeID: nodeID) {
                    case let .success(leader):
                        toValidate.append(ToValidate(t: t, i: i, replica: leader.replica, records: p.records))
                        partitions.append(.refused(.init(code: .unknownServerError, message: "not validated")))
                    case let .failure(code):
                        let message = code == .unknownTopicOrPartition ? "This server does not host this topic-partition."
                            : "This server is not the leader for that topic-partition."
                        partitions.append(.refused(.init(code: code, message: message)))
                    }
                    continue
                }
                partitions.append(.refusedFirst(failure))
            }
            prepared.append(partitions)
        }
        return (prepared, toValidate)
    }

    /// What validating a request's records needs besides them, read once per request.
    private struct ValidationSettings: Sendable {
        /// What validating compressed records may inflate to, for the whole request: many partitions or
        /// many legacy wrappers cannot multiply it.
        var budget: Int
        var now: Int64
        var origin: LogValidator.Origin
    }

    private func validationSettings(image: MetadataImage, context: RequestContext) -> ValidationSettings {
        ValidationSettings(budget: Self.requestInflateBudget(messageMaxBytes: metadata.config.messageMaxBytesInForce(in: image)),
                           now: replicas.clock.nowMs(), origin: .client(produceVersion: context.apiVersion))
    }

    /// Validates every partition of `toValidate` (`Partition/validateForLeader`) into `prepared`. Runs
    /// where it is called: on the blocking-I/O executor.
    private static func validate(_ prepared: inout [[Prepared]], _ toValidate: [ToValidate], _ settings: ValidationSettings) {
        var remaining = settings.budget
        for v in toValidate {
            let (result, inflated) = v.replica.validateForLeader(v.records, origin: settings.origin, decompressionLimit: remaining, now: settings.now)
            remaining -= inflated
            switch result {
            case let .success(validation): prepared[v.t][v.i] = .valid(v.replica, validation)
            case let .failure(f): prepared[v.t][v.i] = .refused(f)
            }
        }
    }

    /// Validates `toValidate` on the blocking-I/O executor (one hop), before the request's turn.
    private func validate(_ prepared: inout [[Prepared]], _ toValidate: [ToValidate], image: MetadataImage, context: RequestContext) async {
        let settings = validationSettings(image: image, context: context)
        let checked = prepared
        do {
            prepared = try await replicas.io.run {
                var validated = checked
                Self.validate(&validated, toValidate, settings)
                return validated
            }
        } catch {
            for v in toValidate { prepared[v.t][v.i] = .refused(.init(code: .unknownServerError, message: "\(error)")) }
        }
    }

    /// The appends of the valid partitions that verification did not refuse, in request order, and where
    /// each partition's append is in them (nil: none).
    private static func plan(_ prepared: [[Prepared]], partitions: [[TopicPartition]], verified: Verified) -> ([Append], [[Int?]]) {
        var appends: [Append] = []
        var appendIndex: [[Int?]] = []
        for (t, topic) in prepared.enumerated() {
            appendIndex.append([])
            for (i, p) in topic.enumerated() {
                let tp = partitions[t][i]
                if case let .valid(replica, validation) = p, verified.failures[tp] == nil {
                    appendIndex[t].append(appends.count)
                    appends.append(Append(position: (t, i), replica: replica, validation: validation,
                                          verification: verified.enforced ? TransactionVerification(guardValue: verified.guards[tp]) : nil))
                } else {
                    appendIndex[t].append(nil)
                }
            }
        }
        return (appends, appendIndex)
    }

    /// One partition's valid records, to be appended in the request's turn.
    private struct Append: Sendable {
        var position: (topic: Int, partition: Int)
        var replica: Partition
        var validation: Partition.LeaderValidation
        var verification: TransactionVerification?
    }

    /// What the request's turn did: each append's outcome (in the order of the appends), and the one
    /// flush the appending thread performed itself, if it did.
    private struct TurnOutcome: Sendable {
        var outcomes: [Result<(AppendInfo, Durability?, Replication), LogValidator.Failure>]
        /// With how long the flush took (a wait, not the request's work).
        var flushed: (Durability, FlushOutcome, Duration)?
    }

    /// Appends every partition's records in one job on the blocking-I/O executor, in request order. With
    /// `releasing`, the job then releases the connection (the next request may append behind these
    /// records) and, when exactly one append waits for a flush, syncs it on the same thread: a
    /// one-partition acks=all request costs one hop to the executor, not two, and its sync starts as
    /// soon as its records are written. Other flushes are left to the caller (`flush`), which runs them
    /// in parallel.
    private func appendInTurn(_ appends: [Append], acks: Int16, releasing: Bool, context: RequestContext) async -> TurnOutcome {
        guard !appends.isEmpty else {
            return TurnOutcome(outcomes: [], flushed: nil)
        }
        let job = turnJob(acks: acks, releasing: releasing, context: context)
        do {
            return turnOutcome(appends, try await replicas.io.run { job(appends) }, context: context)
        } catch {
            let failure = LogValidator.Failure(code: .unknownServerError, message: "\(error)")
            return TurnOutcome(outcomes: appends.map { _ in .failure(failure) }, flushed: nil)
        }
    }

    /// Validation and the turn's work (`appendInTurn`) with no task waiting in between, for a request
    /// that has no transaction to verify: the prepared partitions, where each one's append is, and what
    /// the turn did; nil when the connection is closing instead (nothing was appended).
    ///
    /// Validation runs in a job on the blocking-I/O executor. When the request's turn has come by its
    /// end, the same job appends (one hop to the executor in all). Otherwise the request before this one,
    /// as it releases the connection (on the thread of its own append), hands this request's append to
    /// the executor (`RequestContext.whenTurn`): the append starts one hop after that release, not two
    /// (a task resumed to submit it). The wait for the turn is counted as parked, as `awaitTurn`'s is.
    private func validateAndAppend(_ checked: [[Prepared]], _ toValidate: [ToValidate], partitions: [[TopicPartition]], image: MetadataImage,
                                   acks: Int16, context: RequestContext) async -> ([[Prepared]], [[Int?]], TurnOutcome)? {
        let settings = validationSettings(image: image, context: context)
        let job = turnJob(acks: acks, releasing: acks != 0, context: context)
        let io = replicas.io
        let outcome = await withCheckedContinuation { (c: CheckedContinuation<ValidatedTurn, Never>) in
            io.submit { active in
                guard active else { return c.resume(returning: .stopped(checked, executorStopped)) }
                var validated = checked
                Self.validate(&validated, toValidate, settings)
                let prepared = validated
                let (appends, appendIndex) = Self.plan(prepared, partitions: partitions, verified: Verified())
                if let proceed = context.turnIfDecided() {
                    return c.resume(returning: proceed ? .turn(prepared, appendIndex, appends, job(appends), waited: .zero) : .closing(waited: .zero))
                }
                let asked = ContinuousClock.now
                context.whenTurn { proceed in
                    let waited = ContinuousClock.now - asked
                    guard proceed else { return c.resume(returning: .closing(waited: waited)) }
                    io.submit { active in
                        guard active else { return c.resume(returning: .stopped(prepared, executorStopped)) }
                        c.resume(returning: .turn(prepared, appendIndex, appends, job(appends), waited: waited))
                    }
                }
            }
        }
        switch outcome {
        case let .turn(prepared, appendIndex, appends, done, waited):
            context.parked(for: waited)
            return (prepared, appendIndex, turnOutcome(appends, done, context: context))
        case let .closing(waited):
            context.parked(for: waited)
            return nil
        case let .stopped(checked, failure):
            // Refused as a failed job is in `appendInTurn`; the connection is released by the caller.
            var prepared = checked
            for v in toValidate { prepared[v.t][v.i] = .refused(failure) }
            return (prepared, prepared.map { $0.map { _ in nil } }, TurnOutcome(outcomes: [], flushed: nil))
        }
    }

    /// What `validateAndAppend`'s jobs hand back.
    private enum ValidatedTurn: Sendable {
        /// Validated, planned and, in the request's turn, appended (`waited` for the turn).
        case turn([[Prepared]], [[Int?]], [Append], TurnJobResult, waited: Duration)
        /// The connection is closing: nothing was appended.
        case closing(waited: Duration)
        /// The executor stopped (the node is shutting down) before the partitions could be appended.
        case stopped([[Prepared]], LogValidator.Failure)
    }

    private var executorStopped: LogValidator.Failure {
        .init(code: .unknownServerError, message: "the node's blocking-I/O executor has stopped")
    }

    /// What a turn's job returns: each append's result, and the flush it ran (by index in the appends).
    private typealias TurnJobResult = ([Result<Partition.LeaderAppend, LogValidator.Failure>], (Int, FlushOutcome, Duration)?)

    /// The body of a turn's job (see `appendInTurn`), to run on the blocking-I/O executor.
    private func turnJob(acks: Int16, releasing: Bool, context: RequestContext) -> @Sendable ([Append]) -> TurnJobResult {
        let clock = replicas.clock
        let release = context.releaseConnection
        let metrics = context.metrics
        let notifier = replicas.appended
        return { appends in
            let results = appends.map { a in
                a.replica.appendValidated(a.validation, requiredAcks: acks, verification: a.verification)
            }
            // Readers of what needs no flush hear of it now, not after another partition's sync.
            for (a, result) in zip(appends, results) {
                if case let .success(append) = result, append.pendingFlush == nil { notifier.notify(a.replica.topicPartition) }
            }
            guard releasing, !appends.isEmpty else { return (results, nil) }
            release()
            let flushes = results.indices.compactMap { n -> (Int, PendingFlush)? in
                guard case let .success(append) = results[n], let flush = append.pendingFlush else { return nil }
                return (n, flush)
            }
            guard flushes.count == 1, let (n, flush) = flushes.first else { return (results, nil) }
            let (outcome, took) = Self.sync(appends[n].replica, flush, clock: clock, metrics: metrics)
            return (results, (n, outcome, took))
        }
    }

    /// A turn's job's results as the handler answers them.
    private func turnOutcome(_ appends: [Append], _ done: TurnJobResult, context: RequestContext) -> TurnOutcome {
        var turn = TurnOutcome(outcomes: [], flushed: nil)
        for (n, (a, appended)) in zip(appends, done.0).enumerated() {
            let tp = a.replica.topicPartition
            switch appended {
            case let .success(append):
                let durability = append.pendingFlush.map {
                    Durability(topic: a.position.topic, partition: a.position.partition, replica: a.replica, flush: $0)
                }
                if let durability, let (flushed, outcome, took) = done.1, flushed == n {
                    turn.flushed = (durability, outcome, took)
                    turn.outcomes.append(.success((append.info, nil, replication(a, append))))
                } else {
                    turn.outcomes.append(.success((append.info, durability, replication(a, append))))
                }
            case let .failure(f):
                if f.code == .kafkaStorageError {
                    context.logger.error("append failed", metadata: ["kafka.partition": "\(tp)", "error": "\(f.message)"])
                }
                turn.outcomes.append(.failure(f))
            }
        }
        return turn
    }

    private func replication(_ a: Append, _ append: Partition.LeaderAppend) -> Replication {
        Replication(topic: a.position.topic, partition: a.position.partition, replica: a.replica,
                    requiredOffset: append.info.lastOffset + 1, leaderEpoch: append.leaderEpoch)
    }

    /// One partition's acks=all append waiting for the ISR.
    private struct Replication: Sendable {
        var topic: Int
        var partition: Int
        var replica: Partition
        /// The high watermark that covers the append.
        var requiredOffset: Int64
        var leaderEpoch: Int32
    }

    /// Waits, for every partition at once, until its high watermark covers the append (or the request's
    /// timeout passes, or the leadership ends); returns the partitions that failed, with their error.
    private func waitForReplication(_ waits: [Replication], timeoutMs: Int64) async -> [(Replication, ErrorCode)] {
        let clock = replicas.clock
        if waits.count == 1, let w = waits.first {
            // One partition (most requests): no child task to wait in.
            let code = await w.replica.waitForAcksAll(requiredOffset: w.requiredOffset, leaderEpoch: w.leaderEpoch,
                                                      timeoutMs: timeoutMs, clock: clock)
            return code.map { [(w, $0)] } ?? []
        }
        return await withTaskGroup(of: (Int, ErrorCode?).self) { group in
            for (n, w) in waits.enumerated() {
                group.addTask {
                    (n, await w.replica.waitForAcksAll(requiredOffset: w.requiredOffset, leaderEpoch: w.leaderEpoch,
                                                       timeoutMs: timeoutMs, clock: clock))
                }
            }
            var failed: [(Replication, ErrorCode)] = []
            for await (n, code) in group {
                if let code { failed.append((waits[n], code)) }
            }
            return failed
        }
    }

    private static func replicationMessage(_ code: ErrorCode, _ tp: TopicPartition) -> String {
        switch code {
        case .requestTimedOut: "The records were appended but not replicated to the in-sync replicas within the request timeout."
        case .notEnoughReplicasAfterAppend: "The records were appended, but the in-sync replicas of \(tp) fell below min.insync.replicas."
        case .notLeaderOrFollower: "This server lost the leadership of \(tp) before the records were replicated."
        default: "\(code)"
        }
    }

    private enum FlushOutcome: Sendable {
        case synced
        /// fdatasync failed: the log goes offline.
        case failed(LogError)
        /// The sync never ran (task cancelled, pool stopped): nothing is known about the disk.
        case notRun(String)
    }

    /// Syncs every waiting partition at once on the blocking-I/O executor; each, once synced, records the
    /// flush and advances its high watermark (`Partition.flush`). Returns the partitions whose flush did not succeed, with
    /// the error for their producers, who must not be told the data is safe: KAFKA_STORAGE_ERROR when
    /// fdatasync failed (that log is now offline), REQUEST_TIMED_OUT (retriable) when it never ran.
    private func flush(_ waiting: [Durability], context: RequestContext) async -> [(Durability, LogValidator.Failure)] {
        let outcomes = await withTaskGroup(of: (Int, FlushOutcome).self) { group in
            for (n, d) in waiting.enumerated() {
                group.addTask {
                    let clock = replicas.clock, metrics = context.metrics
                    do {
                        return (n, try await replicas.io.run { Self.sync(d.replica, d.flush, clock: clock, metrics: metrics).0 })
                    } catch {
                        return (n, .notRun("\(error)"))
                    }
                }
            }
            var all: [(Int, FlushOutcome)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        var failed: [(Durability, LogValidator.Failure)] = []
        for (n, outcome) in outcomes {
            let d = waiting[n]
            if let f = flushFailure(outcome, d.replica.topicPartition, context: context) { failed.append((d, f)) }
        }
        for d in waiting { replicas.appended.notify(d.replica.topicPartition) }
        return failed
    }

    /// Performs `flush` on `replica` here (a blocking-I/O thread: it waits for the disk): the outcome,
    /// and how long it took, which a successful flush also records in `metrics`.
    private static func sync(_ replica: Partition, _ flush: PendingFlush, clock: NodeClock, metrics: NodeMetrics?) -> (FlushOutcome, Duration) {
        let started = ContinuousClock.now
        do throws(LogError) {
            try replica.flush(flush, now: clock.nowMs())
        } catch {
            return (.failed(error), ContinuousClock.now - started)
        }
        let took = ContinuousClock.now - started
        metrics?.logFlushed(duration: took)
        return (.synced, took)
    }

    /// What the producer hears of a flush that did not succeed (logged here), or nil when it did.
    private func flushFailure(_ outcome: FlushOutcome, _ tp: TopicPartition, context: RequestContext) -> LogValidator.Failure? {
        switch outcome {
        case .synced:
            return nil
        case let .failed(error):
            context.logger.error("flush failed", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
            return .init(code: error.errorCode, message: error.description)
        case let .notRun(reason):
            context.logger.warning("flush did not run", metadata: ["kafka.partition": "\(tp)", "reason": "\(reason)"])
            return .init(code: .requestTimedOut, message: "The append was not made durable: \(reason)")
        }
    }
}
