import Foundation

/// One child process run to completion: the oracle interpreter, `openssl`, the `portcullis` binary.
enum Subprocess {
    struct Result {
        var status: Int32
        var output: Data
        var errors: Data

        var outputText: String { String(decoding: output, as: UTF8.self) }
        var errorText: String { String(decoding: errors, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`, feeding `input` on stdin and collecting stdout and stderr.
    static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), in directory: URL? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let standardInput = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = standardInput
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Write from another thread so a large answer cannot deadlock against a full input pipe.
        let writer = Thread {
            standardInput.fileHandleForWriting.write(input)
            try? standardInput.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: answer, errors: problems)
    }
}
