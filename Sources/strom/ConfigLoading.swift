import Foundation
import StromConfig

/// Builds the node's configuration from its layers (`ConfigLayers`): the `--config` file, else the
/// `KAFKA_*` environment, else the embedded defaults; then the environment over a file; then each
/// `--override key=value`.
enum ConfigLoading {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func layers(file: String?, overrides: [String], environment: [String: String]) throws -> ConfigLayers {
        var fileProperties: [String: String]?
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Failure(description: "cannot read configuration file \(file)")
            }
            fileProperties = [:]
            for entry in JavaProperties.parse(text) { fileProperties?[entry.key] = entry.value }
        }
        var pairs: [(key: String, value: String)] = []
        for o in overrides {
            guard let pair = ConfigLayers.override(o) else {
                throw Failure(description: "--override `\(o)` is not key=value")
            }
            pairs.append(pair)
        }
        do {
            return try ConfigLayers(file: fileProperties, environment: environment, overrides: pairs)
        } catch {
            throw Failure(description: error.description)
        }
    }

    static func parse(_ layers: ConfigLayers) throws -> ServerConfig {
        do {
            return try ServerConfig.parse(layers.properties)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
