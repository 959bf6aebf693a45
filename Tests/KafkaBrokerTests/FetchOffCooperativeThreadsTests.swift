import Foundation
@testable import KafkaBroker
import BrokerTestKit
import KafkaProtocol
import NIOConcurrencyHelpers
import Testing

/// Fetch, ListOffsets, OffsetForLeaderEpoch and DescribeProducers read each partition under its lock,
/// which an append holds across its file write (and a cold read waits on the disk). They read on the node's blocking-I/O executor, so requests
/// waiting there leave Swift's cooperative threads (one per core, shared by every request and by the
/// group, transaction and metadata services) free: the node keeps answering.
@Suite struct FetchOffCooperativeThreadsTests {
    /// Holds a lock on a thread of its own until `release()`, or for at most a minute (so that a
    /// broker whose cooperative threads all wait on it lets the test end, and fail).
    final class LockHolder: @unchecked Sendable {
        private let released = DispatchSemaphore(value: 0)
        private let timedOut = NIOLockedValueBox(false)

        init(_ lock: NIOLock, whenLocked: @escaping @Sendable () -> Void) {
            let released = self.released, timedOut = self.timedOut
            Thread {
                lock.lock()
                whenLocked()
                if released.wait(timeout: .now() + 60) == .timedOut { timedOut.withLockedValue { $0 = true } }
                lock.unlock()
            }.start()
        }

        /// Lets the lock go; whether it was still held until now.
        func release() -> Bool {
            released.signal()
            return !timedOut.withLockedValue { $0 }
        }
    }

    /// One request of `api` for t-0 on `client`: its error code.
    static func read(_ api: APIKey, on client: TestKafkaClient) async throws -> Int16? {
        if api == .offsetForLeaderEpoch {
            let response = try await client.send(OffsetForLeaderEpochRequest(replicaID: -1, topics: [
                .init(topic: "t", partitions: [.init(partition: 0, leaderEpoch: 0)]),
            ]), version: 4)
            return response.topics.first?.partitions.first?.errorCode
        }
        if api == .describeProducers {
            let response = try await client.send(DescribeProducersRequest(topics: [.init(name: "t", partitionIndexes: [0])]), version: 0)
            return response.topics.first?.partitions.first?.errorCode
        }
        if api == .listOffsets {
            let response = try await client.send(ListOffsetsRequest(replicaID: -1, topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: 0)]),
            ]), version: 7)
            return response.topics.first?.partitions.first?.errorCode
        }
        let response = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
            .init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ]), version: 11)
        return response.responses.first?.partitions.first?.errorCode
    }

    @Test(arguments: [APIKey.fetch, .listOffsets, .offsetForLeaderEpoch, .describeProducers])
    func requestsWaitingForAPartitionsLockLeaveTheNodeAnswering(_ api: APIKey) async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            .topics.first?.errorCode == 0)
        let partition = try #require(broker.node.replicas.replica(TopicPartition("t", 0)))
        var fetchers: [TestKafkaClient] = []
        // More requests than there are cooperative threads.
        for _ in 0..<(ProcessInfo.processInfo.activeProcessorCount + 2) { fetchers.append(try await broker.client()) }

        var holder: LockHolder?
        await withCheckedContinuation { (locked: CheckedContinuation<Void, Never>) in
            holder = LockHolder(partition.lock) { locked.resume() }
        }
        let all = fetchers
        let fetches = Task {
            try await withThrowingTaskGroup(of: Int16?.self) { group in
                for fetcher in all {
                    group.addTask { try await Self.read(api, on: fetcher) }
                }
                var codes: [Int16?] = []
                for try await code in group { codes.append(code) }
                return codes
            }
        }
        let versions = try await client.send(ApiVersionsRequest(clientSoftwareName: "test", clientSoftwareVersion: "1"), version: 3)
        let heldUntilAnswered = try #require(holder).release()
        #expect(versions.errorCode == 0)
        #expect(heldUntilAnswered, "ApiVersions was answered only once the partition's lock was let go")
        #expect(try await fetches.value == Array(repeating: 0, count: fetchers.count))

        for fetcher in fetchers { await fetcher.close() }
        await client.close()
        await broker.shutdown()
    }
}
