/// A hashed timing wheel: 128 slots of 100 ms. Each connection keeps its own deadline and is
/// scheduled at most once at a time; when its slot comes round and the deadline has moved later,
/// it is simply rescheduled. Setting a deadline is therefore a field write, not a wheel operation,
/// unless it moves earlier.
struct TimerWheel {
    static let tick: Int64 = 100
    static let slotCount = 128

    private var slots: [[(id: UInt64, tick: Int64)]] = Array(repeating: [], count: TimerWheel.slotCount)
    private(set) var currentTick: Int64

    init(now: Int64) {
        currentTick = now / TimerWheel.tick
    }

    /// Schedules `id` to be checked at `deadline` (clamped to the wheel's horizon); returns the tick
    /// it was filed under, which the caller keeps to recognise the live entry.
    mutating func schedule(_ id: UInt64, at deadline: Int64) -> Int64 {
        var tick = max(deadline / TimerWheel.tick + 1, currentTick + 1)
        tick = min(tick, currentTick + Int64(TimerWheel.slotCount) - 1)
        slots[Int(tick % Int64(TimerWheel.slotCount))].append((id, tick))
        return tick
    }

    /// Advances to `now` and returns each entry whose tick has come (stale entries included: the
    /// caller compares the tick with the one it kept). The caller may schedule again afterwards.
    mutating func advance(to now: Int64) -> [(id: UInt64, tick: Int64)] {
        var fired: [(id: UInt64, tick: Int64)] = []
        let target = now / TimerWheel.tick
        while currentTick < target {
            currentTick += 1
            let index = Int(currentTick % Int64(TimerWheel.slotCount))
            guard !slots[index].isEmpty else { continue }
            let due = slots[index]
            slots[index].removeAll(keepingCapacity: true)
            for entry in due {
                if entry.tick == currentTick {
                    fired.append(entry)
                } else {
                    slots[index].append(entry)
                }
            }
        }
        return fired
    }

    /// Milliseconds until the next tick.
    func millisecondsToNextTick(now: Int64) -> Int32 {
        Int32(max(1, (currentTick + 1) * TimerWheel.tick - now))
    }
}
