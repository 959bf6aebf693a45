import KafkaRecords
import SeededRandom

/// Seeded, so every run benchmarks the same bytes.
extension SplitMix64 {
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[Int(next() & 15)] })
    }
}

/// Event-log style JSON values with varied fields, the kind of payload Kafka topics commonly carry.
enum Corpus {
    static let events = ["page_view", "click", "add_to_cart", "checkout", "login", "logout", "search", "purchase", "refund", "signup"]
    static let agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "okhttp/4.12.0", "curl/8.5.0", "python-requests/2.31.0",
    ]
    static let countries = [("DE", "Berlin"), ("US", "Austin"), ("JP", "Osaka"), ("BR", "Recife"), ("IN", "Pune"), ("FR", "Lyon"), ("NG", "Lagos")]
    static let words = ["shoes", "jacket", "kafka", "stream", "lamp", "coffee", "guitar", "book", "phone", "chair", "tent", "bike"]

    static func jsonValue(_ rng: inout SplitMix64, id: Int) -> String {
        let (country, city) = rng.pick(countries)
        let path = (0..<rng.int(1...4)).map { _ in rng.pick(words) }.joined(separator: "/")
        let tags = (0..<rng.int(0...5)).map { _ in "\"\(rng.pick(words))\"" }.joined(separator: ",")
        let cents = rng.int(0...500_000)
        var json = "{\"id\":\(id),\"event\":\"\(rng.pick(events))\",\"user_id\":\(rng.int(1...2_000_000))"
        json += ",\"session\":\"\(rng.hex(8))-\(rng.hex(4))-\(rng.hex(4))-\(rng.hex(12))\""
        json += ",\"ts\":\"2024-0\(rng.int(1...9))-\(10 + rng.int(0...18))T\(10 + rng.int(0...13)):\(10 + rng.int(0...49)):\(10 + rng.int(0...49)).\(100 + rng.int(0...899))Z\""
        json += ",\"ip\":\"\(rng.int(1...223)).\(rng.int(0...255)).\(rng.int(0...255)).\(rng.int(1...254))\""
        json += ",\"url\":\"https://shop.example.com/\(path)?ref=\(rng.hex(6))\""
        json += ",\"agent\":\"\(rng.pick(agents))\""
        json += ",\"geo\":{\"country\":\"\(country)\",\"city\":\"\(city)\",\"lat\":\(rng.int(-90...90)).\(rng.int(0...9999)),\"lon\":\(rng.int(-180...180)).\(rng.int(0...9999))}"
        json += ",\"amount\":\(cents / 100).\(cents % 100),\"currency\":\"\(rng.pick(["EUR", "USD", "JPY", "BRL"]))\""
        json += ",\"tags\":[\(tags)],\"consent\":\(rng.next() & 1 == 0),\"retries\":\(rng.int(0...3))"
        if rng.int(0...3) == 0 {
            json += ",\"note\":\"\((0..<rng.int(3...30)).map { _ in rng.pick(words) }.joined(separator: " "))\""
        }
        return json + "}"
    }

    /// Records of JSON values until their encoded size reaches `targetBytes`.
    static func jsonBatch(targetBytes: Int, seed: UInt64) -> RecordBatchBuilder {
        var rng = SplitMix64(seed: seed)
        var builder = RecordBatchBuilder(producerId: 1000, producerEpoch: 0, baseSequence: 0)
        var size = 0
        var id = 0
        let start: Int64 = 1_717_000_000_000
        while size < targetBytes {
            let value = Array(jsonValue(&rng, id: id).utf8)
            let key = Array("user-\(rng.int(1...2_000_000))".utf8)
            let headers = rng.int(0...2) == 0 ? [RecordHeader(key: "traceparent", value: Array("00-\(rng.hex(32))-\(rng.hex(16))-01".utf8))] : []
            builder.append(timestamp: start + Int64(id * 3 + rng.int(0...2)), key: key, value: value, headers: headers)
            size += value.count + key.count + 12 + headers.reduce(0) { $0 + 12 + ($1.value?.count ?? 0) }
            id += 1
        }
        return builder
    }

    /// `count` records with 16-byte keys and values of `valueSize` random-ish bytes.
    static func fixedBatch(records count: Int, valueSize: Int, seed: UInt64, baseOffset: Int64) -> RecordBatchBuilder {
        var rng = SplitMix64(seed: seed)
        var builder = RecordBatchBuilder(baseOffset: baseOffset, producerId: 7, producerEpoch: 0, baseSequence: 0)
        for i in 0..<count {
            builder.append(timestamp: 1_717_000_000_000 + Int64(i), key: Array(rng.hex(16).utf8), value: rng.bytes(valueSize))
        }
        return builder
    }
}
