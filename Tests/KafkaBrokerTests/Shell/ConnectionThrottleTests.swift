import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Testing

/// A connection a quota throttled: its answer goes out at once, then it reads nothing more until the
/// throttle time has passed on the node's clock (Kafka's channel muting, KIP-219), while other
/// connections go on. Driven by a manual clock: the muted request waits on it, visibly.
@Suite struct ConnectionThrottleTests {
    /// Answers Metadata, throttling for the request's first topic's name (in ms) when it has one.
    struct ThrottlingMetadataHandler: RequestHandler {
        static let versions: ClosedRange<Int16> = 0...12
        let handled: NIOLockedValueBox<Int>
        func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
            handled.withLockedValue { $0 += 1 }
            if let ms = request.topics?.first?.name.flatMap(Int32.init) { context.throttleConnection(ms) }
            return MetadataResponse()
        }
    }

    static func throttling(_ ms: Int32) -> MetadataRequest {
        MetadataRequest(topics: [.init(name: String(ms))])
    }

    @Test func aThrottledConnectionReadsNothingUntilItsTimeHasPassed() async throws {
        let clock = ManualClock()
        let handled = NIOLockedValueBox(0)
        var dispatcher = RequestDispatcher(listenerName: "PLAINTEXT", logger: Logger(label: "test"))
        dispatcher.register(ThrottlingMetadataHandler(handled: handled))
        let server = KafkaServer(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 0, maxFrameSize: 1 << 20, dispatcher: dispatcher,
                                 group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), clock: clock)
        let port = try await server.bind()
        let running = Task { try await server.run() }
        let muted = try await TestKafkaClient(port: port)
        let other = try await TestKafkaClient(port: port)

        // The first answer comes at once; the connection is muted for 5 s from now.
        _ = try await muted.send(Self.throttling(5_000), version: 12)
        let start = clock.nowMs()
        // The next request is read but waits on the clock until the throttle is over.
        try await muted.sendWithoutResponse(MetadataRequest(topics: []), version: 12)
        await clock.sleepers(where: { $0.contains(start + 5_000) })
        #expect(handled.withLockedValue { $0 } == 1)
        // Another connection is not held up.
        _ = try await other.send(MetadataRequest(topics: []), version: 12)
        #expect(handled.withLockedValue { $0 } == 2)
        // A shorter throttle meanwhile does not shorten it (nor does time short of it end it).
        clock.advance(byMs: 4_999)
        #expect(clock.pendingDeadlines.contains(start + 5_000))
        #expect(handled.withLockedValue { $0 } == 2)
        clock.advance(byMs: 1)
        _ = try await muted.receive()
        #expect(handled.withLockedValue { $0 } == 3)

        // A muted connection does not hold up the listener's shutdown.
        _ = try await muted.send(Self.throttling(3_600_000), version: 12)
        let deadline = clock.nowMs() + 3_600_000
        try await muted.sendWithoutResponse(MetadataRequest(topics: []), version: 12)
        await clock.sleepers(where: { $0.contains(deadline) })
        await other.close()
        await server.close()
        _ = await running.result
        await muted.close()
        #expect(handled.withLockedValue { $0 } == 4)
    }
}
