import BrokerTestKit
import Foundation
import KafkaBroker
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing

/// The metrics and health listener of a real node: Prometheus text with Kafka's metric names, moving
/// with what the node serves, and health checks an orchestrator can poll.
@Suite struct MetricsEndpointTests {
    /// Collects a whole HTTP/1.0 answer until the server closes.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var bytes: [UInt8] = []
        let done: EventLoopPromise<[UInt8]>
        init(done: EventLoopPromise<[UInt8]>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { bytes += unwrapInboundIn(data).readableBytesView }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(bytes) }
        func errorCaught(context: ChannelHandlerContext, error: Error) { done.fail(error) }
    }

    /// GET `path` over HTTP/1.0: the status code and the body.
    static func get(_ path: String, port: Int) async throws -> (status: Int, body: String) {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { $0.pipeline.addHandler(Collector(done: done)) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(channel.allocator.buffer(string: "GET \(path) HTTP/1.0\r\n\r\n")).get()
        let text = String(decoding: try await done.futureResult.get(), as: UTF8.self)
        let status = Int(text.split(separator: " ", maxSplits: 2)[1]) ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// The value of the sample `name{labels}` in a Prometheus text body.
    static func sample(_ body: String, _ series: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsAndHealthFollowWhatTheNodeServes() async throws {
        let started = Date()
        let broker = try await TestBroker()
        let port = try #require(broker.node.metricsPort)
        #expect(try await Self.get("/health/live", port: port).status == 200)
        let ready = try await Self.get("/health/ready", port: port)
        #expect(ready.status == 200 && ready.body == "ready\n")
        #expect(try await Self.get("/nope", port: port).status == 404)

        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let records = try DataPathTests.batch(["a", "b", "c"])
        let produced = try await client.send(DataPathTests.produce(records, topic: "t"), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
        var fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        fetch.topics = [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        _ = try await client.send(fetch, version: 12)
        let commit = try await client.send(OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 1)]),
        ]), version: 8)
        #expect(commit.topics.first?.partitions.first?.errorCode == 0)

        let scraped = try await Self.get("/metrics", port: port)
        #expect(scraped.status == 200)
        let body = scraped.body
        #expect(Self.sample(body, #"kafka_server_brokertopicmetrics_messages_in_total{topic="t"}"#) == 3)
        #expect(Self.sample(body, #"kafka_server_brokertopicmetrics_bytes_in_total{topic="t"}"#) == Double(records.readableBytes))
        #expect(Self.sample(body, #"kafka_server_brokertopicmetrics_bytes_out_total{topic="t"}"#) == Double(records.readableBytes))
        #expect(Self.sample(body, #"kafka_network_requestmetrics_requests_total{request="Produce",listener="PLAINTEXT"}"#) == 1)
        #expect(Self.sample(body, #"kafka_network_requestmetrics_total_time_seconds_count{request="Fetch",listener="PLAINTEXT"}"#) == 1)
        #expect(Self.sample(body, #"kafka_log_log_logendoffset{topic="t",partition="0"}"#) == 3)
        #expect((Self.sample(body, #"kafka_log_log_size{topic="t",partition="0"}"#) ?? 0) >= Double(records.readableBytes))
        #expect(Self.sample(body, #"kafka_consumergroup_lag{group="g",topic="t",partition="0"}"#) == 2)
        #expect(Self.sample(body, "kafka_controller_kafkacontroller_activecontrollercount") == 1)
        #expect(Self.sample(body, "kafka_controller_kafkacontroller_offlinepartitionscount") == 0)
        #expect(Self.sample(body, "kafka_server_replicamanager_underreplicatedpartitions") == 0)
        #expect(Self.sample(body, "kafka_server_raft_metrics_current_leader") == 1)
        #expect(Self.sample(body, "kafka_server_replicamanager_isrshrinks_total") == 0)
        #expect(Self.sample(body, #"kafka_server_socketserver_connections{listener="PLAINTEXT"}"#) == 1)
        #expect((Self.sample(body, "kafka_log_logflushstats_log_flush_time_seconds_count") ?? 0) >= 1)
        // Kafka's raft commit latency, this node being the quorum leader: its own appends (its
        // registration, the topic, ...) committed within the test's time, in milliseconds per record.
        let latencyAvg = try #require(Self.sample(body, "kafka_server_raft_metrics_commit_latency_avg"))
        let latencyMax = try #require(Self.sample(body, "kafka_server_raft_metrics_commit_latency_max"))
        #expect(0 <= latencyAvg && latencyAvg <= latencyMax)
        #expect(latencyMax <= Date().timeIntervalSince(started) * 1000 + 1, "no sample longer than the test so far")

        // A deleted topic's partition gauges and counters go with it, as Kafka drops its BrokerTopicMetrics.
        _ = try await client.send(DeleteTopicsRequest(topicNames: ["t"], timeoutMs: 10_000), version: 5)
        let after = try await Self.get("/metrics", port: port).body
        #expect(Self.sample(after, #"kafka_log_log_logendoffset{topic="t",partition="0"}"#) == nil)
        #expect(Self.sample(after, #"kafka_server_brokertopicmetrics_messages_in_total{topic="t"}"#) == nil)
        #expect(Self.sample(after, #"kafka_server_brokertopicmetrics_bytes_out_total{topic="t"}"#) == nil)
        // A topic created again under the name counts from zero.
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        _ = try await client.send(DataPathTests.produce(try DataPathTests.batch(["d"]), topic: "t"), version: 9)
        let again = try await Self.get("/metrics", port: port).body
        #expect(Self.sample(again, #"kafka_server_brokertopicmetrics_messages_in_total{topic="t"}"#) == 1)
        await client.close()
        await broker.shutdown()
    }
}
