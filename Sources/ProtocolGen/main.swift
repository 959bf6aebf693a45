import ArgumentParser
import Foundation
import ProtocolSchema

/// `protocol-gen generate` turns `Protocol/` into Swift codecs; `protocol-gen import` wrote the first
/// definitions from Kafka's JSON schemas (facts only) and is kept for picking up new schema versions.
@main
struct ProtocolGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol-gen",
        abstract: "Kafka message definitions to Swift codecs.",
        subcommands: [Generate.self, Import.self]
    )
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write Swift codecs for every definition in Protocol/.")

    @Option(help: "The Protocol/ folder.") var protocolDir = "Protocol"
    @Option(help: "Where the generated Swift goes (its old .swift files are replaced).")
    var output = "Sources/KafkaProtocol/Generated"
    @Option(help: "Where the generated test support goes.")
    var testOutput = "Sources/KafkaTestKit/Generated"

    func run() throws {
        let specs = try ProtocolDirectory.readAll(root: URL(fileURLWithPath: protocolDir))
        let errorCodes = try ErrorCodeTable.read(url: URL(fileURLWithPath: protocolDir).appendingPathComponent(ErrorCodeTable.fileName))
        try write(try SwiftGenerator.generate(specs: specs, errorCodes: errorCodes), to: output)
        try write(try SwiftGenerator.generateTestSupport(specs: specs), to: testOutput)
    }

    private func write(_ files: [String: String], to output: String) throws {
        let out = URL(fileURLWithPath: output)
        let fm = FileManager.default
        try fm.createDirectory(at: out, withIntermediateDirectories: true)
        for old in try fm.contentsOfDirectory(atPath: out.path) where old.hasSuffix(".swift") && files[old] == nil {
            try fm.removeItem(at: out.appendingPathComponent(old))
        }
        for (name, text) in files {
            let url = out.appendingPathComponent(name)
            if (try? String(contentsOf: url, encoding: .utf8)) != text {
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
        }
        print("wrote \(files.count) files to \(output)")
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Protocol/ definitions from Kafka's JSON schemas (names, types, versions, tags, defaults; no prose)."
    )

    @Option(help: "Kafka's schema folder.") var upstream = "../shared/kafka-protocol"
    @Option(help: "The Protocol/ folder.") var protocolDir = "Protocol"

    func run() throws {
        let root = URL(fileURLWithPath: upstream)
        let specs = try UpstreamSchemaReader.readAll(root: root)
        try ProtocolDirectory.write(specs, root: URL(fileURLWithPath: protocolDir))
        let table = try ErrorCodeTable.readUpstream(url: root.appendingPathComponent("error-codes.tsv"))
        try ErrorCodeTable.write(table, url: URL(fileURLWithPath: protocolDir).appendingPathComponent(ErrorCodeTable.fileName))
        print("wrote \(specs.count) definitions and \(table.count) error codes to \(protocolDir)")
    }
}
