import Foundation
import Synchronization

/// Password hashing off the I/O loops and off the cooperative pool: a fixed set of threads and a
/// bounded queue. When the queue is full, `run` fails at once with ``Overloaded`` so the caller can
/// answer 503 with `Retry-After` instead of piling up work it cannot finish in time.
public final class HashingPool: Sendable {
    /// The queue is full.
    public struct Overloaded: Error, Sendable {}

    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var pending: Int { jobs.count - head }
    }

    private let queue = Mutex(Queue())
    private let available = DispatchSemaphore(value: 0)
    private let limit: Int
    private let rejections = Atomic<Int>(0)

    /// Starts `workers` threads.
    public init(workers: Int, queueLimit: Int) {
        limit = queueLimit
        for index in 0..<max(1, workers) {
            let thread = Thread { [self] in self.work() }
            thread.name = "portcullis-hash-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Jobs waiting (not counting those running).
    public var depth: Int { queue.withLock { $0.pending } }

    /// Jobs refused because the queue was full.
    public var rejected: Int { rejections.load(ordering: .relaxed) }

    /// Runs `job` on a hashing thread and returns its result.
    public func run<T: Sendable>(_ job: @escaping @Sendable () -> T) async throws(Overloaded) -> T {
        let admitted = Mutex<Bool>(false)
        let result: T? = await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let accepted = queue.withLock { state -> Bool in
                guard state.pending < limit else { return false }
                state.jobs.append { continuation.resume(returning: job()) }
                return true
            }
            if accepted {
                admitted.withLock { $0 = true }
                available.signal()
            } else {
                continuation.resume(returning: nil)
            }
        }
        guard let result, admitted.withLock({ $0 }) else {
            rejections.add(1, ordering: .relaxed)
            throw Overloaded()
        }
        return result
    }

    private func work() {
        while true {
            available.wait()
            let job = queue.withLock { state -> (@Sendable () -> Void)? in
                guard state.head < state.jobs.count else { return nil }
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 1024 && state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            job?()
        }
    }
}
