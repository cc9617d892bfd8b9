import ArgumentParser
import PortcullisServer

/// `portcullis oidc-client …`: the applications that sign their users in through Portcullis.
struct OpenIDClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc-client", abstract: "Register and manage OpenID clients (applications).",
        subcommands: [Add.self, List.self, Remove.self, RotateSecret.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client; prints its id and (confidential clients) its secret, once.")
        @Option(help: "The name users see on the consent page.") var name: String
        @Option(name: .customLong("redirect-uri"), help: "A redirect URI, exactly (repeat for several).")
        var redirectURIs: [String]
        @Option(name: .customLong("post-logout-uri"), help: "Where logout may return to (repeatable).")
        var postLogoutURIs: [String] = []
        @Flag(help: "A public client (browser or native app): no secret, PKCE required.") var `public` = false
        @Flag(name: .customLong("first-party"), help: "Your own application: no consent page.") var firstParty = false
        @Option(name: .customLong("signing-alg"), help: "id_token algorithm: RS256 (default) or ES256.")
        var signingAlgorithm = "RS256"

        func run() throws {
            let answer = try AdminConnection.perform(
                .addClient(
                    name: name, redirectURIs: redirectURIs, postLogoutURIs: postLogoutURIs, isPublic: `public`,
                    firstParty: firstParty, signingAlgorithm: signingAlgorithm))
            print("client_id:     \(AdminConnection.field("client_id", in: answer) ?? "")")
            if let secret = AdminConnection.field("client_secret", in: answer) {
                print("client_secret: \(secret)")
                print("(the secret is shown only now; only its hash is kept)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients (JSON).")
        func run() throws { print(try AdminConnection.perform(.listClients).text) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a client and revoke its grants.")
        @Argument var clientId: String
        func run() throws {
            let answer = try AdminConnection.perform(.removeClient(id: clientId))
            print(AdminConnection.field("message", in: answer) ?? answer.text)
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Give a client a new secret; the old one stops working at once.")
        @Argument var clientId: String
        func run() throws {
            let answer = try AdminConnection.perform(.rotateClientSecret(id: clientId))
            print("client_secret: \(AdminConnection.field("client_secret", in: answer) ?? "")")
        }
    }
}

/// `portcullis oidc-keys …`: the provider's signing keys.
struct OpenIDKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc-keys", abstract: "List or rotate the OpenID provider's signing keys.",
        subcommands: [Rotate.self, List.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign with new keys from now on; the old ones stay published until their tokens expire.")
        func run() throws { print(try AdminConnection.perform(.rotateKeys).text) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the published keys (JSON).")
        func run() throws { print(try AdminConnection.perform(.listKeys).text) }
    }
}
