// swift-tools-version:6.2
import PackageDescription

/// Settings every Portcullis module shares: Swift 6 language mode plus the stricter upcoming features.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "Portcullis",
    products: [
        .library(name: "PortcullisCrypto", targets: ["PortcullisCrypto"]),
        .library(name: "PortcullisHTTP", targets: ["PortcullisHTTP"]),
        .library(name: "PortcullisCore", targets: ["PortcullisCore"]),
        .library(name: "PortcullisServer", targets: ["PortcullisServer"]),
        .library(name: "PortcullisStore", targets: ["PortcullisStore"]),
        .library(name: "PortcullisLoad", targets: ["PortcullisLoad"]),
        .library(name: "PortcullisMail", targets: ["PortcullisMail"]),
        .library(name: "PortcullisOAuth", targets: ["PortcullisOAuth"]),
        .executable(name: "portcullis", targets: ["portcullis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        // Templates for the pages people use, rendered with HTML escaping by default.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
    ],
    targets: [
        // Internal helpers every module shares (one copy of each), visible only inside the package.
        .target(name: "PortcullisSupport", swiftSettings: strictSettings),
        .target(
            name: "PortcullisCrypto",
            swiftSettings: strictSettings
        ),
        .target(name: "CPortcullisLinux"),
        .target(
            name: "PortcullisHTTP",
            dependencies: ["CPortcullisLinux", "PortcullisSupport"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PortcullisCore",
            dependencies: ["PortcullisCrypto", "PortcullisSupport"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PortcullisOAuth",
            dependencies: ["PortcullisCore", "PortcullisCrypto", "PortcullisSupport", "CPortcullisCurl"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PortcullisLoad",
            dependencies: ["CPortcullisLinux", "PortcullisSupport"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "CPortcullisCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "PortcullisMail",
            dependencies: ["PortcullisCore", "CPortcullisCurl"],
            swiftSettings: strictSettings
        ),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // QR codes of the otpauth:// URL on the 2FA enrolment page.
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .target(
            name: "PortcullisStore",
            dependencies: ["PortcullisCore", "PortcullisSupport", "CZstd"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PortcullisServer",
            dependencies: [
                "PortcullisCore", "PortcullisHTTP", "PortcullisCrypto", "PortcullisStore", "PortcullisMail",
                "PortcullisOAuth",
                "PortcullisSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                "CQRencode",
            ],
            // The pages ship inside the binary: templates and the stylesheet are compiled in.
            resources: [
                "layout", "login", "register", "twofactor", "forgot", "reset", "account", "message", "setup", "enrol",
                "codes", "backup", "admin-nav", "admin", "admin-users", "admin-user", "admin-bans", "admin-audit",
                "consent", "continue", "signout",
            ].map { .embedInCode("Pages/Templates/\($0).mustache") }
                + ["portcullis.css", "passkeys.js", "admin.js"].map { .embedInCode("Pages/Templates/\($0)") },
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "PortcullisCrypto",
                "PortcullisHTTP",
                "PortcullisCore",
                "PortcullisServer",
                "PortcullisStore",
                "PortcullisLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisCoreTests",
            dependencies: ["PortcullisCore", "PortcullisCrypto"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisStoreTests",
            dependencies: ["PortcullisStore", "PortcullisCore"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisHTTPTests",
            dependencies: ["PortcullisHTTP"],
            exclude: ["Clients"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisOAuthTests",
            dependencies: ["PortcullisOAuth", "PortcullisCore", "PortcullisCrypto"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisServerTests",
            dependencies: ["PortcullisServer", "PortcullisHTTP", "PortcullisCore", "PortcullisCrypto"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisMailTests",
            dependencies: ["PortcullisMail", "PortcullisCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortcullisCryptoTests",
            dependencies: ["PortcullisCrypto"],
            resources: [.copy("Oracles")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
