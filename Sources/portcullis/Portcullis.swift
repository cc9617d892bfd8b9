import ArgumentParser
import PortcullisHTTP

/// The `portcullis` command: the server and its operator tools.
@main
struct Portcullis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A LibreChat-compatible authentication server.",
        discussion: "The server itself arrives with the HTTP and engine work; today the password tools are here.",
        subcommands: [Serve.self, HashPassword.self, VerifyPassword.self]
    )
}
