/// FNV-1a, 64-bit: a stable (not per-process seeded) hash to pick a shard, so a key maps to the
/// same shard across restarts and snapshots.
enum StableHash {
    static func shard(of key: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}
