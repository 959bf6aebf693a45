import KafkaProtocol
import SeededRandom
import Testing
@testable import KafkaTransactions

/// A seeded simulation of producers, appends that commit or fail in any order, markers that succeed,
/// fail or are fenced, timeouts, and coordinator failovers (reload from the log with a newer epoch),
/// with these checked after every event:
/// - the live state of every id with no pending transition is what a reload of the log gives;
/// - an id has at most one append outstanding;
/// - a producer id's epochs handed out by InitProducerId and by EndTxn v5 (transaction version 2,
///   used at random) only grow;
/// - after EndTxn(commit) was acknowledged, that transaction's markers say COMMIT (abort: ABORT).
@Suite struct TransactionSimulationTests {
    struct Sim {
        var h: CoordinatorHarness
        var rng: SplitMix64
        let ids = ["t-a", "t-b", "t-c"]
        /// What each producer believes it holds.
        var producers: [String: ProducerIDAndEpoch] = [:]
        var pendingInit: [UInt64: String] = [:]
        var pendingEnd: [UInt64: (id: String, result: TransactionResult)] = [:]
        var highestEpoch: [Int64: Int16] = [:]
        /// The outcome acknowledged to the producer for its current transaction.
        var acknowledged: [String: TransactionResult] = [:]
        var epoch: Int32 = 7

        init(seed: UInt64) {
            var config = TransactionCoordinatorConfig()
            config.transactionStateLogPartitions = 3
            config.maxTimeoutMs = 10_000
            config.abortTimedOutTransactionsIntervalMs = 1_000
            config.transactionalIDExpirationMs = 50_000
            config.removeExpiredTransactionalIDsIntervalMs = 5_000
            h = CoordinatorHarness(config: config)
            rng = SplitMix64(seed: seed)
        }

        mutating func step() throws {
            let id = ids[Int(rng.below(UInt64(ids.count)))]
            let partitions = [tp0, tp1, tp2].filter { _ in rng.below(2) == 0 }
            switch rng.below(12) {
            case 0:
                let expected = rng.below(3) == 0 ? producers[id] : nil
                pendingInit[h.initProducerID(id, timeoutMs: Int32(1_000 + rng.below(9_000)), expected: expected)] = id
            case 1, 2:
                if let p = producers[id] {
                    h.addPartitions(id, p.producerID, p.epoch, partitions.isEmpty ? [tp0] : partitions, version: rng.below(2) == 0 ? 2 : 0)
                }
            case 3:
                if let p = producers[id] {
                    let result: TransactionResult = rng.below(2) == 0 ? .commit : .abort
                    pendingEnd[h.endTransaction(id, p.producerID, p.epoch, result, version: rng.below(2) == 0 ? 2 : 0)] = (id, result)
                }
            case 4, 5, 6:
                if !h.appends.isEmpty {
                    let i = Int(rng.below(UInt64(h.appends.count)))
                    h.appends.swapAt(0, i)
                    h.completeAppend(rng.below(5) == 0 ? .notEnoughReplicas : .noError)
                }
            case 7, 8:
                if !h.markers.isEmpty {
                    let outcome: MarkerOutcome = switch rng.below(6) {
                    case 0: .retry(.notLeaderOrFollower)
                    case 1 where rng.below(4) == 0: .fenced(.transactionCoordinatorFenced)
                    default: .written
                    }
                    h.answerMarkers(outcome)
                }
            case 9, 10:
                h.tick(to: h.now + Int64(rng.below(3_000)))
            default:
                try failover(partition: Int32(rng.below(3)))
            }
            collectReplies()
            try check()
        }

        /// The partition's leader moves: its outstanding appends commit or fail, then a coordinator
        /// epoch one higher reloads it from the log.
        mutating func failover(partition: Int32) throws {
            while let i = h.appends.firstIndex(where: { $0.partition == partition }) {
                h.appends.swapAt(0, i)
                h.completeAppend(rng.below(2) == 0 ? .noError : .notLeaderOrFollower)
            }
            epoch += 1
            h.take(h.coordinator.beginLoading(partition: partition, coordinatorEpoch: epoch))
            for record in h.log[partition] ?? [] { try h.coordinator.replay(record, partition: partition) }
            h.take(h.coordinator.finishLoading(partition: partition, now: h.now))
        }

        mutating func collectReplies() {
            for reply in h.replies {
                switch reply {
                case let .initProducerID(r, code, pid, e):
                    guard let id = pendingInit.removeValue(forKey: r), code == .noError else { continue }
                    producers[id] = ProducerIDAndEpoch(producerID: pid, epoch: e)
                    acknowledged[id] = nil
                    if let high = highestEpoch[pid] { #expect(e >= high, "producer \(pid) given epoch \(e) after \(high)") }
                    highestEpoch[pid] = max(e, highestEpoch[pid] ?? e)
                case let .endTransaction(r, code, pid, e):
                    guard let (id, result) = pendingEnd.removeValue(forKey: r), code == .noError else { continue }
                    acknowledged[id] = result
                    if pid != NoProducer.id {
                        // Transaction version 2: the producer continues with the bumped epoch.
                        producers[id] = ProducerIDAndEpoch(producerID: pid, epoch: e)
                        if let high = highestEpoch[pid] { #expect(e >= high, "producer \(pid) given epoch \(e) after \(high)") }
                        highestEpoch[pid] = max(e, highestEpoch[pid] ?? e)
                    }
                case .addPartitions:
                    break
                }
            }
            h.replies.removeAll()
            for m in h.markers {
                if let result = acknowledged[m.transactionalID] {
                    #expect(m.result == result, "\(m.transactionalID): \(m.result) markers after \(result) was acknowledged")
                }
            }
            for (id, m) in h.coordinator.transactions where m.state == .completeCommit || m.state == .completeAbort || m.state == .empty {
                acknowledged[id] = nil
            }
        }

        func check() throws {
            let outstanding = h.appends.map(\.id)
            #expect(Set(outstanding).count == outstanding.count, "two appends outstanding for one id: \(outstanding)")
            let reloaded = h.reloaded()
            for (id, live) in h.coordinator.transactions where live.pending == nil {
                guard let logged = reloaded.transactions[id] else {
                    // Created by InitProducerId whose Empty record has not committed yet (or failed).
                    #expect(live.producerEpoch == NoProducer.epoch, "\(id) is live but not in the log")
                    continue
                }
                #expect(live.state == logged.state && live.producerID == logged.producerID && live.producerEpoch == logged.producerEpoch,
                        "\(id): live \(live.state) \(live.producerID)/\(live.producerEpoch), log \(logged.state) \(logged.producerID)/\(logged.producerEpoch)")
                #expect(live.timeoutMs == logged.timeoutMs && live.startTimestamp == logged.startTimestamp)
                if live.state == .prepareCommit || live.state == .prepareAbort {
                    #expect(live.partitions.isSubset(of: logged.partitions))
                } else {
                    #expect(live.partitions == logged.partitions)
                }
            }
        }
    }

    @Test(arguments: 0..<4)
    func invariantsHoldAfterEveryEvent(batch: Int) throws {
        for seed in UInt64(batch * 100)..<UInt64(batch * 100 + 100) {
            var sim = Sim(seed: seed)
            for _ in 0..<300 { try sim.step() }
        }
    }
}
