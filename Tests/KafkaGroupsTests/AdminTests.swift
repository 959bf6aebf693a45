import KafkaGroups
import KafkaProtocol
import Testing

/// ListGroups, DescribeGroups, DeleteGroups.
@Suite struct AdminTests {
    /// "g" Stable (consumer), "r" rebalancing, "s" simple (Empty, no protocol type).
    static func threeGroups() -> Harness {
        var h = MembershipTests.threeMemberGroup()
        h.join("r1", group: "r", version: 3)
        h.commit(["t-0": 1], group: "s")
        return h
    }

    @Test func listGroupsWithFilters() {
        let h = Self.threeGroups()
        func list(_ states: [String] = [], _ types: [String] = [], version: Int16 = 5) -> [String] {
            h.coordinator.listGroups(ListGroupsRequest(statesFilter: states, typesFilter: types), version: version).groups
                .map { "\($0.groupID):\($0.groupState):\($0.groupType):\($0.protocolType)" }
        }
        #expect(list() == ["g:Stable:classic:consumer", "r:PreparingRebalance:classic:consumer", "s:Empty:classic:"])
        #expect(list(["stable", " EMPTY "]) == ["g:Stable:classic:consumer", "s:Empty:classic:"])
        #expect(list(["Dead"]) == [])
        #expect(list([], ["Classic"]) == list())
        #expect(list([], ["consumer"]) == [])
        #expect(list(["stable"], ["consumer"], version: 4) == ["g:Stable:classic:consumer"])
        #expect(list(["stable"], version: 3).count == 3)
    }

    @Test func describeGroups() {
        let h = Self.threeGroups()
        let r = h.coordinator.describeGroups(DescribeGroupsRequest(groups: ["g", "r", "nope"]), version: 5)
        let g = r.groups[0]
        #expect(g.groupState == "Stable" && g.protocolType == "consumer" && g.protocolData == "range")
        #expect(g.members.map(\.memberID) == [h.id("c1"), h.id("c2"), h.id("c3")])
        #expect(g.members.map(\.clientID) == ["c1", "c2", "c3"])
        #expect(g.members.map(\.clientHost) == ["/10.0.0.1", "/10.0.0.1", "/10.0.0.1"])
        #expect(g.members.map { String(decoding: $0.memberAssignment, as: UTF8.self) } == ["t1:0", "t1:1", "t1:2"])
        #expect(g.members[0].memberMetadata == subscription(["t1"]))
        let rebalancing = r.groups[1]
        #expect(rebalancing.groupState == "PreparingRebalance" && rebalancing.protocolData == "")
        #expect(rebalancing.members.count == 1 && rebalancing.members[0].memberMetadata.isEmpty)
        #expect(r.groups[2] == .init(groupID: "nope", groupState: "Dead"))
        // v6 (KIP-1043) says why: the same groups, and the unknown one GROUP_ID_NOT_FOUND with Kafka's message.
        let v6 = h.coordinator.describeGroups(DescribeGroupsRequest(groups: ["g", "r", "nope"]), version: 6)
        #expect(Array(v6.groups.prefix(2)) == Array(r.groups.prefix(2)))
        #expect(v6.groups[2] == .init(errorCode: ErrorCode.groupIDNotFound.rawValue, errorMessage: "Group nope not found.",
                                      groupID: "nope", groupState: "Dead"))
    }

    @Test func deleteGroups() {
        var h = Self.threeGroups()
        h.commit(["t-1": 2], group: "s")
        h.clearTranscript()
        let outcome = h.coordinator.deleteGroups(DeleteGroupsRequest(groupsNames: ["s", "g", "nope"]))
        h.perform(outcome.actions)
        #expect(outcome.response.results.map { "\($0.groupID):\(errorName($0.errorCode))" }
            == ["s:NONE", "g:NON_EMPTY_GROUP", "nope:GROUP_ID_NOT_FOUND"])
        #expect(h.transcript == """
              append p15: offset s t-0 deleted
              append p15: offset s t-1 deleted
              append p15: group s deleted
            """)
        #expect(h.group("s") == nil)
        #expect(h.coordinator.offsets["s"] == nil)
        #expect(h.group("g") != nil)
    }
}
