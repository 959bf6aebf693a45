@testable import KafkaBroker
import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import BrokerTestKit
import KafkaTestKit
import Logging
import NIOConcurrencyHelpers
import Testing

/// The broker's lifecycle on a manual clock, without sockets: this node is the controller, whose pure
/// decisions (`BrokerLifecycle`) run locally and are published as if committed. Registration, the
/// wait to be unfenced, the heartbeat period and re-registration after STALE_BROKER_EPOCH all follow
/// the clock and the published image, never wall time.
@Suite struct BrokerLifecycleManagerTests {
    final class Controller: Sendable {
        let publication: MetadataPublication
        let registrations = NIOLockedValueBox(0)
        let heartbeats = NIOLockedValueBox<[BrokerHeartbeatRequest]>([])
        /// Heartbeats answered STALE_BROKER_EPOCH from now on, until a registration.
        let forgetBroker = NIOLockedValueBox(false)

        init(_ publication: MetadataPublication) { self.publication = publication }

        func commit(_ records: [MetadataRecordAndVersion]) {
            guard !records.isEmpty else { return }
            let first = publication.image.provenance.offset + 1
            let entries = records.map { RaftEntry(epoch: 1, payload: Array(buffer: try! MetadataRecordSerde.encode($0))) }
            publication.replayCommitted(firstOffset: first, entries: entries, highWatermark: first + Int64(entries.count))
        }

        var local: BrokerLifecycleManager.Local {
            .init(register: { request in
                self.registrations.withLockedValue { $0 += 1 }
                self.forgetBroker.withLockedValue { $0 = false }
                let image = self.publication.image
                let result = BrokerLifecycle.register(request, image: image, clusterID: "cluster", nextOffset: image.provenance.offset + 1,
                                                      unclean: UncleanLeaderElection(brokerDefault: false))
                self.commit(result.records)
                return result.response
            }, heartbeat: { request in
                self.heartbeats.withLockedValue { $0.append(request) }
                if self.forgetBroker.withLockedValue({ $0 }) {
                    return BrokerHeartbeatResponse(errorCode: ErrorCode.staleBrokerEpoch.rawValue)
                }
                let result = BrokerLifecycle.heartbeat(request, image: self.publication.image, unclean: UncleanLeaderElection(brokerDefault: false),
                                                       sessions: BrokerSessions())
                self.commit(result.records)
                return result.response
            })
        }
    }

    @Test func registersIsUnfencedAndHeartbeatsOnTheClock() async throws {
        let clock = ManualClock()
        let logger = Logger(label: "test")
        let publication = MetadataPublication(clock: clock, logger: logger)
        publication.statusChanged(QuorumDriver.Status(epoch: 1, leaderID: 1, isLeader: true, epochStartOffset: 0))
        let controller = Controller(publication)
        let client = ControllerClient(nodeID: 1, listenerName: "CONTROLLER", publication: publication,
                                 connections: ControllerConnections(nodeID: 1, logger: Logger(label: "test")), clock: clock, logger: logger)
        let lifecycle = BrokerLifecycleManager(nodeID: 1, clusterID: "cluster", heartbeatIntervalMs: 2_000, client: client,
                                               publication: publication, local: controller.local, clock: clock, logger: logger)
        try await lifecycle.start(endpoints: [.init(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9092)])
        let epoch = await lifecycle.brokerEpoch
        #expect(epoch >= 0)
        let me = try #require(publication.image.brokers[1])
        #expect(me.epoch == epoch && !me.fenced, "start returns once the broker is registered and unfenced")
        #expect(controller.registrations.withLockedValue { $0 } == 1)
        let afterStart = controller.heartbeats.withLockedValue { $0.count }
        #expect(afterStart >= 1, "the heartbeat that showed the broker caught up unfenced it")

        // Then one heartbeat per interval of the clock, carrying the epoch and the replayed offset.
        var nextBeat = clock.nowMs() + 2_000
        await clock.sleepers { [nextBeat] in $0.contains(nextBeat) }
        clock.advance(byMs: 1_999)
        #expect(controller.heartbeats.withLockedValue { $0.count } == afterStart)
        clock.advance(byMs: 1)
        nextBeat = clock.nowMs() + 2_000
        await clock.sleepers { [nextBeat] in $0.contains(nextBeat) }
        let sent = controller.heartbeats.withLockedValue { $0 }
        #expect(sent.count == afterStart + 1)
        #expect(sent.last?.brokerEpoch == epoch)
        #expect(sent.last?.currentMetadataOffset == publication.image.provenance.offset)

        // A controller that lost the broker's epoch gets a new registration.
        controller.forgetBroker.withLockedValue { $0 = true }
        clock.advance(byMs: 2_000)
        nextBeat = clock.nowMs() + 2_000
        await clock.sleepers { [nextBeat] in $0.contains(nextBeat) }
        #expect(controller.registrations.withLockedValue { $0 } == 2)
        #expect(await lifecycle.brokerEpoch == publication.image.brokers[1]?.epoch, "the epoch of the new registration")

        // Controlled shutdown: one heartbeat asking to shut down, then no more.
        await lifecycle.stop()
        #expect(controller.heartbeats.withLockedValue { $0.last?.wantShutDown } == true)
        #expect(clock.pendingDeadlines.isEmpty, "the heartbeat timer is gone")
    }
}
