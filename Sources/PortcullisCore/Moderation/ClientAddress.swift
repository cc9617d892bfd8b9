import Foundation
import Glibc

/// The client's IP for limits and bans: the socket peer, or with `TRUST_PROXY=N` the N-th
/// `X-Forwarded-For` entry from the right. Anything unparsable falls back to the socket address,
/// ports are stripped, IPv6 is normalised and IPv4-mapped addresses become IPv4.
public enum ClientAddress {
    public static func resolve(socketAddress: String, forwardedFor: [String], trustProxy: Int) -> String {
        let peer = normalize(socketAddress) ?? socketAddress
        guard trustProxy > 0 else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        guard hops.count >= trustProxy else { return peer }
        return normalize(hops[hops.count - trustProxy]) ?? peer
    }

    /// A canonical textual IP, or `nil` when `text` is not an address (with an optional port).
    public static func normalize(_ text: String) -> String? {
        var candidate = text.trimmingCharacters(in: .whitespaces)
        if candidate.hasPrefix("[") {
            guard let close = candidate.firstIndex(of: "]") else { return nil }
            candidate = String(candidate[candidate.index(after: candidate.startIndex)..<close])
        } else if candidate.filter({ $0 == ":" }).count == 1 {
            candidate = String(candidate.split(separator: ":")[0])  // IPv4 with a port
        }
        var text = [CChar](repeating: 0, count: 64)
        var v4 = in_addr()
        if inet_pton(AF_INET, candidate, &v4) == 1 {
            inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
            return string(text)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, candidate, &v6) == 1 else { return nil }
        inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
        let canonical = string(text)
        if canonical.hasPrefix("::ffff:"), canonical.contains(".") { return String(canonical.dropFirst(7)) }
        return canonical
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
