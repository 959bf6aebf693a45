import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Testing

/// KafkaServer's produce turns: a produce request admits the next request before it appends, so the
/// next one is read and validated meanwhile, but a request writes only after the one before it
/// released the connection (its records are appended), and not at all once an earlier request closes
/// the connection.
@Suite struct ProduceTurnTests {
    enum Event: Sendable, Equatable {
        case admitted(Int32)
        /// What `turnIfDecided` said when the request was admitted, and once its turn came.
        case decidedAtAdmission(Int32, Bool?)
        case decidedInTurn(Int32, Bool?)
        case turn(Int32, proceed: Bool)
        case released(Int32)
    }

    /// What the handlers did, in order, and a way to wait for an event.
    final class Probe: Sendable {
        private struct State {
            var log: [Event] = []
            var watchers: [AsyncStream<Event>.Continuation] = []
        }
        private let state = NIOLockedValueBox(State())

        func emit(_ event: Event) {
            let watchers = state.withLockedValue { s in
                s.log.append(event)
                return s.watchers
            }
            for w in watchers { w.yield(event) }
        }

        func happened(_ event: Event) -> Bool { state.withLockedValue { $0.log.contains(event) } }

        func index(of event: Event) -> Int? { state.withLockedValue { $0.log.firstIndex(of: event) } }

        /// Waits until `event` happened (true) or `boundMs` passed (false).
        func wait(for event: Event, boundMs: UInt64) async -> Bool {
            let (events, watcher) = AsyncStream<Event>.makeStream()
            // Registered and checked under one lock: an event is either in the log or reaches the watcher.
            let already = state.withLockedValue { s in
                s.watchers.append(watcher)
                return s.log.contains(event)
            }
            defer { watcher.finish() }
            if already { return true }
            return await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await e in events where e == event { return true }
                    return false
                }
                group.addTask { try? await Task.sleep(nanoseconds: boundMs * 1_000_000); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
    }

    /// What each request (named by its `timeoutMs`) does besides admitting the next one at once.
    enum Script: Sendable {
        /// In its turn: waits for each event in order (each at most its bound), then releases, closing the
        /// connection first when `closes`.
        case holdUntil([(Event, boundMs: UInt64)], closes: Bool = false)
        /// Answers at once, without waiting for its turn (a request refused before it appends).
        case answerAtOnce
        /// In its turn: releases.
        case appendInTurn
        /// As `appendInTurn`, learning of its turn through a callback (`whenTurn`), which tells it
        /// before it returns.
        case appendWhenTurn
    }

    struct ScriptedProduceHandler: RequestHandler {
        static let versions: ClosedRange<Int16> = 3...11
        let probe: Probe
        let script: [Int32: Script]
        func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
            let id = request.timeoutMs
            context.admitNextRequest()
            // Asked before `admitted` is told: a request holding its turn until the next one is admitted
            // still holds it here.
            probe.emit(.decidedAtAdmission(id, context.turnIfDecided()))
            probe.emit(.admitted(id))
            guard let step = script[id] else { return ProduceResponse() }
            if case .answerAtOnce = step { return ProduceResponse() }
            let proceed: Bool
            if case .appendWhenTurn = step {
                proceed = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                    context.whenTurn { proceed in
                        probe.emit(.decidedInTurn(id, context.turnIfDecided()))
                        probe.emit(.turn(id, proceed: proceed))
                        c.resume(returning: proceed)
                    }
                }
            } else {
                proceed = await context.awaitTurn()
                probe.emit(.decidedInTurn(id, context.turnIfDecided()))
                probe.emit(.turn(id, proceed: proceed))
            }
            guard proceed else {
                context.closeConnection("an earlier request closed the connection")
                return nil
            }
            if case let .holdUntil(events, closes) = step {
                for (event, boundMs) in events { _ = await probe.wait(for: event, boundMs: boundMs) }
                if closes {
                    context.closeConnection("request \(id) closes the connection")
                    probe.emit(.released(id))
                    context.releaseConnection()
                    return nil
                }
            }
            probe.emit(.released(id))
            context.releaseConnection()
            return ProduceResponse()
        }
    }

    static func withServer(_ probe: Probe, _ script: [Int32: Script], _ body: (TestKafkaClient) async throws -> Void) async throws {
        var dispatcher = RequestDispatcher(listenerName: "PLAINTEXT", logger: Logger(label: "test"))
        dispatcher.register(ScriptedProduceHandler(probe: probe, script: script))
        try await ConnectionPipeliningTests.serving(dispatcher, body)
    }

    /// Sends requests `ids` one after the other without waiting for an answer.
    static func pipeline(_ ids: ClosedRange<Int32>, on client: TestKafkaClient) async throws {
        for id in ids { try await client.sendWithoutResponse(produce(id), version: 9) }
    }

    static func produce(_ id: Int32) -> ProduceRequest {
        var request = ProduceRequest()
        request.acks = -1
        request.timeoutMs = id
        return request
    }

    @Test func theNextProduceIsReadWhileTheOneBeforeAppendsAndTakesItsTurnAfterIt() async throws {
        let probe = Probe()
        // Request 1 holds its turn until request 2 was admitted: that happens only if the server reads
        // request 2 before request 1 released the connection (the bound is far beyond what it takes).
        try await Self.withServer(probe, [1: .holdUntil([(.admitted(2), 60_000)]), 2: .appendInTurn]) { client in
            try await Self.pipeline(1...2, on: client)
            for _ in 0..<2 { _ = try await client.receive() }
        }
        let released1 = try #require(probe.index(of: .released(1)))
        let admitted2 = try #require(probe.index(of: .admitted(2)))
        let turn2 = try #require(probe.index(of: .turn(2, proceed: true)))
        #expect(admitted2 < released1, "request 2 was read only after request 1 released the connection")
        #expect(released1 < turn2, "request 2 took its turn before request 1 released the connection")
        // Without waiting, a request learns whether its turn has come: at once for the first request of
        // the connection, not while the request before it holds the connection, and once it released.
        #expect(probe.happened(.decidedAtAdmission(1, true)))
        #expect(probe.happened(.decidedAtAdmission(2, nil)))
        #expect(probe.happened(.decidedInTurn(2, true)))
    }

    @Test func aTurnTakenThroughACallbackComesOnlyOnceTheRequestBeforeReleased() async throws {
        let probe = Probe()
        try await Self.withServer(probe, [1: .holdUntil([(.admitted(2), 60_000)]), 2: .appendWhenTurn]) { client in
            try await Self.pipeline(1...2, on: client)
            for _ in 0..<2 { _ = try await client.receive() }
        }
        let released1 = try #require(probe.index(of: .released(1)))
        let turn2 = try #require(probe.index(of: .turn(2, proceed: true)))
        #expect(try #require(probe.index(of: .admitted(2))) < released1)
        #expect(released1 < turn2, "request 2's callback ran before request 1 released the connection")
        #expect(probe.happened(.decidedInTurn(2, true)))
        #expect(probe.happened(.released(2)))
    }

    @Test func aTurnTakenThroughACallbackIsRefusedWhenTheRequestBeforeClosesTheConnection() async throws {
        let probe = Probe()
        try await Self.withServer(probe, [1: .holdUntil([(.admitted(2), 60_000)], closes: true), 2: .appendWhenTurn]) { client in
            try await Self.pipeline(1...2, on: client)
            await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.receive() }
        }
        #expect(probe.happened(.turn(2, proceed: false)))
        #expect(!probe.happened(.released(2)))
    }

    @Test func aRequestThatClosesTheConnectionKeepsTheOnesReadAfterItFromWriting() async throws {
        let probe = Probe()
        try await Self.withServer(probe, [1: .holdUntil([(.admitted(2), 60_000)], closes: true), 2: .appendInTurn]) { client in
            try await Self.pipeline(1...2, on: client)
            await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.receive() }
        }
        #expect(probe.happened(.admitted(2)))
        #expect(probe.happened(.turn(2, proceed: false)))
        #expect(probe.happened(.decidedInTurn(2, false)))
        #expect(!probe.happened(.released(2)))
    }

    @Test func aRequestAnsweredBeforeItsTurnDoesNotLetTheNextOneWriteAheadOfTheOneBeforeIt() async throws {
        let probe = Probe()
        // Request 1 holds its turn until request 3 was read, then until request 3 takes its own turn, at
        // most 500 ms: request 3 must not take it (its turn follows request 2's, which follows request
        // 1's however early request 2 was answered), so request 1 waits out the bound and releases first.
        let script: [Int32: Script] = [1: .holdUntil([(.admitted(3), 60_000), (.turn(3, proceed: true), 500)]), 2: .answerAtOnce, 3: .appendInTurn]
        try await Self.withServer(probe, script) { client in
            try await Self.pipeline(1...3, on: client)
            for _ in 0..<3 { _ = try await client.receive() }
        }
        let released1 = try #require(probe.index(of: .released(1)))
        let turn3 = try #require(probe.index(of: .turn(3, proceed: true)))
        #expect(released1 < turn3, "request 3 wrote before request 1 released the connection")
        #expect(try #require(probe.index(of: .admitted(3))) < released1, "request 3 was read only after request 1 released")
    }

    @Test func aGateOpensOnceWithTheFirstAnswerForEveryWaiter() async {
        let stopped = ConnectionRelease()
        async let early = stopped.wait()
        stopped.stop()
        stopped.release()
        #expect(await early == false)
        #expect(await stopped.wait() == false)

        let released = ConnectionRelease()
        released.release()
        released.stop()
        #expect(await released.wait() == true)
        #expect(await released.wait() == true)
    }

    @Test func aCallbackHearsOfTheGateWithinTheOpeningOrAtOnceWhenItIsOpen() {
        let heard = NIOLockedValueBox<[String]>([])
        let gate = ConnectionRelease()
        gate.whenOpen { proceed in heard.withLockedValue { $0.append("first \(proceed)") } }
        gate.whenOpen { proceed in heard.withLockedValue { $0.append("second \(proceed)") } }
        #expect(heard.withLockedValue { $0 }.isEmpty, "a callback ran while the gate held")
        gate.stop()
        // Called by `stop()` itself, in the order they were registered.
        #expect(heard.withLockedValue { $0 } == ["first false", "second false"])
        gate.release()
        #expect(heard.withLockedValue { $0 }.count == 2, "a callback ran twice")
        gate.whenOpen { proceed in heard.withLockedValue { $0.append("late \(proceed)") } }
        #expect(heard.withLockedValue { $0 } == ["first false", "second false", "late false"])

        let released = ConnectionRelease()
        released.release()
        released.whenOpen { proceed in heard.withLockedValue { $0.append("released \(proceed)") } }
        #expect(heard.withLockedValue { $0 }.last == "released true")
    }
}
