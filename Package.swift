// swift-tools-version:6.2
import PackageDescription

// The products several targets use, named once.
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

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
                grdb,
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Adapters to outside services (SMS gateways, SMTP, Stripe Checkout, outbound HTTP): they speak
        // Core's message types and never see the database.
        .target(
            name: "RelanceProviders",
            dependencies: [
                "RelanceCore",
                httpClient,
                nioCore,
                // Email: our SMTP client speaks over NIO, with TLS (implicit or STARTTLS) from NIOSSL.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                logging,
            ]
        ),
        .target(
            name: "RelanceMessaging",
            dependencies: [
                "RelanceCore",
                "RelanceServices",
                "RelanceProviders",
                httpClient,
                nioCore,
                logging,
                metrics,
                lifecycle,
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
                hummingbird,
                logging,
                lifecycle,
                .product(name: "HTTPTypes", package: "swift-http-types"),
                nioCore,
                // The dashboard's pages: lists and a shared layout. Customer pages keep their own faster renderer.
                .product(name: "Mustache", package: "swift-mustache"),
                metrics,
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
                hummingbird,
                logging,
                metrics,
                .product(name: "Prometheus", package: "swift-prometheus"),
                lifecycle,
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
                "RelanceServices", "RelanceStore", "RelanceTestSupport", grdb,
            ]
        ),
        .testTarget(
            name: "RelanceStoreTests",
            dependencies: [
                "RelanceServices", "RelanceStore", "RelanceTestSupport", grdb,
            ]
        ),
        .testTarget(
            name: "RelanceMessagingTests",
            dependencies: [
                "RelanceMessaging", "RelanceProviders", "RelanceServices", "RelanceStore", "RelanceTestSupport",
                grdb,
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
