import KafkaGroups
import KafkaProtocol
import Testing

/// Dynamic membership transcripts: JoinGroup/SyncGroup/Heartbeat/LeaveGroup and the timers.
@Suite struct MembershipTests {
    /// Three consumers form a group with KIP-394's two-step join; the initial delay is extended once
    /// because members kept arriving; the leader assigns and everyone gets their share.
    static func threeMemberGroup() -> Harness {
        var h = Harness()
        for c in ["c1", "c2", "c3"] {
            h.join(c)
            h.join(c, as: c)
        }
        h.advance(3_000)
        h.advance(3_000)
        h.sync("c2")
        h.sync("c3")
        h.sync("c1", assign: ["c1": "t1:0", "c2": "t1:1", "c3": "t1:2"])
        return h
    }

    @Test func threeMembersJoinSyncAndHeartbeat() {
        var h = Self.threeMemberGroup()
        h.advance(2_000)
        h.heartbeat("c1")
        h.heartbeat("c2", generation: 0)
        h.heartbeat("nobody")
        #expect(h.transcript == """
            t=0 join c1 v9 range
              append p3: group g gen=0 type= protocol=null leader=null members=[]
              g: Empty gen=0 members=[]
              reply: MEMBER_ID_REQUIRED member=c1
            t=0 join c1 as c1 v9 range
              timer join g at 3000
              g: PreparingRebalance gen=0 members=[c1]
              reply: parked as c1
            t=0 join c2 v9 range
              reply: MEMBER_ID_REQUIRED member=c2
            t=0 join c2 as c2 v9 range
              g: PreparingRebalance gen=0 members=[c1,c2]
              reply: parked as c2
            t=0 join c3 v9 range
              reply: MEMBER_ID_REQUIRED member=c3
            t=0 join c3 as c3 v9 range
              g: PreparingRebalance gen=0 members=[c1,c2,c3]
              reply: parked as c3
            t=3000 timeout
              timer join g at 6000
            t=6000 timeout
              -> c1 join: gen=1 member=c1 leader=c1 protocol=range members=[c1,c2,c3]
              -> c2 join: gen=1 member=c2 leader=c1 protocol=range
              -> c3 join: gen=1 member=c3 leader=c1 protocol=range
              timer sync g at 36000
              g: CompletingRebalance gen=1 members=[c1,c2,c3]
            t=6000 sync c2 gen=1
              reply: parked as c2
            t=6000 sync c3 gen=1
              reply: parked as c3
            t=6000 sync c1 gen=1 assign c1=t1:0 c2=t1:1 c3=t1:2
              append p3: group g gen=1 type=consumer protocol=range leader=c1 members=[c1=t1:0 c2=t1:1 c3=t1:2]
              -> c2 sync: assignment=t1:1
              -> c3 sync: assignment=t1:2
              g: Stable gen=1 members=[c1,c2,c3]
              reply: assignment=t1:0
            t=8000 timeout
            t=8000 heartbeat c1 gen=1
              reply: NONE
            t=8000 heartbeat c2 gen=0
              reply: ILLEGAL_GENERATION
            t=8000 heartbeat nobody gen=1
              reply: UNKNOWN_MEMBER_ID
            """)
        #expect(h.group()?.state == .stable)
        #expect(h.group()?.generationID == 1)
    }
}

extension MembershipTests {
    /// A member leaving a Stable group starts a rebalance; the others rejoin and the generation goes up.
    @Test func leaveTriggersRebalanceAndGenerationBump() {
        var h = Self.threeMemberGroup()
        h.clearTranscript()
        h.leave(["c3"])
        h.heartbeat("c1")
        h.sync("c1", assign: ["c1": "x"])
        h.join("c1", as: "c1")
        h.join("c2", as: "c2")
        h.sync("c2")
        h.sync("c1", assign: ["c1": "t1:0,1", "c2": "t1:2"])
        #expect(h.transcript == """
            t=6000 leave c3 v5
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[c1,c2]
              reply: NONE c3=NONE
            t=6000 heartbeat c1 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=6000 sync c1 gen=1 assign c1=x
              reply: REBALANCE_IN_PROGRESS
            t=6000 join c1 as c1 v9 range
              reply: parked as c1
            t=6000 join c2 as c2 v9 range
              -> c1 join: gen=2 member=c1 leader=c1 protocol=range members=[c1,c2]
              timer sync g at 36000
              g: CompletingRebalance gen=2 members=[c1,c2]
              reply: gen=2 member=c2 leader=c1 protocol=range
            t=6000 sync c2 gen=2
              reply: parked as c2
            t=6000 sync c1 gen=2 assign c1=t1:0,1 c2=t1:2
              append p3: group g gen=2 type=consumer protocol=range leader=c1 members=[c1=t1:0,1 c2=t1:2]
              -> c2 sync: assignment=t1:2
              g: Stable gen=2 members=[c1,c2]
              reply: assignment=t1:0,1
            """)
        #expect(h.group()?.generationID == 2)
        #expect(h.group()?.members.map(\.memberID) == [h.id("c1"), h.id("c2")])
    }

    /// A member that stops heartbeating is removed after its session timeout, which starts a rebalance.
    @Test func sessionExpiryRemovesMember() {
        var h = Self.threeMemberGroup()
        h.clearTranscript()
        h.advance(5_000)
        h.heartbeat("c1")
        h.heartbeat("c2")
        h.advance(5_000)
        h.heartbeat("c2")
        h.join("c1", as: "c1")
        h.join("c2", as: "c2")
        #expect(h.transcript == """
            t=11000 timeout
            t=11000 heartbeat c1 gen=1
              reply: NONE
            t=11000 heartbeat c2 gen=1
              reply: NONE
            t=16000 timeout
              timer join g at 46000
              g: PreparingRebalance gen=1 members=[c1,c2]
            t=16000 heartbeat c2 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=16000 join c1 as c1 v9 range
              reply: parked as c1
            t=16000 join c2 as c2 v9 range
              -> c1 join: gen=2 member=c1 leader=c1 protocol=range members=[c1,c2]
              timer sync g at 46000
              g: CompletingRebalance gen=2 members=[c1,c2]
              reply: gen=2 member=c2 leader=c1 protocol=range
            """)
        #expect(h.group()?.state == .completingRebalance)
        #expect(h.group()?.generationID == 2)
        #expect(h.group()?.hasMember(h.id("c3")) == false)
    }

    /// A member that keeps heartbeating but does not rejoin is removed when the rebalance times out.
    @Test func rebalanceTimeoutEvictsMemberThatDidNotRejoin() {
        var h = Self.threeMemberGroup()
        h.clearTranscript()
        h.join("c1", as: "c1")
        h.join("c2", as: "c2")
        for _ in 0..<4 {
            h.advance(7_500)
            h.heartbeat("c3")
        }
        h.advance(0)
        #expect(h.transcript == """
            t=6000 join c1 as c1 v9 range
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[c1,c2,c3]
              reply: parked as c1
            t=6000 join c2 as c2 v9 range
              reply: parked as c2
            t=13500 timeout
            t=13500 heartbeat c3 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=21000 timeout
            t=21000 heartbeat c3 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=28500 timeout
            t=28500 heartbeat c3 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=36000 timeout
              -> c1 join: gen=2 member=c1 leader=c1 protocol=range members=[c1,c2]
              -> c2 join: gen=2 member=c2 leader=c1 protocol=range
              timer sync g at 66000
              g: CompletingRebalance gen=2 members=[c1,c2]
            t=36000 heartbeat c3 gen=2
              reply: UNKNOWN_MEMBER_ID
            t=36000 timeout
            """)
        #expect(h.group()?.generationID == 2)
        #expect(h.group()?.members.map(\.memberID) == [h.id("c1"), h.id("c2")])
    }

    /// A member that never sends SyncGroup is removed when the sync wait (the rebalance timeout) ends.
    @Test func pendingSyncExpiryRemovesMember() {
        var h = Harness()
        h.join("c1")
        h.join("c1", as: "c1")
        h.join("c2")
        h.join("c2", as: "c2")
        h.advance(3_000)
        h.advance(3_000)
        h.clearTranscript()
        h.sync("c1", assign: ["c1": "a", "c2": "b"])
        for _ in 0..<4 {
            h.advance(7_500)
            h.heartbeat("c1")
            h.heartbeat("c2")
        }
        #expect(h.transcript == """
            t=6000 sync c1 gen=1 assign c1=a c2=b
              append p3: group g gen=1 type=consumer protocol=range leader=c1 members=[c1=a c2=b]
              g: Stable gen=1 members=[c1,c2]
              reply: assignment=a
            t=13500 timeout
            t=13500 heartbeat c1 gen=1
              reply: NONE
            t=13500 heartbeat c2 gen=1
              reply: NONE
            t=21000 timeout
            t=21000 heartbeat c1 gen=1
              reply: NONE
            t=21000 heartbeat c2 gen=1
              reply: NONE
            t=28500 timeout
            t=28500 heartbeat c1 gen=1
              reply: NONE
            t=28500 heartbeat c2 gen=1
              reply: NONE
            t=36000 timeout
              timer join g at 66000
              g: PreparingRebalance gen=1 members=[c1]
            t=36000 heartbeat c1 gen=1
              reply: REBALANCE_IN_PROGRESS
            t=36000 heartbeat c2 gen=1
              reply: UNKNOWN_MEMBER_ID
            """)
        #expect(h.group()?.state == .preparingRebalance)
        #expect(h.group()?.memberCount == 1)
    }

    /// Below JoinGroup v4 a new member is admitted at once with a minted id.
    @Test func belowV4NewMemberIsAdmittedDirectly() {
        var h = Harness()
        h.join("c1", version: 3)
        h.advance(3_000)
        #expect(h.transcript == """
            t=0 join c1 v3 range
              timer join g at 3000
              append p3: group g gen=0 type=consumer protocol=null leader=null members=[]
              g: PreparingRebalance gen=0 members=[c1]
              reply: parked as c1
            t=3000 timeout
              -> c1 join: gen=1 member=c1 leader=c1 protocol=range members=[c1]
              timer sync g at 33000
              g: CompletingRebalance gen=1 members=[c1]
            """)
        #expect(h.id("c1").hasPrefix("c1-"))
        #expect(h.id("c1").count == "c1-".count + 36)
    }

    /// The protocol every member supports, by the members' votes.
    @Test func protocolSelectionByVote() {
        var h = Harness()
        h.join("c1", version: 3, protocols: [("range", ["t1"]), ("roundrobin", ["t1"])])
        h.join("c2", version: 3, protocols: [("roundrobin", ["t1"]), ("range", ["t1"])])
        h.join("c3", version: 3, protocols: [("range", ["t1"]), ("roundrobin", ["t1"]), ("sticky", ["t1"])])
        h.advance(3_000)
        h.advance(3_000)
        #expect(h.group()?.protocolName == "range")

        var h2 = Harness()
        h2.join("c1", version: 3, protocols: [("range", ["t1"]), ("roundrobin", ["t1"])])
        h2.join("c2", version: 3, protocols: [("roundrobin", ["t1"])])
        h2.advance(3_000)
        h2.advance(3_000)
        #expect(h2.group()?.protocolName == "roundrobin")
    }
}
