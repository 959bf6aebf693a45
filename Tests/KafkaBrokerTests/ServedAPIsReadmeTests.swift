import Foundation
import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing

/// The README's table of served APIs says what each listener advertises: it must list exactly the
/// versions the handlers declare (`BrokerAssembly.clientAPIs`, `controllerAPIs`), so neither can change
/// without the other.
@Suite struct ServedAPIsReadmeTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")

    @Test func theReadmeTableListsWhatEachListenerAdvertises() throws {
        let table = try Self.servedAPIsTable()
        #expect(table.client.count > 30)
        #expect(table.client.map(\.description) == BrokerAssembly.clientAPIs.map(\.description))
        #expect(table.controller.map(\.description) == BrokerAssembly.controllerAPIs.map(\.description))
    }

    /// The catalogs are what the listeners of a running node answer in ApiVersions.
    @Test func eachListenerAdvertisesItsCatalog() async throws {
        let broker = try await TestBroker()
        for (listener, expected) in [("PLAINTEXT", BrokerAssembly.clientAPIs), ("CONTROLLER", BrokerAssembly.controllerAPIs)] {
            let client = try await TestKafkaClient(port: try #require(broker.node.boundPorts[listener]))
            let answer = try await client.send(ApiVersionsRequest(), version: 0).apiKeys
            #expect(answer.map { "\(APIKey(rawValue: $0.apiKey)) \($0.minVersion)-\($0.maxVersion)" } == expected.map(\.description), "\(listener)")
            await client.close()
        }
        await broker.shutdown()
    }

    @Test func noListenerServesAnAPITwice() {
        for apis in [BrokerAssembly.clientAPIs, BrokerAssembly.controllerAPIs] {
            #expect(Set(apis.map(\.apiKey)).count == apis.count)
        }
    }

    /// Parses the rows `| Name | client versions | controller versions | notes |` under the table's
    /// header; an empty cell means the listener does not serve the API. Sorted by API key.
    static func servedAPIsTable() throws -> (client: [ServedAPI], controller: [ServedAPI]) {
        let lines = try String(contentsOf: readme, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| API | Client listener | Controller listener |") })
        let keysByName = Dictionary(uniqueKeysWithValues: (Int16(0)...200).compactMap { raw in
            APIKey(rawValue: raw).name.map { ($0, APIKey(rawValue: raw)) }
        })
        var client: [ServedAPI] = [], controller: [ServedAPI] = []
        for line in lines[(header + 2)...].prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count >= 5, "a row with too few cells: \(line)")
            let key = try #require(keysByName[cells[1]], "not an API name: \(cells[1])")
            if let v = try versions(cells[2]) { client.append(ServedAPI(apiKey: key, versions: v)) }
            if let v = try versions(cells[3]) { controller.append(ServedAPI(apiKey: key, versions: v)) }
        }
        return (client.sorted { $0.apiKey < $1.apiKey }, controller.sorted { $0.apiKey < $1.apiKey })
    }

    /// `N` or `N-M`; nil for an empty cell.
    static func versions(_ cell: String) throws -> ClosedRange<Int16>? {
        if cell.isEmpty { return nil }
        let bounds = cell.split(separator: "-").map { Int16($0) }
        let low = try #require(bounds.first ?? nil, "not a version range: \(cell)")
        let high = try #require(bounds.last ?? nil, "not a version range: \(cell)")
        try #require(bounds.count <= 2 && low <= high, "not a version range: \(cell)")
        return low...high
    }
}
