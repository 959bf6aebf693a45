@testable import KafkaGroups
import KafkaProtocol
import KafkaTestKit
import SeededRandom
import Testing

/// Seeded random runs of a consumer group: members join (some static), heartbeat, leave (-1, or -2
/// for static ones), go silent and expire, and topics grow, in random order and timing. After every
/// step: no partition has two owners (the harness checks), and a reload of the log equals the live
/// group. At the end, with everyone heartbeating, the group converges to Stable with every
/// subscribed partition owned once. A failing seed is printed in the expectation message.
@Suite struct ConsumerSimulationTests {
    @Test(arguments: 0..<24)
    func randomRunsKeepTheInvariants(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 7919 &+ 3)
        var h = ConsumerHarness(topics: ["t1": 4, "t2": 3])
        var counts: [String: Int32] = ["t1": 4, "t2": 3]
        var next = 0
        let assignor = rng.bool() ? "uniform" : "range"
        for _ in 0..<60 {
            switch rng.below(10) {
            case 0, 1:
                let name = "m\(next)"
                next += 1
                let topics = rng.chance(3) ? ["t1"] : ["t1", "t2"]
                h.join(name, topics: topics, instance: rng.chance(3) ? "i-\(name)" : nil, assignor: assignor)
            case 2:
                if let name = h.clients.keys.sorted().randomElement(using: &rng) {
                    _ = h.leave(name, epoch: h.clients[name]!.instance != nil && rng.bool() ? -2 : -1)
                }
            case 3:
                // A member's process dies: it stops heartbeating and owns nothing any more.
                if let name = h.clients.keys.sorted().randomElement(using: &rng) { h.clients[name] = nil }
            case 4:
                let topic = rng.bool() ? "t1" : "t2"
                counts[topic]! += 1
                h.setTopics(counts)
            default:
                for name in h.clients.keys.sorted() where rng.below(3) != 0 { h.heartbeat(name) }
            }
            h.advance(to: h.now + Int64(rng.below(4_000)))
            if let g = h.coordinator.consumerGroups["g"] {
                #expect(try h.reloaded().consumerGroups["g"]?.durable == g.durable, "seed \(seed)")
            }
        }
        // Everyone alive heartbeats until the group settles (silent members expire meanwhile).
        for _ in 0..<40 {
            h.advance(to: h.now + 2_000)
            for name in h.clients.keys.sorted() { h.heartbeat(name) }
        }
        guard let g = h.coordinator.consumerGroups["g"], !h.clients.isEmpty else { return }
        #expect(g.state == .stable, "seed \(seed): \(g.state)")
        #expect(Set(g.members.keys) == Set(h.clients.values.map(\.memberID)), "seed \(seed)")
        let owned = h.clients.values.reduce(0) { $0 + $1.owned.partitionCount }
        let subscribed = g.subscriptionMetadata.values.reduce(0) { $0 + Int($1.partitionCount) }
        #expect(owned == subscribed, "seed \(seed): \(owned) of \(subscribed) partitions owned")
    }
}

extension Array {
    func randomElement(using rng: inout SplitMix64) -> Element? {
        isEmpty ? nil : self[rng.below(count)]
    }
}
