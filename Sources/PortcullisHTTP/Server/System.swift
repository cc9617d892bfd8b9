import CPortcullisLinux
import Glibc

/// What a non-blocking socket call did, with `errno` captured the moment the call returned.
enum IOResult: Equatable {
    /// Bytes moved (always > 0).
    case processed(Int)
    /// Nothing to do now (`EAGAIN`/`EWOULDBLOCK`): wait for epoll.
    case wouldBlock
    /// The peer closed its side (a read of 0).
    case endOfStream
    /// Any other failure, with its errno.
    case failed(Int32)
}

/// The syscall layer (as NIO's `System.swift`): every socket and epoll call of the event loop goes
/// through here, retries `EINTR`, and reads `errno` before anything else can run and change it.
enum System {
    /// Runs `call` until it is not interrupted; returns its result and the errno it left (0 on success).
    @inline(__always)
    static func retryingInterrupts<T: FixedWidthInteger>(_ call: () -> T) -> (T, Int32) {
        while true {
            let result = call()
            if result >= 0 { return (result, 0) }
            let code = errno
            if code != EINTR { return (result, code) }
        }
    }

    @inline(__always)
    private static func classify(_ result: Int, _ code: Int32) -> IOResult {
        if result > 0 { return .processed(result) }
        if result == 0 { return .endOfStream }
        return code == EAGAIN || code == EWOULDBLOCK ? .wouldBlock : .failed(code)
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (result, code) = retryingInterrupts { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        return classify(result, code)
    }

    /// `send` with `MSG_NOSIGNAL` (a vanished peer is an error, never a SIGPIPE).
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> IOResult {
        let (result, code) = retryingInterrupts {
            Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
        // A send of 0 bytes from a non-empty buffer cannot happen on a stream socket; count it as progress-less.
        return result == 0 ? .wouldBlock : classify(result, code)
    }

    /// `accept4` (non-blocking, close-on-exec); `nil` when no connection is waiting or it failed.
    static func accept(
        _ listener: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>
    )
        -> Int32?
    {
        let (fd, _) = retryingInterrupts { CPortcullisLinux_accept4(listener, address, length) }
        return fd >= 0 ? fd : nil
    }

    static func epollControl(_ epoll: Int32, _ operation: Int32, _ fd: Int32, _ events: UInt32, _ token: UInt64) -> Bool
    {
        retryingInterrupts { CPortcullisLinux_epoll_ctl(epoll, operation, fd, events, token) }.0 == 0
    }

    /// `epoll_wait`; an interrupted wait reports no events rather than retrying with a stale timeout.
    static func epollWait(
        _ epoll: Int32, _ events: UnsafeMutablePointer<UInt32>?, _ tokens: UnsafeMutablePointer<UInt64>?,
        _ capacity: Int32, timeout: Int32
    ) -> Int {
        max(0, Int(CPortcullisLinux_epoll_wait(epoll, events, tokens, capacity, timeout)))
    }

    static func shutdownWrite(_ fd: Int32) {
        _ = retryingInterrupts { Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    /// `close`; never retried (on Linux the descriptor is released even when interrupted).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes a whole small buffer (eventfd tokens, a one-shot refusal), retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let (written, _) = retryingInterrupts { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { return }
            offset += written
        }
    }
}
