import Foundation
import PortcullisCrypto

extension AuthorizationServer {
    /// Reads `OIDC_CLIENTS_FILE`: a JSON array of clients in RFC 7591's names —
    /// `client_id`, `client_name`, `client_secret` (or `client_secret_sha256`, hex), `redirect_uris`,
    /// `post_logout_redirect_uris`, `token_endpoint_auth_method` (`none`: public), `first_party`,
    /// `id_token_signed_response_alg`. They are put beside the registered clients, not journaled.
    public func loadDeclaredClients(path: String) async throws(ProviderError) -> Int {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
            let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { throw ProviderError(.invalidRequest, "\(path) is not a JSON array of clients") }
        var clients: [ProviderClient] = []
        for (index, entry) in entries.enumerated() {
            func field(_ name: String) -> String? { entry[name] as? String }
            let isPublic = field("token_endpoint_auth_method") == "none"
            var client: ProviderClient
            do {
                client = try Self.validatedClient(
                    id: field("client_id") ?? "", name: field("client_name") ?? field("client_id") ?? "",
                    redirectURIs: entry["redirect_uris"] as? [String] ?? [],
                    postLogoutRedirectURIs: entry["post_logout_redirect_uris"] as? [String] ?? [],
                    isPublic: isPublic, firstParty: entry["first_party"] as? Bool ?? false,
                    signingAlgorithm: field("id_token_signed_response_alg") ?? "RS256", now: clock.milliseconds,
                    declared: true)
            } catch {
                throw ProviderError(.invalidRequest, "\(path): client \(index + 1): \(error.description)")
            }
            if !isPublic {
                if let secret = field("client_secret"), secret.utf8.count >= 32 {
                    client.secretHash = ProviderClient.hashSecret(secret)
                } else if let hex = field("client_secret_sha256"), let hash = Hex.decode(hex), hash.count == 32 {
                    client.secretHash = hash
                } else {
                    throw ProviderError(
                        .invalidRequest,
                        "\(path): client \(index + 1) needs a client_secret of 32+ characters or client_secret_sha256")
                }
            }
            clients.append(client)
        }
        for client in clients {
            if let existing = store.client(id: client.id), !existing.declared {
                throw ProviderError(.invalidRequest, "\(path): client id \(client.id) is already registered")
            }
            await store.put(client)
        }
        return clients.count
    }
}
