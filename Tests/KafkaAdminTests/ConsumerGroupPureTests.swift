import KafkaAdmin
import KafkaProtocol
import Testing

@Suite struct ConsumerGroupPureTests {
    func options(_ args: String) throws -> ConsumerGroupCommandOptions {
        try ConsumerGroupCommandOptions(arguments: args.split(separator: " ").map(String.init), now: 1_000_000)
    }

    @Test func argumentChecks() throws {
        #expect(throws: ToolUsageError("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")) {
            try options("--bootstrap-server b:1 --group g")
        }
        #expect(throws: ToolUsageError("Option [reset-offsets] only accepts one of [execute] and [dry-run]")) {
            try options("--bootstrap-server b:1 --reset-offsets --group g --to-earliest --all-topics --dry-run --execute")
        }
        #expect(throws: ToolUsageError("Option \"[to-earliest]\" can't be used with option \"[to-latest]\"")) {
            try options("--bootstrap-server b:1 --reset-offsets --group g --to-earliest --to-latest --all-topics --execute")
        }
        #expect(throws: ToolUsageError("Option [describe] takes at most one of these options: [members], [offsets], [state]")) {
            try options("--bootstrap-server b:1 --describe --group g --members --state")
        }
        #expect(throws: ToolUsageError("Option(s) [members] are unavailable given other options on the command line")) {
            try options("--bootstrap-server b:1 --list --members")
        }
        #expect(throws: ToolUsageError("The consumer does not support topic-specific offset deletion from a consumer group.")) {
            try options("--bootstrap-server b:1 --delete --group g --topic t")
        }
        let dry = try options("--bootstrap-server b:1 --reset-offsets --group g --topic t:0,1 --shift-by -2")
        #expect(dry.resetScenario == .shiftBy(-2))
        #expect(!dry.execute)
        #expect(dry.warnings.first?.hasPrefix("WARN: No action will be performed as the --execute option is missing.") == true)
        #expect(try options("--bootstrap-server b:1 --reset-offsets --group g --all-topics --by-duration PT1M --execute").resetScenario == .byDuration(1_000_000 - 60_000))
        #expect(try options("--bootstrap-server b:1 --list --state stable,EMPTY").listStates == ["Stable", "Empty"])
        #expect(try options("--bootstrap-server b:1 --list --state").listStates == [])
        #expect(throws: ToolUsageError.self) { try options("--bootstrap-server b:1 --list --state Bogus") }
    }

    @Test func resetPlanClampsIntoTheLogAndFallsBackAsKafkaDoes() throws {
        let a = TopicPartition("t", 0), b = TopicPartition("t", 1)
        let inputs = ResetOffsetsPlan.Inputs(partitions: [a, b], committed: [a: 5, b: nil], logStart: [a: 2, b: 0], logEnd: [a: 10, b: 7],
                                             byTimestamp: [a: 4])
        #expect(try ResetOffsetsPlan.plan(.toOffset(100), inputs).offsets == [a: 10, b: 7])
        #expect(try ResetOffsetsPlan.plan(.toOffset(1), inputs).offsets == [a: 2, b: 1])
        #expect(try ResetOffsetsPlan.plan(.toEarliest, inputs).offsets == [a: 2, b: 0])
        #expect(try ResetOffsetsPlan.plan(.toLatest, inputs).offsets == [a: 10, b: 7])
        #expect(try ResetOffsetsPlan.plan(.toCurrent, inputs).offsets == [a: 5, b: 7])
        let byTime = try ResetOffsetsPlan.plan(.toDatetime(0), inputs)
        #expect(byTime.offsets == [a: 4, b: 7])
        #expect(byTime.notices == ["\nWarn: Partition 1 from topic t is empty. Falling back to latest known offset."])
        #expect(throws: ToolUsageError("Cannot shift offset for partition t-1 since there is no current committed offset")) {
            try ResetOffsetsPlan.plan(.shiftBy(-1), inputs)
        }
        #expect(try ResetOffsetsPlan.plan(.shiftBy(-10), ResetOffsetsPlan.Inputs(partitions: [a], committed: [a: 5], logStart: [a: 2], logEnd: [a: 10])).offsets == [a: 2])
    }

    @Test func dateTimesAndDurations() throws {
        #expect(try ResetOffsetsPlan.parseDateTime("2024-01-02T03:04:05.678Z") == 1_704_164_645_678)
        #expect(try ResetOffsetsPlan.parseDateTime("2024-01-02T05:04:05.678+02:00") == 1_704_164_645_678)
        #expect(throws: ToolUsageError.self) { try ResetOffsetsPlan.parseDateTime("2024-01-02 03:04:05") }
        #expect(try ResetOffsetsPlan.parseDuration("P1DT2H3M4.5S") == 93_784_500)
        #expect(try ResetOffsetsPlan.parseDuration("PT10M") == 600_000)
        #expect(throws: ToolUsageError.self) { try ResetOffsetsPlan.parseDuration("10M") }
    }

    @Test func csvInAndOut() throws {
        let a = TopicPartition("t", 0)
        #expect(try ResetOffsetsPlan.parseCSV("t,0,5\n", singleGroup: "g") == ["g": [a: 5]])
        #expect(try ResetOffsetsPlan.parseCSV("g1,t,0,5\ng2,t,0,6", singleGroup: nil) == ["g1": [a: 5], "g2": [a: 6]])
        #expect(ResetOffsetsPlan.exportCSV([("g", [a: 5])], singleGroup: true) == "t,0,5\n")
        #expect(ResetOffsetsPlan.exportCSV([("g", [a: 5])], singleGroup: false) == "g,t,0,5\n")
    }

    @Test func tablesAsKafkaLaysThemOut() {
        let rows = [
            PartitionAssignmentState(group: "g", topic: "orders", partition: 0, offset: 3, logEndOffset: 10, consumerID: "m-1", host: "/1.2.3.4", clientID: "c"),
            PartitionAssignmentState(group: "g", topic: "orders", partition: 1, offset: nil, logEndOffset: 4, consumerID: "-", host: "-", clientID: "-"),
        ]
        #expect(rows[0].lag == 7 && rows[1].lag == nil)
        let pad = { (s: String, n: Int) in s + String(repeating: " ", count: n - s.count) }
        #expect(ConsumerGroupFormat.offsets(rows) ==
            "\n" + pad("GROUP", 15) + " " + pad("TOPIC", 15) + " " + pad("PARTITION", 10) + " " + pad("CURRENT-OFFSET", 15) + " " + pad("LOG-END-OFFSET", 15)
            + " " + pad("LAG", 15) + " " + pad("CONSUMER-ID", 15) + " " + pad("HOST", 15) + " CLIENT-ID"
            + "\n" + pad("g", 15) + " " + pad("orders", 15) + " " + pad("0", 10) + " " + pad("3", 15) + " " + pad("10", 15) + " " + pad("7", 15)
            + " " + pad("m-1", 15) + " " + pad("/1.2.3.4", 15) + " c"
            + "\n" + pad("g", 15) + " " + pad("orders", 15) + " " + pad("1", 10) + " " + pad("-", 15) + " " + pad("4", 15) + " " + pad("-", 15)
            + " " + pad("-", 15) + " " + pad("-", 15) + " -")
        let group = GroupDescription(groupID: "g", state: "Stable", assignor: "range", coordinator: .init(id: 1, host: "h", port: 9092),
                                     members: [.init(memberID: "m-1", clientID: "c", host: "/1.2.3.4",
                                                     assignment: [TopicPartition("a", 1), TopicPartition("a", 0), TopicPartition("b", 2)])])
        #expect(ConsumerGroupFormat.members(group, verbose: true) ==
            "\n" + pad("GROUP", 15) + " " + pad("CONSUMER-ID", 15) + " " + pad("HOST", 15) + " " + pad("CLIENT-ID", 15) + " " + pad("#PARTITIONS", 15) + " ASSIGNMENT\n"
            + pad("g", 15) + " " + pad("m-1", 15) + " " + pad("/1.2.3.4", 15) + " " + pad("c", 15) + " " + pad("3", 15) + " (0,1), (2)\n")
        #expect(ConsumerGroupFormat.state(group) ==
            "\n" + pad("GROUP", 25) + " " + pad("COORDINATOR (ID)", 25) + " " + pad("ASSIGNMENT-STRATEGY", 20) + " " + pad("STATE", 15) + " #MEMBERS"
            + "\n" + pad("g", 25) + " " + pad("h:9092  (1)", 25) + " " + pad("range", 20) + " " + pad("Stable", 15) + " 1\n")
        #expect(ConsumerGroupFormat.resetOffsets([("g", [TopicPartition("t", 1): 4, TopicPartition("t", 0): 2])]) ==
            "\n" + pad("GROUP", 30) + " " + pad("TOPIC", 30) + " " + pad("PARTITION", 10) + " " + pad("NEW-OFFSET", 15)
            + "\n" + pad("g", 30) + " " + pad("t", 30) + " " + pad("0", 10) + " " + pad("2", 15)
            + "\n" + pad("g", 30) + " " + pad("t", 30) + " " + pad("1", 10) + " " + pad("4", 15) + "\n")
    }
}
