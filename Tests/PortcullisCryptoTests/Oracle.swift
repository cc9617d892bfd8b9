import Foundation
import Testing

/// Runs the Python oracle (OpenSSL via hashlib, Python `bcrypt`, `argon2-cffi`, PyJWT) on a batch
/// of requests. The interpreter is `$PORTCULLIS_ORACLE_PYTHON`, else `.venv-test/bin/python` in the
/// repository, which `scripts/test` creates; a missing oracle fails the test rather than skipping it.
enum Oracle {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["PORTCULLIS_ORACLE_PYTHON"], !configured.isEmpty {
            return configured
        }
        return repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
    }

    static var script: String {
        repositoryRoot.appendingPathComponent("Tests/PortcullisCryptoTests/Oracles/oracle.py").path
    }

    /// Sends `requests` and returns the decoded answers, one per request.
    static func run(_ requests: [[String: Any]]) throws -> [Any] {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Unavailable(
                description: "no oracle interpreter at \(python); run scripts/test (it creates .venv-test)")
        }
        let body = try JSONSerialization.data(withJSONObject: requests)
        let result = try Subprocess.run(python, [script], input: body)
        guard result.status == 0 else {
            throw Unavailable(description: "oracle failed: \(result.errorText)")
        }
        let answer = result.output
        guard let decoded = try JSONSerialization.jsonObject(with: answer) as? [Any], decoded.count == requests.count
        else {
            throw Unavailable(description: "oracle answered something unexpected")
        }
        return decoded
    }
}

/// Random inputs that cover the awkward cases: empty, one byte, multibyte UTF-8, the 72/73-byte
/// bcrypt boundary, block boundaries and long inputs.
enum RandomInputs {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static let unicode = Array("pässwörd 🔐 密码 пароль".utf8)

    static var passwords: [[UInt8]] {
        [[], [0x61], unicode, bytes(71), bytes(72), bytes(73), bytes(100), bytes(16).map { $0 & 0x7f | 0x20 }]
    }

    static var messages: [[UInt8]] {
        [0, 1, 3, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 200, 1000, 5000].map { bytes($0) } + [unicode]
    }
}
