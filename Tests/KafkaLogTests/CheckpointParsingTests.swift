import KafkaLog
import Testing

/// Checkpoint files are read at start: a count no file could hold is a malformed file, not a trap.
@Suite struct CheckpointParsingTests {
    @Test func aHugeDeclaredCountIsMalformed() {
        for count in ["9223372036854775807", "3"] {
            #expect(OffsetCheckpoint(parsing: Array("0\n\(count)\nt 0 5\n".utf8)) == nil)
        }
        #expect(OffsetCheckpoint(parsing: Array("0\n1\nt 0 5\n".utf8)) != nil)
    }
}
