// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "relance",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "relance", targets: ["relance"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Operations: counters and histograms through swift-metrics, exposed in Prometheus's text format.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libcrypto from the system: HMAC, SHA-256, RAND_bytes, CRYPTO_memcmp.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .target(
            name: "RelanceCore",
            dependencies: ["COpenSSL"]
        ),
        // The workflows and the storage interfaces they reach the database through; no database here.
        .target(
            name: "RelanceServices",
            dependencies: ["RelanceCore"]
        ),
        .target(
            name: "RelanceStore",
            dependencies: [
                "RelanceCore",
                "RelanceServices",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Adapters to outside services (SMS gateways, SMTP, Stripe Checkout, outbound HTTP): they speak
        // Core's message types and never see the database.
        .target(
            name: "RelanceProviders",
            dependencies: [
                "RelanceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Email: our SMTP client speaks over NIO, with TLS (implicit or STARTTLS) from NIOSSL.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RelanceMessaging",
            dependencies: [
                "RelanceCore",
                "RelanceServices",
                "RelanceProviders",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RelanceWeb",
            dependencies: [
                "RelanceCore",
                "RelanceServices",
                "RelanceStore",
                "RelanceProviders",
                "RelanceMessaging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The dashboard's pages: lists and a shared layout. Customer pages keep their own faster renderer.
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "relance",
            dependencies: [
                "RelanceCore",
                "RelanceServices",
                "RelanceStore",
                "RelanceProviders",
                "RelanceMessaging",
                "RelanceWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What every test target shares: one clock, temporary stores, the repository's folders, process runners.
        .target(
            name: "RelanceTestSupport",
            dependencies: ["RelanceCore", "RelanceServices", "RelanceStore"],
            path: "Tests/RelanceTestSupport"
        ),
        .testTarget(name: "RelanceCoreTests", dependencies: ["RelanceCore"]),
        .testTarget(
            name: "RelanceServicesTests",
            dependencies: [
                "RelanceServices", "RelanceStore", "RelanceTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RelanceStoreTests",
            dependencies: [
                "RelanceServices", "RelanceStore", "RelanceTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RelanceMessagingTests",
            dependencies: [
                "RelanceMessaging", "RelanceProviders", "RelanceServices", "RelanceStore", "RelanceTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RelanceWebTests",
            dependencies: [
                "RelanceWeb",
                "RelanceServices",
                "RelanceStore",
                "RelanceProviders",
                "RelanceMessaging",
                "RelanceTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
