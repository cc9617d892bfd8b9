import Glibc

/// Builds the `sockaddr` of an IPv4/IPv6 literal and port, or of a Unix-socket path, for `bind`
/// and `connect`: the one copy of this code for the server, its client and the load tool.
package enum SocketAddress {
    /// Runs `body` with the address and its length; `nil` (body not run) when `host` is not an IP
    /// literal.
    package static func withIP<T>(host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return nil }
            return call(&address, body)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        return call(&address, body)
    }

    /// Runs `body` with a Unix-socket address; `nil` when the path does not fit `sun_path`.
    package static func withUnixPath<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return call(&address, body)
    }

    private static func call<Address, T>(_ value: inout Address, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T
    {
        withUnsafePointer(to: &value) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }
}
