/// SHA-512 (FIPS 180-4).
public struct SHA512: HashFunction {
    public static let byteCount = 64
    public static let blockByteCount = 128

    @usableFromInline var state: State
    @usableFromInline var buffer = InlineArray<128, UInt8>(repeating: 0)
    @usableFromInline var bufferCount = 0
    // Messages beyond 2^64 bytes are not a concern here; the high half of the 128-bit length stays 0.
    @usableFromInline var totalByteCount: UInt64 = 0

    public init() {
        state = State.initial
    }

    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard var input = bufferPointer.baseAddress, bufferPointer.count > 0 else { return }
        var remaining = bufferPointer.count
        totalByteCount &+= UInt64(remaining)
        // Work on locals: the closure below may not capture `self` while `buffer` is borrowed.
        var state = self.state
        var bufferCount = self.bufferCount
        var block = self.buffer
        defer {
            self.state = state
            self.bufferCount = bufferCount
            self.buffer = block
        }
        var span = block.mutableSpan
        span.withUnsafeMutableBytes { block in
            let base = block.baseAddress!
            if bufferCount > 0 {
                let take = min(128 - bufferCount, remaining)
                (base + bufferCount).copyMemory(from: input, byteCount: take)
                bufferCount += take
                input += take
                remaining -= take
                guard bufferCount == 128 else { return }
                SHA512.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
                bufferCount = 0
            }
            let whole = remaining / 128
            if whole > 0 {
                SHA512.compress(&state, blocks: input, count: whole)
                input += whole * 128
                remaining -= whole * 128
            }
            if remaining > 0 {
                base.copyMemory(from: input, byteCount: remaining)
                bufferCount = remaining
            }
        }
    }

    public consuming func finalize(into output: UnsafeMutableRawBufferPointer) {
        let bitLength = totalByteCount &* 8
        let highBits = totalByteCount >> 61
        var state = self.state
        let bufferCount = self.bufferCount
        var block = self.buffer
        var span = block.mutableSpan
        span.withUnsafeMutableBytes { block in
            let base = block.baseAddress!
            base.storeBytes(of: 0x80, toByteOffset: bufferCount, as: UInt8.self)
            if bufferCount >= 112 {
                (base + bufferCount + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 127 - bufferCount)
                SHA512.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
                base.initializeMemory(as: UInt8.self, repeating: 0, count: 112)
            } else {
                (base + bufferCount + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 111 - bufferCount)
            }
            base.storeBytes(of: highBits.bigEndian, toByteOffset: 112, as: UInt64.self)
            base.storeBytes(of: bitLength.bigEndian, toByteOffset: 120, as: UInt64.self)
            SHA512.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
        }
        state.store(bytes: output)
    }
}

extension SHA512 {
    /// The eight 64-bit chaining words.
    @usableFromInline
    struct State: Sendable {
        var h0, h1, h2, h3, h4, h5, h6, h7: UInt64

        static let initial = State(
            h0: sha512InitialState[0], h1: sha512InitialState[1], h2: sha512InitialState[2],
            h3: sha512InitialState[3], h4: sha512InitialState[4], h5: sha512InitialState[5],
            h6: sha512InitialState[6], h7: sha512InitialState[7])

        /// Writes the state big-endian: the digest once the message is padded.
        @inline(__always)
        func store(bytes output: UnsafeMutableRawBufferPointer) {
            precondition(output.count >= 64, "digest buffer too small")
            let raw = output.baseAddress!
            raw.storeBytes(of: h0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: h1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: h2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: h3.bigEndian, toByteOffset: 24, as: UInt64.self)
            raw.storeBytes(of: h4.bigEndian, toByteOffset: 32, as: UInt64.self)
            raw.storeBytes(of: h5.bigEndian, toByteOffset: 40, as: UInt64.self)
            raw.storeBytes(of: h6.bigEndian, toByteOffset: 48, as: UInt64.self)
            raw.storeBytes(of: h7.bigEndian, toByteOffset: 56, as: UInt64.self)
        }

        @inline(__always)
        func store(into words: UnsafeMutablePointer<UInt64>) {
            words[0] = h0
            words[1] = h1
            words[2] = h2
            words[3] = h3
            words[4] = h4
            words[5] = h5
            words[6] = h6
            words[7] = h7
        }
    }

    /// Compresses `count` consecutive 128-byte blocks of big-endian message bytes.
    @usableFromInline
    static func compress(_ state: inout State, blocks: UnsafeRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 80) { schedule in
            let w = schedule.baseAddress!
            for block in 0..<count {
                let input = blocks + block * 128
                for i in 0..<16 {
                    w[i] = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                }
                compressScheduled(&state, w)
            }
        }
    }

    /// Compresses one block of 16 host-order words in `w[0..<16]`; `w` must have room for 80 words.
    @inline(__always)
    static func compressScheduled(_ state: inout State, _ w: UnsafeMutablePointer<UInt64>) {
        var a = state.h0, b = state.h1, c = state.h2, d = state.h3
        var e = state.h4, f = state.h5, g = state.h6, h = state.h7
        let k = SHA512.roundConstants
        var i = 0
        while i < 16 {
            round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
            round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
            round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
            round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
            round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
            round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
            round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
            round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
            i += 8
        }
        // The schedule is expanded inside the rounds, where it overlaps their dependency chain.
        while i < 80 {
            round(a, b, c, &d, e, f, g, &h, k[i] &+ expand(w, i))
            round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ expand(w, i + 1))
            round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ expand(w, i + 2))
            round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ expand(w, i + 3))
            round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ expand(w, i + 4))
            round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ expand(w, i + 5))
            round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ expand(w, i + 6))
            round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ expand(w, i + 7))
            i += 8
        }
        state.h0 &+= a
        state.h1 &+= b
        state.h2 &+= c
        state.h3 &+= d
        state.h4 &+= e
        state.h5 &+= f
        state.h6 &+= g
        state.h7 &+= h
    }

    /// Computes, stores and returns schedule word `i` (16 ≤ i < 80).
    @inline(__always)
    static func expand(_ w: UnsafeMutablePointer<UInt64>, _ i: Int) -> UInt64 {
        let s0 = rotr(w[i - 15], 1) ^ rotr(w[i - 15], 8) ^ (w[i - 15] &>> 7)
        let s1 = rotr(w[i - 2], 19) ^ rotr(w[i - 2], 61) ^ (w[i - 2] &>> 6)
        let word = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        w[i] = word
        return word
    }

    /// The round constants, copied once into memory that is never freed or written again, so the
    /// compression loop reads them without retaining an array per block.
    nonisolated(unsafe) static let roundConstants: UnsafePointer<UInt64> = {
        let pointer = UnsafeMutablePointer<UInt64>.allocate(capacity: sha512RoundConstants.count)
        pointer.initialize(from: sha512RoundConstants, count: sha512RoundConstants.count)
        return UnsafePointer(pointer)
    }()

    @inline(__always)
    static func round(
        _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: inout UInt64,
        _ e: UInt64, _ f: UInt64, _ g: UInt64, _ h: inout UInt64, _ kw: UInt64
    ) {
        let t1 = h &+ (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) &+ (((f ^ g) & e) ^ g) &+ kw
        let t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) &+ (((a ^ b) & (b ^ c)) ^ b)
        d &+= t1
        h = t1 &+ t2
    }

    @inline(__always)
    static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 {
        (x &>> n) | (x &<< (64 &- n))
    }
}
