import KafkaRaft
import Testing

@Suite struct QuorumStateDataTests {
    @Test func encodesVersion0LikeKafka() {
        let state = QuorumStateData(leaderEpoch: 2, leaderID: 1, votedID: -1, currentVoters: [1, 2, 3])
        #expect(state.encodedJSON(version: 0)
            == #"{"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}"#)
    }

    @Test func encodesVersion1LikeKafka() {
        let state = QuorumStateData(leaderEpoch: 2, leaderID: -1, votedID: 1)
        #expect(state.encodedJSON(version: 1)
            == #"{"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}"#)
    }

    @Test func decodesKafkasFilesAndRoundTrips() throws {
        let written = #"{"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,"currentVoters":[],"data_version":0}"#
        let (state, version) = try QuorumStateData.decode(json: written + "\n")
        #expect(version == 0)
        #expect(state == QuorumStateData(leaderEpoch: 2, leaderID: 1, votedID: -1, currentVoters: []))
        #expect(state.encodedJSON(version: 0) == written)

        let directory = DirectoryID(mostSignificantBits: 0x27C6_803D_C7CB_42DD, leastSignificantBits: 0x9BAA_CD49_254F_EACC)
        let v1 = QuorumStateData(leaderEpoch: 9, leaderID: 3, votedID: 2, votedDirectoryID: directory)
        let decoded = try QuorumStateData.decode(json: v1.encodedJSON(version: 1))
        #expect(decoded.version == 1)
        #expect(decoded.state == v1)
    }

    @Test func directoryIDUsesKafkasBase64() {
        #expect(DirectoryID.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        let id = DirectoryID(mostSignificantBits: 0x27C6_803D_C7CB_42DD, leastSignificantBits: 0x9BAA_CD49_254F_EACC)
        #expect(id.description == "J8aAPcfLQt2bqs1JJU_qzA")
        #expect(DirectoryID("J8aAPcfLQt2bqs1JJU_qzA") == id)
        #expect(DirectoryID("J8aAPcfLQt2bqs1JJU_qz") == nil)
        #expect(DirectoryID("J8aAPcfLQt2bqs1JJU_qz!") == nil)
    }

    @Test func rejectsMalformedFiles() {
        #expect(throws: QuorumStateData.DecodingError.notAJSONObject) { try QuorumStateData.decode(json: "[1]") }
        #expect(throws: QuorumStateData.DecodingError.missingField("data_version")) {
            try QuorumStateData.decode(json: #"{"leaderId":1,"leaderEpoch":2,"votedId":-1}"#)
        }
        #expect(throws: QuorumStateData.DecodingError.unsupportedVersion(2)) {
            try QuorumStateData.decode(json: #"{"leaderId":1,"leaderEpoch":2,"votedId":-1,"data_version":2}"#)
        }
        #expect(throws: QuorumStateData.DecodingError.wrongType("leaderEpoch")) {
            try QuorumStateData.decode(json: #"{"leaderId":1,"leaderEpoch":"2","votedId":-1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}"#)
        }
    }

    @Test func escapesTheClusterID() throws {
        let state = QuorumStateData(leaderEpoch: 1, clusterID: "a\"b\\c\n", currentVoters: nil)
        let json = state.encodedJSON(version: 0)
        #expect(json.contains(#""clusterId":"a\"b\\c\n""#))
        #expect(json.contains(#""currentVoters":null"#))
        #expect(try QuorumStateData.decode(json: json).state == state)
    }
}
