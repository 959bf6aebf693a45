import Testing
@testable import KafkaLog

@Suite struct OffsetMapTests {
    func put(_ map: inout OffsetMap, _ key: String, _ offset: Int64) {
        Array(key.utf8).withUnsafeBytes { map.put(key: $0, offset: offset) }
    }

    func get(_ map: OffsetMap, _ key: String) -> Int64 {
        Array(key.utf8).withUnsafeBytes { map.get($0) }
    }

    @Test func keepsTheLatestOffsetOfEveryKeyThroughGrowth() {
        var map = OffsetMap()
        for round in 0..<3 {
            for k in 0..<20_000 { put(&map, "key-\(k)", Int64(round * 20_000 + k)) }
        }
        put(&map, "", 7)
        #expect(map.count == 20_001)
        #expect((0..<20_000).allSatisfy { get(map, "key-\($0)") == Int64(40_000 + $0) })
        #expect(get(map, "") == 7)
        #expect(get(map, "key-20000") == -1 && get(map, "key-") == -1 && get(map, "key-1\u{0}") == -1)
        map.updateLatestOffset(10)
        map.updateLatestOffset(5)
        #expect(map.latestOffset == 10)
    }
}
