import Foundation
import PortcullisCrypto

extension AuthConfiguration {
    /// The passkey relying party: RP ID `WEBAUTHN_RP_ID` (ours), else `DOMAIN_CLIENT`'s host when the
    /// server's host is it or under it, else the server's host; the origins are those of
    /// `DOMAIN_SERVER` and `DOMAIN_CLIENT` that the RP ID covers. `nil` when the RP ID is an IP
    /// address: browsers only run WebAuthn for domain names (open `http://localhost:3080`, not 127.0.0.1).
    static func relyingParty(
        rpID override: String?, domainClient: String, domainServer: String
    ) throws(ConfigurationError) -> WebAuthnRelyingParty? {
        let serverHost = URL(string: domainServer)?.host?.lowercased() ?? ""
        let clientHost = URL(string: domainClient)?.host?.lowercased() ?? ""
        func covers(_ rpID: String, _ host: String) -> Bool { host == rpID || host.hasSuffix("." + rpID) }
        let rpID: String
        if let override = override?.trimmingCharacters(in: .whitespaces).lowercased(), !override.isEmpty {
            guard covers(override, serverHost) else {
                throw ConfigurationError("WEBAUTHN_RP_ID", "must be \(serverHost) or a domain above it")
            }
            rpID = override
        } else {
            rpID = covers(clientHost, serverHost) ? clientHost : serverHost
        }
        guard !rpID.contains(":"), !rpID.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        var origins: [String] = []
        for (url, host) in [(domainServer, serverHost), (domainClient, clientHost)] where covers(rpID, host) {
            if let origin = Self.origin(of: url), !origins.contains(origin) { origins.append(origin) }
        }
        return WebAuthnRelyingParty(id: rpID, origins: origins)
    }

    /// `scheme://host[:port]` of an http(s) URL, as browsers write an origin (default ports left out).
    public static func origin(of url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            let host = parsed.host?.lowercased()
        else { return nil }
        let port = parsed.port.flatMap { ($0 == 80 && scheme == "http") || ($0 == 443 && scheme == "https") ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }
}
