@testable import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Logging
import NIOConcurrencyHelpers
import Testing

/// `ControllerClient` without sockets: when this node leads, requests run locally; while no controller
/// is active it waits for the quorum to move (not for time), and it gives up at its deadline on the
/// node's clock.
@Suite struct ControllerClientTests {
    static let leader = QuorumDriver.Status(epoch: 2, leaderID: 1, isLeader: true, epochStartOffset: 0)

    static func client(_ clock: ManualClock) -> (ControllerClient, MetadataPublication) {
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        return (ControllerClient(nodeID: 1, listenerName: "CONTROLLER", publication: publication,
                                 connections: ControllerConnections(nodeID: 1, logger: Logger(label: "test")), clock: clock,
                                 logger: Logger(label: "test")), publication)
    }

    @Test func aRequestWaitsForLeadershipThenRunsLocally() async {
        let clock = ManualClock()
        let (client, publication) = Self.client(clock)
        let calls = NIOLockedValueBox(0)
        let answering = Task {
            await client.call(HeartbeatRequest(groupID: "g"), version: 0, timeoutMs: 15_000, local: {
                calls.withLockedValue { $0 += 1 }
                return HeartbeatResponse(errorCode: 0)
            }, notController: { $0.errorCode == ErrorCode.notController.rawValue })
        }
        // No leader: the client waits (its backoff on the clock), without calling anything.
        await clock.sleepers(atLeast: 1)
        #expect(calls.withLockedValue { $0 } == 0)
        publication.statusChanged(Self.leader)
        let answer = await answering.value
        #expect(answer?.errorCode == 0)
        #expect(calls.withLockedValue { $0 } == 1, "woken by the status change, before any backoff elapsed")
    }

    @Test func notControllerAnswersAreRetriedUntilTheDeadline() async {
        let clock = ManualClock()
        let (client, publication) = Self.client(clock)
        publication.statusChanged(Self.leader)
        let calls = NIOLockedValueBox(0)
        let answering = Task {
            await client.call(HeartbeatRequest(groupID: "g"), version: 0, timeoutMs: 1_000, local: {
                calls.withLockedValue { $0 += 1 }
                return HeartbeatResponse(errorCode: ErrorCode.notController.rawValue)
            }, notController: { $0.errorCode == ErrorCode.notController.rawValue })
        }
        // Each retry waits one backoff on the clock; ten backoffs reach the deadline.
        for attempt in 1...10 {
            await clock.sleepers(atLeast: 1)
            #expect(calls.withLockedValue { $0 } == attempt)
            clock.advance(byMs: ControllerClient.retryBackoffMs)
        }
        #expect(await answering.value == nil)
        #expect(calls.withLockedValue { $0 } == 11, "a last attempt at the deadline, then nil")
    }
}
