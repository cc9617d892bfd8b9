import CPortcullisLinux
import Glibc
import PortcullisSupport

/// A failed system call, with its errno.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var code: Int32

    public var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }

    static func last(_ call: String) -> SocketError { SocketError(call: call, code: errno) }
}

/// Where the server listens.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal and a port (0 picks a free one).
    case tcp(host: String, port: Int)
    /// A Unix-domain socket path, created with `mode` permissions.
    case unix(path: String, mode: mode_t)

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path, _): "unix:\(path)"
        }
    }
}

/// The syscall layer: every socket call of the server goes through here.
enum Socket {
    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Creates a non-blocking listening socket. TCP listeners use `SO_REUSEPORT` so every event loop
    /// can own one and the kernel spreads connections among them. Returns the descriptor and the port.
    static func listen(_ address: ListenAddress, backlog: Int32 = 1024) throws -> (fd: Int32, port: Int) {
        switch address {
        case .tcp(let host, _):
            let ipv6 = host.contains(":")
            let fd = socket(
                ipv6 ? AF_INET6 : AF_INET,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError.last("socket") }
            setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)
            if ipv6 { setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, host == "::" ? 0 : 1) }
            guard let bound = withSocketAddress(address, { bind(fd, $0, $1) }) else {
                close(fd)
                throw SocketError(call: "inet_pton(\(host))", code: EINVAL)
            }
            guard bound == 0 else {
                let error = SocketError.last("bind(\(address))")
                close(fd)
                throw error
            }
            guard Glibc.listen(fd, backlog) == 0 else {
                let error = SocketError.last("listen")
                close(fd)
                throw error
            }
            return (fd, localPort(fd))
        case .unix(let path, let mode):
            let fd = socket(
                AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError.last("socket") }
            let bound = withSocketAddress(address) { pointer, length in
                unlink(path)  // a stale socket from a previous run (only once the path is known to fit)
                return bind(fd, pointer, length)
            }
            guard let bound else {
                close(fd)
                throw SocketError(call: "unix socket path too long", code: ENAMETOOLONG)
            }
            guard bound == 0, chmod(path, mode) == 0, Glibc.listen(fd, backlog) == 0 else {
                let error = SocketError.last("bind/listen(\(path))")
                close(fd)
                throw error
            }
            return (fd, 0)
        }
    }

    /// Runs `body` (a `bind` or a `connect`) with `address` as a `sockaddr` and its length; nil when
    /// the host is not an IPv4/IPv6 literal or the Unix path does not fit `sun_path`.
    static func withSocketAddress<T>(_ address: ListenAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T?
    {
        switch address {
        case .tcp(let host, let port): SocketAddress.withIP(host: host, port: port, body)
        case .unix(let path, _): SocketAddress.withUnixPath(path, body)
        }
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// Accepts one connection: its descriptor and the peer's address as text (IPv4-mapped IPv6
    /// addresses are reported as IPv4; Unix-domain peers as `unix`). `nil` when none is waiting.
    static func accept(_ listener: Int32) -> (fd: Int32, address: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let accepted = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { System.accept(listener, $0, &length) }
        }
        guard let fd = accepted else { return nil }
        return (fd, describe(storage))
    }

    static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        func string(_ text: [CChar]) -> String {
            String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        switch family {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                    return string(text)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                    let literal = string(text)
                    return literal.hasPrefix("::ffff:") && literal.contains(".")
                        ? String(literal.dropFirst(7)) : literal
                }
            }
        default:
            return "unix"
        }
    }

    /// Monotonic milliseconds.
    static func monotonicMilliseconds() -> Int64 { Int64(monotonicNanoseconds() / 1_000_000) }

    /// Monotonic nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
