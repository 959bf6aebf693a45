// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "protocol-gen", targets: ["ProtocolGen"]),
        .executable(name: "strom-bench", targets: ["strom-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C shim over the system compression libraries, plus CRC32C (SSE4.2 with a table fallback).
        .target(
            name: "CKafkaCodecs",
            linkerSettings: [
                .linkedLibrary("z"), .linkedLibrary("lz4"), .linkedLibrary("zstd"), .linkedLibrary("snappy"),
            ]
        ),
        // Wire primitives, headers, framing and the generated message codecs.
        .target(
            name: "KafkaProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Record batches (magic v2), records, compression.
        .target(
            name: "KafkaRecords",
            dependencies: ["KafkaProtocol", "CKafkaCodecs", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // PURE: __cluster_metadata records -> MetadataImage (MetadataDelta.replay, then apply).
        .target(
            name: "KafkaMetadata",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // PURE: server.properties parsing and validation.
        .target(name: "StromConfig"),
        // PURE: controller decisions (request + image -> metadata records + response).
        .target(
            name: "KafkaController",
            dependencies: ["KafkaMetadata", "KafkaProtocol", "StromConfig"]
        ),
        // The Protocol/ definition format: model, parser, printer, upstream JSON reader, comparison.
        .target(name: "ProtocolSchema"),
        .executableTarget(
            name: "ProtocolGen",
            dependencies: ["ProtocolSchema", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strom-bench",
            dependencies: ["KafkaRecords", "CKafkaCodecs", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "ProtocolSchemaTests", dependencies: ["ProtocolSchema"]),
        .testTarget(name: "KafkaMetadataTests", dependencies: ["KafkaMetadata", "KafkaProtocol"]),
        .testTarget(name: "StromConfigTests", dependencies: ["StromConfig"]),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Bytes captured from real clients (Fixtures/): decoded, re-encoded, batches verified.
        .testTarget(
            name: "FixtureTests",
            dependencies: ["KafkaProtocol", "KafkaRecords", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KafkaRecordsTests",
            dependencies: ["KafkaRecords", "CKafkaCodecs", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
