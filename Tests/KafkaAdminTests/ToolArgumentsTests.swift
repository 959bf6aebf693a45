import KafkaAdmin
import Testing

@Suite struct ToolArgumentsTests {
    static let options = [
        ToolOption("topic", .required, help: ""), ToolOption("list", help: ""), ToolOption("state", .optional, help: ""),
        ToolOption("delete-config", .required, help: "", separator: ","),
    ]

    @Test func keepsOccurrencesInOrderWithBothValueForms() throws {
        let a = try ToolArguments(parsing: ["--topic", "a", "--list", "--topic=b", "pos", "--delete-config", "x,y"], options: Self.options)
        #expect(a.values("topic") == ["a", "b"])
        #expect(a.value("topic") == "a")
        #expect(a.has("list"))
        #expect(a.positionals == ["pos"])
        #expect(a.values("delete-config") == ["x", "y"])
        #expect(a.occurrences.map(\.name) == ["topic", "list", "topic", "delete-config", "delete-config"])
    }

    @Test func optionalValueIsTakenOnlyWhenTheNextWordIsNotAnOption() throws {
        #expect(try ToolArguments(parsing: ["--state", "--list"], options: Self.options).value("state") == nil)
        #expect(try ToolArguments(parsing: ["--state", "Stable"], options: Self.options).value("state") == "Stable")
    }

    @Test func joptsimpleErrors() {
        #expect(throws: ToolUsageError("nope is not a recognized option")) { try ToolArguments(parsing: ["--nope"], options: Self.options) }
        #expect(throws: ToolUsageError("Option [topic] requires an argument")) { try ToolArguments(parsing: ["--topic"], options: Self.options) }
        #expect(throws: ToolUsageError("Option [list] does not accept arguments")) { try ToolArguments(parsing: ["--list=x"], options: Self.options) }
        let a = try? ToolArguments(parsing: ["--topic", "t", "--list"], options: Self.options)
        #expect(throws: ToolUsageError("Option \"[topic]\" can't be used with option \"[list]\"")) { try a?.refuse(["list"], with: "topic") }
        #expect(throws: ToolUsageError("Missing required argument \"[state]\"")) { try a?.require("state") }
    }

    @Test func bootstrapServers() throws {
        #expect(try HostPort.parseList("a:1, [::1]:9092") == [HostPort(host: "a", port: 1), HostPort(host: "::1", port: 9092)])
        #expect(throws: ToolUsageError("Invalid url in bootstrap.servers: localhost")) { try HostPort.parseList("localhost") }
    }
}
