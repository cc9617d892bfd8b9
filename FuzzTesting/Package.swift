// swift-tools-version:6.2
import PackageDescription

// libFuzzer targets, kept out of the product package. Build and run with FuzzTesting/run.
let package = Package(
    name: "PortcullisFuzzTesting",
    dependencies: [.package(path: "../")],
    targets: [
        .executableTarget(
            name: "FuzzHTTPParser",
            dependencies: [.product(name: "PortcullisHTTP", package: "main")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
