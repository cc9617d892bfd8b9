extension Argon2 {
    /// The memory matrix being filled: `lanes` rows of `laneLength` 1 KiB blocks (128 words each).
    struct Instance {
        let memory: UnsafeMutablePointer<UInt64>
        let lanes: Int
        let laneLength: Int
        let segmentLength: Int
        let passes: Int
        let blockCount: Int
        let variant: Variant

        /// Fills one segment (RFC 9106 §3.4), following the reference implementation's order.
        func fillSegment(pass: Int, lane: Int, slice: Int) {
            let dataIndependent = variant == .argon2i || (variant == .argon2id && pass == 0 && slice < 2)
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128 * 4) { scratchBuffer in
                let scratch = scratchBuffer.baseAddress!
                let addresses = scratch + 256
                let input = scratch + 384
                if dataIndependent {
                    input.initialize(repeating: 0, count: 128)
                    input[0] = UInt64(pass)
                    input[1] = UInt64(lane)
                    input[2] = UInt64(slice)
                    input[3] = UInt64(blockCount)
                    input[4] = UInt64(passes)
                    input[5] = variant.typeCode
                }
                var startIndex = 0
                if pass == 0 && slice == 0 {
                    startIndex = 2
                    if dataIndependent { nextAddresses(addresses, input) }
                }
                var current = lane * laneLength + slice * segmentLength + startIndex
                var previous = current % laneLength == 0 ? current + laneLength - 1 : current - 1

                for index in startIndex..<segmentLength {
                    if current % laneLength == 1 { previous = current - 1 }
                    let pseudoRandom: UInt64
                    if dataIndependent {
                        if index % 128 == 0 { nextAddresses(addresses, input) }
                        pseudoRandom = addresses[index % 128]
                    } else {
                        pseudoRandom = memory[previous * 128]
                    }
                    var referenceLane = Int((pseudoRandom >> 32) % UInt64(lanes))
                    if pass == 0 && slice == 0 { referenceLane = lane }
                    let referenceIndex = referenceBlockIndex(
                        pass: pass, slice: slice, index: index, pseudoRandom: UInt32(truncatingIfNeeded: pseudoRandom),
                        sameLane: referenceLane == lane)
                    Argon2.fillBlock(
                        previous: memory + previous * 128,
                        reference: memory + (referenceLane * laneLength + referenceIndex) * 128,
                        next: memory + current * 128,
                        xorInto: pass > 0, scratch: scratch)
                    current += 1
                    previous += 1
                }
            }
        }

        /// Maps J1 to a block of the reference area (RFC 9106 §3.4.1.2, `index_alpha`).
        @inline(__always)
        func referenceBlockIndex(pass: Int, slice: Int, index: Int, pseudoRandom: UInt32, sameLane: Bool) -> Int {
            let areaSize: Int
            if pass == 0 {
                if slice == 0 {
                    areaSize = index - 1
                } else if sameLane {
                    areaSize = slice * segmentLength + index - 1
                } else {
                    areaSize = slice * segmentLength + (index == 0 ? -1 : 0)
                }
            } else if sameLane {
                areaSize = laneLength - segmentLength + index - 1
            } else {
                areaSize = laneLength - segmentLength + (index == 0 ? -1 : 0)
            }
            var relative = UInt64(pseudoRandom)
            relative = (relative &* relative) >> 32
            relative = UInt64(areaSize) - 1 - ((UInt64(areaSize) &* relative) >> 32)
            let start = pass == 0 || slice == 3 ? 0 : (slice + 1) * segmentLength
            return (start + Int(relative)) % laneLength
        }

        /// The next block of 128 data-independent pseudo-random addresses: G(0, G(0, input)).
        private func nextAddresses(_ addresses: UnsafeMutablePointer<UInt64>, _ input: UnsafeMutablePointer<UInt64>) {
            input[6] &+= 1
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128 + 256) { buffer in
                let zeroBlock = buffer.baseAddress!
                let work = zeroBlock + 128
                zeroBlock.initialize(repeating: 0, count: 128)
                Argon2.fillBlock(previous: zeroBlock, reference: input, next: addresses, xorInto: false, scratch: work)
                Argon2.fillBlock(
                    previous: zeroBlock, reference: addresses, next: addresses, xorInto: false, scratch: work)
            }
        }
    }

    /// The compression function G (RFC 9106 §3.5): next = P(prev ⊕ ref) ⊕ (prev ⊕ ref) [⊕ next].
    /// `scratch` must hold 256 words.
    @inline(__always)
    static func fillBlock(
        previous: UnsafeMutablePointer<UInt64>, reference: UnsafeMutablePointer<UInt64>,
        next: UnsafeMutablePointer<UInt64>, xorInto: Bool, scratch: UnsafeMutablePointer<UInt64>
    ) {
        let r = scratch
        let saved = scratch + 128
        if xorInto {
            for i in 0..<128 {
                let x = previous[i] ^ reference[i]
                r[i] = x
                saved[i] = x ^ next[i]
            }
        } else {
            for i in 0..<128 {
                let x = previous[i] ^ reference[i]
                r[i] = x
                saved[i] = x
            }
        }
        for row in 0..<8 {
            let b = r + 16 * row
            permute(b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        }
        for column in 0..<8 {
            let b = r + 2 * column
            permute(b, 0, 1, 16, 17, 32, 33, 48, 49, 64, 65, 80, 81, 96, 97, 112, 113)
        }
        for i in 0..<128 {
            next[i] = r[i] ^ saved[i]
        }
    }

    /// The BLAKE2b-based permutation P over sixteen words at the given offsets from `b`.
    @inline(__always)
    static func permute(
        _ b: UnsafeMutablePointer<UInt64>,
        _ o0: Int, _ o1: Int, _ o2: Int, _ o3: Int, _ o4: Int, _ o5: Int, _ o6: Int, _ o7: Int,
        _ o8: Int, _ o9: Int, _ o10: Int, _ o11: Int, _ o12: Int, _ o13: Int, _ o14: Int, _ o15: Int
    ) {
        var v0 = b[o0], v1 = b[o1], v2 = b[o2], v3 = b[o3]
        var v4 = b[o4], v5 = b[o5], v6 = b[o6], v7 = b[o7]
        var v8 = b[o8], v9 = b[o9], v10 = b[o10], v11 = b[o11]
        var v12 = b[o12], v13 = b[o13], v14 = b[o14], v15 = b[o15]
        gb(&v0, &v4, &v8, &v12)
        gb(&v1, &v5, &v9, &v13)
        gb(&v2, &v6, &v10, &v14)
        gb(&v3, &v7, &v11, &v15)
        gb(&v0, &v5, &v10, &v15)
        gb(&v1, &v6, &v11, &v12)
        gb(&v2, &v7, &v8, &v13)
        gb(&v3, &v4, &v9, &v14)
        b[o0] = v0
        b[o1] = v1
        b[o2] = v2
        b[o3] = v3
        b[o4] = v4
        b[o5] = v5
        b[o6] = v6
        b[o7] = v7
        b[o8] = v8
        b[o9] = v9
        b[o10] = v10
        b[o11] = v11
        b[o12] = v12
        b[o13] = v13
        b[o14] = v14
        b[o15] = v15
    }

    /// BLAKE2b's G with BlaMka's multiplications: a + b + 2·lo(a)·lo(b).
    @inline(__always)
    static func gb(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64) {
        a = a &+ b &+ 2 &* (a & 0xFFFF_FFFF) &* (b & 0xFFFF_FFFF)
        d = (d ^ a).rotatedRight(32)
        c = c &+ d &+ 2 &* (c & 0xFFFF_FFFF) &* (d & 0xFFFF_FFFF)
        b = (b ^ c).rotatedRight(24)
        a = a &+ b &+ 2 &* (a & 0xFFFF_FFFF) &* (b & 0xFFFF_FFFF)
        d = (d ^ a).rotatedRight(16)
        c = c &+ d &+ 2 &* (c & 0xFFFF_FFFF) &* (d & 0xFFFF_FFFF)
        b = (b ^ c).rotatedRight(63)
    }
}
