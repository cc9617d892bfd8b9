/// Two exponentiations at once, for the CRT halves of an RSA signature (mod p and mod q, the same
/// limb count): every step works on both, so the multiply-accumulate chains of one fill the
/// processor while the other's carries settle. Each chain is latency-bound on its own.
extension MontgomeryModulus {
    /// One operand set of a paired kernel.
    struct Lane {
        let out: UnsafeMutablePointer<UInt64>
        let a: UnsafePointer<UInt64>
        let b: UnsafePointer<UInt64>
        let m: UnsafePointer<UInt64>
        let scratch: UnsafeMutablePointer<UInt64>
        let inverse: UInt64
    }

    /// Both lanes' out = a·b·R⁻¹ mod m (as ``multiply(into:_:_:modulus:scratch:)``), `k` limbs each.
    @inline(__always)
    static func multiplyPair(_ x: Lane, _ y: Lane, count k: Int) {
        let tx = x.scratch, ty = y.scratch
        tx.update(repeating: 0, count: k + 1)
        ty.update(repeating: 0, count: k + 1)
        for i in 0..<k {
            let bx = x.b[i], by = y.b[i]
            var (cx1, sx) = multiplyAdd(x.a[0], bx, tx[0], 0)
            var (cy1, sy) = multiplyAdd(y.a[0], by, ty[0], 0)
            let qx = sx &* x.inverse, qy = sy &* y.inverse
            var (cx2, _) = multiplyAdd(qx, x.m[0], sx, 0)
            var (cy2, _) = multiplyAdd(qy, y.m[0], sy, 0)
            for j in 1..<k {
                (cx1, sx) = multiplyAdd(x.a[j], bx, tx[j], cx1)
                (cy1, sy) = multiplyAdd(y.a[j], by, ty[j], cy1)
                (cx2, tx[j - 1]) = multiplyAdd(qx, x.m[j], sx, cx2)
                (cy2, ty[j - 1]) = multiplyAdd(qy, y.m[j], sy, cy2)
            }
            let topX = UInt128(tx[k]) &+ UInt128(cx1) &+ UInt128(cx2)
            let topY = UInt128(ty[k]) &+ UInt128(cy1) &+ UInt128(cy2)
            tx[k - 1] = UInt64(truncatingIfNeeded: topX)
            tx[k] = UInt64(truncatingIfNeeded: topX >> 64)
            ty[k - 1] = UInt64(truncatingIfNeeded: topY)
            ty[k] = UInt64(truncatingIfNeeded: topY >> 64)
        }
        reduceOnce(into: x.out, tx, modulus: x.m, top: tx[k], count: k)
        reduceOnce(into: y.out, ty, modulus: y.m, top: ty[k], count: k)
    }

    /// Both lanes' out = a²·R⁻¹ mod m (`b` unused), the product's cross terms once and doubled.
    /// Each lane's scratch holds `2k` limbs.
    @inline(__always)
    static func squarePair(_ x: Lane, _ y: Lane, count k: Int) {
        let tx = x.scratch, ty = y.scratch
        tx.update(repeating: 0, count: 2 * k)
        ty.update(repeating: 0, count: 2 * k)
        for i in 0..<k {
            var cx: UInt64 = 0, cy: UInt64 = 0
            for j in (i + 1)..<k {
                (cx, tx[i + j]) = multiplyAdd(x.a[i], x.a[j], tx[i + j], cx)
                (cy, ty[i + j]) = multiplyAdd(y.a[i], y.a[j], ty[i + j], cy)
            }
            tx[i + k] = cx
            ty[i + k] = cy
        }
        var topX: UInt64 = 0, topY: UInt64 = 0
        var carryX: UInt64 = 0, carryY: UInt64 = 0
        for i in 0..<k {
            // Doubling and the diagonal squares in one pass, two limbs at a time.
            let (hx, lx) = x.a[i].multipliedFullWidth(by: x.a[i])
            let (hy, ly) = y.a[i].multipliedFullWidth(by: y.a[i])
            let x0 = tx[2 * i], x1 = tx[2 * i + 1], y0 = ty[2 * i], y1 = ty[2 * i + 1]
            let dx0 = x0 << 1 | topX, dx1 = x1 << 1 | x0 >> 63
            let dy0 = y0 << 1 | topY, dy1 = y1 << 1 | y0 >> 63
            topX = x1 >> 63
            topY = y1 >> 63
            let lowerX = UInt128(dx0) &+ UInt128(lx) &+ UInt128(carryX)
            let lowerY = UInt128(dy0) &+ UInt128(ly) &+ UInt128(carryY)
            let upperX = UInt128(dx1) &+ UInt128(hx) &+ (lowerX >> 64)
            let upperY = UInt128(dy1) &+ UInt128(hy) &+ (lowerY >> 64)
            tx[2 * i] = UInt64(truncatingIfNeeded: lowerX)
            ty[2 * i] = UInt64(truncatingIfNeeded: lowerY)
            tx[2 * i + 1] = UInt64(truncatingIfNeeded: upperX)
            ty[2 * i + 1] = UInt64(truncatingIfNeeded: upperY)
            carryX = UInt64(truncatingIfNeeded: upperX >> 64)
            carryY = UInt64(truncatingIfNeeded: upperY >> 64)
        }
        var extraX: UInt64 = 0, extraY: UInt64 = 0
        for i in 0..<k {
            let fx = tx[i] &* x.inverse, fy = ty[i] &* y.inverse
            var rx: UInt64 = 0, ry: UInt64 = 0
            for j in 0..<k {
                (rx, tx[i + j]) = multiplyAdd(fx, x.m[j], tx[i + j], rx)
                (ry, ty[i + j]) = multiplyAdd(fy, y.m[j], ty[i + j], ry)
            }
            let sumX = UInt128(tx[i + k]) &+ UInt128(rx) &+ UInt128(extraX)
            let sumY = UInt128(ty[i + k]) &+ UInt128(ry) &+ UInt128(extraY)
            tx[i + k] = UInt64(truncatingIfNeeded: sumX)
            ty[i + k] = UInt64(truncatingIfNeeded: sumY)
            extraX = UInt64(truncatingIfNeeded: sumX >> 64)
            extraY = UInt64(truncatingIfNeeded: sumY >> 64)
        }
        reduceOnce(into: x.out, tx + k, modulus: x.m, top: extraX, count: k)
        reduceOnce(into: y.out, ty + k, modulus: y.m, top: extraY, count: k)
    }

    /// (bx^ex mod x, by^ey mod y) with secret exponents, for two moduli of the same limb count:
    /// fixed 4-bit windows over both at once (the shorter exponent padded with zero limbs, so the
    /// time depends only on the counts), the window tables read whole.
    static func powerSecretPair(
        _ x: MontgomeryModulus, _ bx: Limbs, _ ex: Limbs, _ y: MontgomeryModulus, _ by: Limbs, _ ey: Limbs
    ) -> (Limbs, Limbs) {
        precondition(x.count == y.count, "paired moduli must have the same limb count")
        let k = x.count
        let limbs = max(ex.count, ey.count)
        let ex = ex + Limbs(repeating: 0, count: limbs - ex.count)
        let ey = ey + Limbs(repeating: 0, count: limbs - ey.count)
        let baseX = x.toMontgomery(bx), baseY = y.toMontgomery(by)
        let oneX = x.montgomeryOne, oneY = y.montgomeryOne
        let entries = 16
        let lane = (entries + 4) * k
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * lane) { buffer in
            let memory = buffer.baseAddress!
            memory.initialize(repeating: 0, count: 2 * lane)
            x.modulus.withUnsafeBufferPointer { mx in
                y.modulus.withUnsafeBufferPointer { my in
                    baseX.withUnsafeBufferPointer { bx in
                        baseY.withUnsafeBufferPointer { by in
                            let tableX = memory, tableY = memory + lane
                            let accX = tableX + entries * k, accY = tableY + entries * k
                            let selX = accX + k, selY = accY + k
                            let scrX = selX + k, scrY = selY + k
                            func lanes(
                                _ outX: UnsafeMutablePointer<UInt64>, _ ax: UnsafePointer<UInt64>,
                                _ bX: UnsafePointer<UInt64>, _ outY: UnsafeMutablePointer<UInt64>,
                                _ ay: UnsafePointer<UInt64>, _ bY: UnsafePointer<UInt64>
                            ) -> (Lane, Lane) {
                                (
                                    Lane(
                                        out: outX, a: ax, b: bX, m: mx.baseAddress!, scratch: scrX, inverse: x.inverse),
                                    Lane(out: outY, a: ay, b: bY, m: my.baseAddress!, scratch: scrY, inverse: y.inverse)
                                )
                            }
                            for limb in 0..<k {
                                tableX[limb] = oneX[limb]
                                tableY[limb] = oneY[limb]
                            }
                            for index in 1..<entries {
                                let (lx, ly) = lanes(
                                    tableX + index * k, tableX + (index - 1) * k, bx.baseAddress!,
                                    tableY + index * k, tableY + (index - 1) * k, by.baseAddress!)
                                multiplyPair(lx, ly, count: k)
                            }
                            for limb in 0..<k {
                                accX[limb] = oneX[limb]
                                accY[limb] = oneY[limb]
                            }
                            let (squareX, squareY) = lanes(accX, accX, accX, accY, accY, accY)
                            let (stepX, stepY) = lanes(accX, accX, selX, accY, accY, selY)
                            for position in (0..<limbs).reversed() {
                                for shift in stride(from: 60, through: 0, by: -4) {
                                    for _ in 0..<4 { squarePair(squareX, squareY, count: k) }
                                    selectWindow(
                                        (ex[position] >> UInt64(shift)) & 0xF, from: tableX, into: selX, count: k)
                                    selectWindow(
                                        (ey[position] >> UInt64(shift)) & 0xF, from: tableY, into: selY, count: k)
                                    multiplyPair(stepX, stepY, count: k)
                                }
                            }
                        }
                    }
                }
            }
            let resultX = Limbs(UnsafeBufferPointer(start: memory + entries * k, count: k))
            let resultY = Limbs(UnsafeBufferPointer(start: memory + lane + entries * k, count: k))
            memory.update(repeating: 0, count: 2 * lane)  // secrets do not outlive the call on the stack
            return (x.fromMontgomery(resultX), y.fromMontgomery(resultY))
        }
    }
}
