import ArgumentParser
import PortcullisHTTP
import PortcullisServer

/// The `portcullis` command: the server and its operator tools.
@main
struct Portcullis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A LibreChat-compatible authentication server.",
        discussion:
            "Configured by .env and LibreChat's environment variables; admin commands talk to the running server.",
        version: Engine.version,
        subcommands: [
            Serve.self, CreateUser.self, DeleteUser.self, ListUsers.self, ResetPassword.self, ResetTerms.self,
            DisableTwoFactor.self,
            UserStats.self,
            ImportUsers.self, ExportUsers.self, InviteUser.self, BanUser.self, UnbanUser.self, ListBans.self,
            TakeSnapshot.self, Inspect.self, Audit.self, OpenIDClient.self, OpenIDKeys.self,
            LoadTest.self, HashPassword.self, VerifyPassword.self,
        ]
    )
}
