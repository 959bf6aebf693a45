import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Testing

/// KafkaServer's pipelining: a produce request that released its connection lets the next produce
/// request of the connection start while it still waits, but any other request is handled only after
/// every earlier one is answered, as Kafka handles a connection's requests one after another.
@Suite struct ConnectionPipeliningTests {
    enum Event: Sendable, Equatable { case produceReleased(Int32), metadataStarted }

    /// Shared by the handlers of one test: what happened, as a stream, and whether the first produce
    /// request finished.
    final class Probe: Sendable {
        let events: AsyncStream<Event>
        let emit: AsyncStream<Event>.Continuation
        let firstProduceDone = NIOLockedValueBox(false)
        let metadataSawFirstProduceDone = NIOLockedValueBox<Bool?>(nil)
        /// Whether the first produce request's wait ended with the event it waited for (not the bound).
        let firstProduceSawItsEvent = NIOLockedValueBox<Bool?>(nil)
        init() { (events, emit) = AsyncStream<Event>.makeStream() }
    }

    /// Admits the next request and, in its turn, releases the connection at once, as Produce does once
    /// it appended; the request with timeout 1 (the first) then waits until `until` happens or
    /// `boundMs` pass, and marks itself done.
    struct HoldingProduceHandler: RequestHandler {
        static let versions: ClosedRange<Int16> = 3...11
        let probe: Probe
        let until: Event
        let boundMs: UInt64
        func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
            context.admitNextRequest()
            guard await context.awaitTurn() else { return nil }
            context.releaseConnection()
            probe.emit.yield(.produceReleased(request.timeoutMs))
            guard request.timeoutMs == 1 else { return ProduceResponse() }
            let (seen, seenIt) = AsyncStream<Void>.makeStream()
            let watcher = Task {
                for await event in probe.events where event == until { seenIt.yield(); break }
            }
            let sawEvent = await withTaskGroup(of: Bool.self) { group in
                group.addTask { for await _ in seen { return true }; return false }
                group.addTask { try? await Task.sleep(nanoseconds: boundMs * 1_000_000); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            watcher.cancel()
            probe.firstProduceSawItsEvent.withLockedValue { $0 = sawEvent }
            probe.firstProduceDone.withLockedValue { $0 = true }
            return ProduceResponse()
        }
    }

    struct RecordingMetadataHandler: RequestHandler {
        static let versions: ClosedRange<Int16> = 0...12
        let probe: Probe
        func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
            probe.metadataSawFirstProduceDone.withLockedValue { $0 = probe.firstProduceDone.withLockedValue { $0 } }
            probe.emit.yield(.metadataStarted)
            return MetadataResponse()
        }
    }

    static func withServer(_ probe: Probe, until: Event, boundMs: UInt64,
                           _ body: (TestKafkaClient) async throws -> Void) async throws {
        var dispatcher = RequestDispatcher(listenerName: "PLAINTEXT", logger: Logger(label: "test"))
        dispatcher.register(HoldingProduceHandler(probe: probe, until: until, boundMs: boundMs))
        dispatcher.register(RecordingMetadataHandler(probe: probe))
        try await serving(dispatcher, body)
    }

    /// Runs `body` with a client connected to a `KafkaServer` on a free port that dispatches with
    /// `dispatcher`; closes both, and waits for the server to end, whether `body` throws or not.
    static func serving(_ dispatcher: RequestDispatcher, _ body: (TestKafkaClient) async throws -> Void) async throws {
        let server = KafkaServer(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 0, maxFrameSize: 1 << 20,
                                 dispatcher: dispatcher, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        let port = try await server.bind()
        let running = Task { try await server.run() }
        let client = try await TestKafkaClient(port: port)
        do {
            try await body(client)
        } catch {
            await client.close()
            await server.close()
            _ = await running.result
            throw error
        }
        await client.close()
        await server.close()
        _ = await running.result
    }

    static func produce(timeoutMs: Int32) -> ProduceRequest {
        var request = ProduceRequest()
        request.acks = -1
        request.timeoutMs = timeoutMs
        return request
    }

    @Test func aMetadataRequestBehindAWaitingProduceIsHandledOnlyAfterItsAnswer() async throws {
        let probe = Probe()
        // The first produce waits for the Metadata request to start, at most 300 ms: on a server that
        // handled Metadata at once, it would start while the produce waits and see it unfinished.
        try await Self.withServer(probe, until: .metadataStarted, boundMs: 300) { client in
            try await client.sendWithoutResponse(Self.produce(timeoutMs: 1), version: 9)
            try await client.sendWithoutResponse(MetadataRequest(), version: 12)
            _ = try await client.receive()
            _ = try await client.receive()
        }
        #expect(probe.metadataSawFirstProduceDone.withLockedValue { $0 } == true)
        #expect(probe.firstProduceSawItsEvent.withLockedValue { $0 } == false)
    }

    @Test func aProduceRequestBehindAWaitingProduceStartsAtOnce() async throws {
        let probe = Probe()
        // The first produce waits for the second to start: it does only if produce requests overlap
        // (the bound is far beyond what that takes; reaching it fails the test below).
        try await Self.withServer(probe, until: .produceReleased(2), boundMs: 60_000) { client in
            try await client.sendWithoutResponse(Self.produce(timeoutMs: 1), version: 9)
            try await client.sendWithoutResponse(Self.produce(timeoutMs: 2), version: 9)
            try await client.sendWithoutResponse(MetadataRequest(), version: 12)
            for _ in 0..<3 { _ = try await client.receive() }
        }
        #expect(probe.firstProduceSawItsEvent.withLockedValue { $0 } == true)
        #expect(probe.metadataSawFirstProduceDone.withLockedValue { $0 } == true)
    }
}
