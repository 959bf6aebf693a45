import Foundation
import ProtocolSchema
import Testing

@Suite struct DefinitionFormatTests {
    @Test func everyCommittedDefinitionPrintsBackToItsOwnText() throws {
        // The files are in canonical form, so reviews see only real changes.
        let dir = RepositoryPaths.protocolDirectory
        var count = 0
        for folder in UpstreamSchemaReader.folders {
            let path = dir.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: path.path) where name.hasSuffix(".def") {
                let text = try String(contentsOf: path.appendingPathComponent(name), encoding: .utf8)
                #expect(DefinitionFormat.print(try DefinitionFormat.parse(text)) == text, "\(folder)/\(name)")
                count += 1
            }
        }
        #expect(count == 236)
    }

    @Test func parsesNestingTagsDefaultsAndCommonStructs() throws {
        let text = """
        response DemoResponse key=99 valid=0-3 flexible=2+ listeners=broker,controller
          ErrorMessage string 1+ nullable=1+ default=null
          Items []Item 0+
            Name string 0+ default="a b"
            Hidden int32 3+ tag=4 tagged=3+ default=-1 ignorable
          Shared Common 0+
        common Common 0+
          Id uuid 0+ mapKey

        """
        let spec = try DefinitionFormat.parse(text)
        #expect(spec.kind == .response)
        #expect(spec.apiKey == 99)
        #expect(spec.flexibleVersions == Versions("2+"))
        #expect(spec.listeners == ["broker", "controller"])
        #expect(spec.fields.map(\.name) == ["ErrorMessage", "Items", "Shared"])
        #expect(spec.fields[1].fields?[0].defaultValue == "a b")
        #expect(spec.fields[1].fields?[1].tag == 4)
        #expect(spec.fields[1].fields?[1].ignorable == true)
        #expect(spec.commonStructs.first?.fields.first?.mapKey == true)
        #expect(DefinitionFormat.print(spec) == text)
    }

    @Test func rejectsMalformedDefinitionsWithTheLine() {
        let cases = [
            "request X valid=0 flexible=none\n  A int32\n",          // no versions
            "request X valid=0 flexible=none\n   A int32 0+\n",      // odd indentation
            "request X valid=0 flexible=none\n  A int32 0+ colour=red\n",  // unknown attribute
            "thing X valid=0 flexible=none\n",                       // unknown kind
            "request X valid=5-2 flexible=none\n",                   // empty range
            "request X valid=0 flexible=0+\n  A int32 0+ tagged=0+\n",  // tagged without a tag
        ]
        for text in cases {
            #expect(throws: DefinitionFormat.ParseError.self, "\(text)") { try DefinitionFormat.parse(text) }
        }
    }

    @Test func versionRanges() {
        #expect(Versions("3+")!.contains(100))
        #expect(!Versions("3+")!.contains(2))
        #expect(Versions("0-2")!.intersection(Versions("1+")!) == Versions("1-2"))
        #expect(Versions("none")!.intersection(Versions("0+")!) == Versions.none)
        #expect(Versions("4-3") == nil)
    }
}
