import KafkaRaft
import Testing

@Suite struct OffsetAndEpochTests {
    @Test func laterEpochWinsOverLongerLog() {
        #expect(OffsetAndEpoch(offset: 100, epoch: 2) < OffsetAndEpoch(offset: 1, epoch: 3))
        #expect(OffsetAndEpoch(offset: 4, epoch: 3) < OffsetAndEpoch(offset: 5, epoch: 3))
        #expect(!(OffsetAndEpoch(offset: 5, epoch: 3) < OffsetAndEpoch(offset: 5, epoch: 3)))
    }
}
