import KafkaGroups
import KafkaProtocol
import Testing

/// Static membership (KIP-345) transcripts.
@Suite struct StaticMembershipTests {
    /// Two static members (instances i1, i2) form a Stable group at generation 1; i1 leads.
    static func staticGroup(version: Int16 = 9) -> Harness {
        var h = Harness()
        h.join("app", instance: "i1", version: version)
        h.join("app", instance: "i2", version: version)
        h.advance(3_000)
        h.advance(3_000)
        h.sync("i2")
        h.sync("i1", assign: ["i1": "t1:0", "i2": "t1:1"])
        return h
    }

    /// A restarted follower takes back its assignment without a rebalance; its old id is fenced.
    @Test func restartedFollowerRejoinsWithoutRebalance() {
        var h = Self.staticGroup()
        h.clearTranscript()
        h.join("app", instance: "i2", version: 8)
        h.sync("i2'", instance: "i2")
        h.heartbeat("i2", instance: "i2")
        h.sync("i2", instance: "i2")
        h.join("app", as: "i2", instance: "i2")
        h.heartbeat("i2'", instance: "i2")
        #expect(h.transcript == """
            t=6000 join app instance=i2 v8 range
              append p3: group g gen=1 type=consumer protocol=range leader=i1 members=[i1=t1:0 i2'=t1:1]
              g: Stable gen=1 members=[i1,i2']
              reply: gen=1 member=i2' leader=i1 protocol=range
            t=6000 sync i2' gen=1
              reply: assignment=t1:1
            t=6000 heartbeat i2 gen=1
              reply: FENCED_INSTANCE_ID
            t=6000 sync i2 gen=1
              reply: FENCED_INSTANCE_ID
            t=6000 join app as i2 instance=i2 v9 range
              reply: FENCED_INSTANCE_ID member=i2
            t=6000 heartbeat i2' gen=1
              reply: NONE
            """)
        let g = h.group()!
        #expect(g.state == .stable)
        #expect(g.generationID == 1)
        #expect(g.staticMembers["i2"] == h.id("i2'"))
        #expect(g.member(h.id("i2'"))?.assignment == Array("t1:1".utf8))
    }

    /// A restarted leader on JoinGroup v9 gets the members but is told to skip the assignment (KIP-814);
    /// below v9 it is told the old leader id, so it does not think it leads.
    @Test func restartedLeaderSkipsAssignment() {
        var h = Self.staticGroup()
        h.clearTranscript()
        h.join("app", instance: "i1", version: 9)
        h.join("app", instance: "i1", version: 8)
        #expect(h.transcript == """
            t=6000 join app instance=i1 v9 range
              append p3: group g gen=1 type=consumer protocol=range leader=i1' members=[i1'=t1:0 i2=t1:1]
              g: Stable gen=1 members=[i1',i2]
              reply: gen=1 member=i1' leader=i1' protocol=range members=[i1',i2] skipAssignment
            t=6000 join app instance=i1 v8 range
              append p3: group g gen=1 type=consumer protocol=range leader=i1'' members=[i1''=t1:0 i2=t1:1]
              g: Stable gen=1 members=[i1'',i2]
              reply: gen=1 member=i1'' leader=i1' protocol=range
            """)
        #expect(h.group()?.leaderID == h.id("i1''"))
        #expect(h.group()?.generationID == 1)
    }

    /// A static member rejoining with protocols that change the group's choice forces a rebalance. (One
    /// whose protocol names are unchanged does not, even if its subscription changed: Kafka compares names.)
    @Test func restartThatChangesTheProtocolRebalances() {
        var h = Harness()
        let rangeFirst = [("range", ["t1"]), ("roundrobin", ["t1"])]
        let roundRobinFirst = [("roundrobin", ["t1"]), ("range", ["t1"])]
        h.join("app", instance: "i1", protocols: rangeFirst)
        h.join("app", instance: "i2", protocols: roundRobinFirst)
        h.join("app", instance: "i3", protocols: roundRobinFirst)
        h.advance(3_000)
        h.advance(3_000)
        h.sync("i1", assign: ["i1": "a", "i2": "b", "i3": "c"], protocolName: "roundrobin")
        h.clearTranscript()
        h.join("app", instance: "i2", protocols: [("roundrobin", ["t1", "t2"]), ("range", ["t1"])])
        h.join("app", instance: "i3", protocols: rangeFirst)
        #expect(h.transcript == """
            t=6000 join app instance=i2 v9 roundrobin,range
              append p3: group g gen=1 type=consumer protocol=roundrobin leader=i1 members=[i1=a i2'=b i3=c]
              g: Stable gen=1 members=[i1,i2',i3]
              reply: gen=1 member=i2' leader=i1 protocol=roundrobin
            t=6000 join app instance=i3 v9 range,roundrobin
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[i1,i2',i3']
              reply: parked as i3'
            """)
        #expect(h.group()?.state == .preparingRebalance)
    }

    /// A static member that restarts while its old incarnation waits in SyncGroup fences the old request,
    /// and the group rebalances because the leader may be assigning to the old id.
    @Test func restartDuringCompletingRebalanceFencesParkedSync() {
        var h = Self.staticGroup()
        h.join("app", as: "i1", instance: "i1")
        h.join("app", as: "i2", instance: "i2")
        h.clearTranscript()
        h.sync("i2", instance: "i2")
        h.join("app", instance: "i2")
        #expect(h.transcript == """
            t=6000 sync i2 gen=2
              reply: parked as i2
            t=6000 join app instance=i2 v9 range
              -> i2 sync: FENCED_INSTANCE_ID
              timer join g at 36000
              g: PreparingRebalance gen=2 members=[i1,i2']
              reply: parked as i2'
            """)
        #expect(h.group()?.state == .preparingRebalance)
    }

    /// LeaveGroup may name a static member by instance id alone (administrative removal).
    @Test func leaveByInstanceID() {
        var h = Self.staticGroup()
        h.clearTranscript()
        let request = LeaveGroupRequest(groupID: "g", members: [.init(memberID: "", groupInstanceID: "i2"), .init(memberID: "", groupInstanceID: "i9")])
        let outcome = h.coordinator.leave(request, version: 4, now: h.now)
        #expect(outcome.response.members.map(\.errorCode) == [0, ErrorCode.unknownMemberID.rawValue])
        #expect(h.group()?.state == .preparingRebalance)
        #expect(h.group()?.staticMembers["i2"] == nil)
    }

    /// Static members survive a rebalance they do not rejoin; dynamic ones do not.
    @Test func staticMemberKeptWhenNotRejoining() {
        var h = Self.staticGroup()
        h.join("app", as: "i1", instance: "i1")
        for _ in 0..<4 {
            h.advance(7_500)
            h.heartbeat("i2", instance: "i2")
        }
        h.advance(0)
        let g = h.group()!
        #expect(g.generationID == 2)
        #expect(g.state == .completingRebalance)
        #expect(g.hasMember(h.id("i2")))
    }
}
