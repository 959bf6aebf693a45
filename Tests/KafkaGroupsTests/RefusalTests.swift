import KafkaGroups
import KafkaProtocol
import Testing

/// Requests the coordinator refuses, and how each API version shapes the refusal.
@Suite struct RefusalTests {
    /// Requests that do not fit the group are refused without changing it.
    @Test func joinRefusals() {
        var h = MembershipTests.threeMemberGroup()
        h.clearTranscript()
        h.join("c4", protocols: [("sticky", ["t1"])])
        h.join("c4", protocolType: "connect")
        h.join("c4", session: 1_000)
        h.join("c4", session: 1_800_001)
        h.join("c4", group: "other", as: "c1")
        h.join("c4", version: 6, protocols: [("sticky", ["t1"])])
        h.join("c1", as: "c1", instance: "i9")
        #expect(h.transcript == """
            t=6000 join c4 v9 sticky
              reply: INCONSISTENT_GROUP_PROTOCOL member=""
            t=6000 join c4 v9 range
              reply: INCONSISTENT_GROUP_PROTOCOL member=""
            t=6000 join c4 v9 range
              reply: INVALID_SESSION_TIMEOUT member=""
            t=6000 join c4 v9 range
              reply: INVALID_SESSION_TIMEOUT member=""
            t=6000 join c4 as c1 group=other v9 range
              reply: UNKNOWN_MEMBER_ID member=c1
            t=6000 join c4 v6 sticky
              reply: INCONSISTENT_GROUP_PROTOCOL member=""
            t=6000 join c1 as c1 instance=i9 v9 range
              reply: UNKNOWN_MEMBER_ID member=c1
            """)
        #expect(h.group()?.state == .stable)
        #expect(h.group()?.memberCount == 3)
    }

    /// JoinGroup v6 sends a null protocol name as ""; v7 sends "" as null.
    @Test func protocolNameNullabilityFollowsVersion() {
        var h = Harness()
        let v6 = h.join("c1", version: 6, protocols: [])
        let v7 = h.join("c1", version: 7, protocols: [])
        guard case .immediate(let r6) = v6.response, case .immediate(let r7) = v7.response else {
            Issue.record("expected immediate replies")
            return
        }
        #expect(r6.errorCode == ErrorCode.inconsistentGroupProtocol.rawValue && r6.protocolName == "")
        #expect(r7.errorCode == ErrorCode.inconsistentGroupProtocol.rawValue && r7.protocolName == nil)
    }

    /// SyncGroup's checks: generation, v5's protocol names, and no SyncGroup while preparing a rebalance.
    @Test func syncRefusals() {
        var h = MembershipTests.threeMemberGroup()
        h.clearTranscript()
        h.sync("c2", generation: 0)
        h.sync("c2", protocolName: "roundrobin")
        h.sync("c2", protocolName: nil)
        h.sync("c2", version: 4, protocolName: nil)
        h.sync("nobody")
        h.join("c1", as: "c1")
        h.sync("c2")
        h.sync("c2", group: "unknown")
        #expect(h.transcript == """
            t=6000 sync c2 gen=0
              reply: ILLEGAL_GENERATION
            t=6000 sync c2 gen=1
              reply: INCONSISTENT_GROUP_PROTOCOL
            t=6000 sync c2 gen=1
              reply: INCONSISTENT_GROUP_PROTOCOL
            t=6000 sync c2 gen=1
              reply: assignment=t1:1
            t=6000 sync nobody gen=1
              reply: UNKNOWN_MEMBER_ID
            t=6000 join c1 as c1 v9 range
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[c1,c2,c3]
              reply: parked as c1
            t=6000 sync c2 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=6000 sync c2 group=unknown gen=-1
              reply: UNKNOWN_MEMBER_ID
            """)
    }

    /// LeaveGroup below v3 answers with one top-level error; v3+ answers per member.
    @Test func leaveVersions() {
        var h = MembershipTests.threeMemberGroup()
        h.clearTranscript()
        h.leave(["nobody"], version: 2)
        h.leave(["c3", "nobody"], version: 3)
        h.leave(["c2"], version: 0)
        h.leave(["c1"], group: "unknown", version: 1)
        #expect(h.transcript == """
            t=6000 leave nobody v2
              reply: UNKNOWN_MEMBER_ID
            t=6000 leave c3,nobody v3
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[c1,c2]
              reply: NONE c3=NONE nobody=UNKNOWN_MEMBER_ID
            t=6000 leave c2 v0
              g: PreparingRebalance gen=1 members=[c1]
              reply: NONE
            t=6000 leave c1 group=unknown v1
              reply: UNKNOWN_MEMBER_ID
            """)
        #expect(h.group()?.memberCount == 1)
    }
}
