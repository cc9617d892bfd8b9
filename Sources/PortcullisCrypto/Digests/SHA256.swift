/// SHA-256 (FIPS 180-4).
///
/// ```swift
/// let digest = SHA256.hash(data: Array("abc".utf8))
/// ```
public struct SHA256: HashFunction {
    public static let byteCount = 32
    public static let blockByteCount = 64

    @usableFromInline var state: State
    @usableFromInline var buffer = InlineArray<64, UInt8>(repeating: 0)
    @usableFromInline var bufferCount = 0
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
                let take = min(64 - bufferCount, remaining)
                (base + bufferCount).copyMemory(from: input, byteCount: take)
                bufferCount += take
                input += take
                remaining -= take
                guard bufferCount == 64 else { return }
                SHA256.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
                bufferCount = 0
            }
            let whole = remaining / 64
            if whole > 0 {
                SHA256.compress(&state, blocks: input, count: whole)
                input += whole * 64
                remaining -= whole * 64
            }
            if remaining > 0 {
                base.copyMemory(from: input, byteCount: remaining)
                bufferCount = remaining
            }
        }
    }

    public consuming func finalize(into output: UnsafeMutableRawBufferPointer) {
        let bitLength = totalByteCount &* 8
        var state = self.state
        let bufferCount = self.bufferCount
        var block = self.buffer
        var span = block.mutableSpan
        span.withUnsafeMutableBytes { block in
            let base = block.baseAddress!
            base.storeBytes(of: 0x80, toByteOffset: bufferCount, as: UInt8.self)
            if bufferCount >= 56 {
                (base + bufferCount + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 63 - bufferCount)
                SHA256.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
                base.initializeMemory(as: UInt8.self, repeating: 0, count: 56)
            } else {
                (base + bufferCount + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 55 - bufferCount)
            }
            base.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
            SHA256.compress(&state, blocks: UnsafeRawPointer(base), count: 1)
        }
        state.store(bytes: output)
    }
}

extension SHA256 {
    /// The eight 32-bit chaining words.
    @usableFromInline
    struct State: Sendable {
        var h0, h1, h2, h3, h4, h5, h6, h7: UInt32

        static let initial = State(
            h0: sha256InitialState[0], h1: sha256InitialState[1], h2: sha256InitialState[2],
            h3: sha256InitialState[3], h4: sha256InitialState[4], h5: sha256InitialState[5],
            h6: sha256InitialState[6], h7: sha256InitialState[7])

        /// Writes the state big-endian as message words (for PBKDF2's fixed-size blocks).
        /// Writes the state big-endian: the digest once the message is padded.
        @inline(__always)
        func store(bytes output: UnsafeMutableRawBufferPointer) {
            precondition(output.count >= 32, "digest buffer too small")
            let raw = output.baseAddress!
            raw.storeBytes(of: h0.bigEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: h1.bigEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: h2.bigEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: h3.bigEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: h4.bigEndian, toByteOffset: 16, as: UInt32.self)
            raw.storeBytes(of: h5.bigEndian, toByteOffset: 20, as: UInt32.self)
            raw.storeBytes(of: h6.bigEndian, toByteOffset: 24, as: UInt32.self)
            raw.storeBytes(of: h7.bigEndian, toByteOffset: 28, as: UInt32.self)
        }

        @inline(__always)
        func store(into words: UnsafeMutablePointer<UInt32>) {
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

    /// Compresses `count` consecutive 64-byte blocks of big-endian message bytes.
    @usableFromInline
    static func compress(_ state: inout State, blocks: UnsafeRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let w = schedule.baseAddress!
            for block in 0..<count {
                let input = blocks + block * 64
                for i in 0..<16 {
                    w[i] = UInt32(bigEndian: input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                }
                compressScheduled(&state, w)
            }
        }
    }

    /// Compresses one block given as 16 host-order message words in `w[0..<16]`; `w` must have room
    /// for 64 words (the schedule is expanded in place).
    @inline(__always)
    static func compressScheduled(_ state: inout State, _ w: UnsafeMutablePointer<UInt32>) {
        var a = state.h0, b = state.h1, c = state.h2, d = state.h3
        var e = state.h4, f = state.h5, g = state.h6, h = state.h7
        let k = SHA256.roundConstants
        // Rounds 0-15 use the message words directly.
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
        // Rounds 16-63 expand the schedule as they go: the expansion is independent work that fills
        // the gaps left by the rounds' long dependency chain.
        while i < 64 {
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

    /// Computes, stores and returns schedule word `i` (16 ≤ i < 64).
    @inline(__always)
    static func expand(_ w: UnsafeMutablePointer<UInt32>, _ i: Int) -> UInt32 {
        let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] &>> 3)
        let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] &>> 10)
        let word = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        w[i] = word
        return word
    }

    /// The round constants, copied once into memory that is never freed or written again, so the
    /// compression loop reads them without retaining an array per block.
    nonisolated(unsafe) static let roundConstants: UnsafePointer<UInt32> = {
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: sha256RoundConstants.count)
        pointer.initialize(from: sha256RoundConstants, count: sha256RoundConstants.count)
        return UnsafePointer(pointer)
    }()

    /// One round; the caller rotates the roles of the eight working variables instead of moving them.
    /// Ch and Maj use their three-operation forms.
    @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
        let sigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let choose = ((f ^ g) & e) ^ g
        let t1 = h &+ sigma1 &+ choose &+ kw
        let sigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let majority = ((a ^ b) & (b ^ c)) ^ b
        d &+= t1
        h = t1 &+ sigma0 &+ majority
    }

    @inline(__always)
    static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }
}
