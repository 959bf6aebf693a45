import Foundation
import StromConfig

/// Builds the node's configuration: the embedded defaults when no file is given, else the file;
/// then each `--override key=value` on top.
enum ConfigLoading {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func load(file: String?, overrides: [String]) throws -> ServerConfig {
        var properties: [String: String]
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Failure(description: "cannot read configuration file \(file)")
            }
            properties = [:]
            for entry in JavaProperties.parse(text) { properties[entry.key] = entry.value }
        } else {
            properties = ServerConfig.embeddedDefaults
        }
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw Failure(description: "--override `\(o)` is not key=value")
            }
            properties[String(o[..<eq]).trimmingCharacters(in: .whitespaces)] = String(o[o.index(after: eq)...])
        }
        do {
            return try ServerConfig.parse(properties)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
