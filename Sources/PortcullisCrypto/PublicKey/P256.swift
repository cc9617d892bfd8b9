/// The NIST P-256 curve (FIPS 186-5, SEC 2 secp256r1): y² = x³ − 3x + b over GF(p).
///
/// The field arithmetic is branch-free; `adding` and `linearCombination` branch on point values and
/// serve verification (public data) only — a secret scalar goes through `multiplySecret`.
public enum P256 {
    static let field = MontgomeryModulus(constant("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"))!
    static let order = MontgomeryModulus(constant("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))!
    static let b = constant("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b")
    static let generator = AffinePoint(
        x: constant("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
        y: constant("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
    )

    static func constant(_ hex: String) -> [UInt64] {
        MontgomeryModulus.limbs(bigEndian: Hex.decode(hex)!, count: 4)!
    }

    /// A point in plain affine coordinates (already validated to lie on the curve).
    struct AffinePoint: Sendable {
        var x: [UInt64]
        var y: [UInt64]

        /// Whether (x, y) with x, y < p satisfies the curve equation.
        static func isOnCurve(x: [UInt64], y: [UInt64]) -> Bool {
            let f = P256.field
            guard MontgomeryModulus.less(x, f.modulus), MontgomeryModulus.less(y, f.modulus) else { return false }
            let mx = f.toMontgomery(x)
            let my = f.toMontgomery(y)
            let left = f.multiply(my, my)
            let threeX = f.add(f.add(mx, mx), mx)
            let right = f.add(f.subtract(f.multiply(f.multiply(mx, mx), mx), threeX), f.toMontgomery(P256.b))
            return left == right
        }
    }

    /// Jacobian coordinates (X/Z², Y/Z³) in Montgomery form; Z = 0 is the point at infinity.
    struct JacobianPoint: Sendable {
        var x: [UInt64]
        var y: [UInt64]
        var z: [UInt64]

        static let infinity = JacobianPoint(x: [0, 0, 0, 0], y: [0, 0, 0, 0], z: [0, 0, 0, 0])

        init(x: [UInt64], y: [UInt64], z: [UInt64]) {
            self.x = x
            self.y = y
            self.z = z
        }

        init(_ point: AffinePoint) {
            let f = P256.field
            self.init(x: f.toMontgomery(point.x), y: f.toMontgomery(point.y), z: f.montgomeryOne)
        }

        var isInfinity: Bool { MontgomeryModulus.isZero(z) }

        /// dbl-2001-b (a = −3); the point at infinity (Z = 0) doubles to itself.
        func doubled() -> JacobianPoint {
            let f = P256.field
            let delta = f.multiply(z, z)
            let gamma = f.multiply(y, y)
            let beta = f.multiply(x, gamma)
            let t = f.multiply(f.subtract(x, delta), f.add(x, delta))
            let alpha = f.add(f.add(t, t), t)
            let fourBeta = f.add(f.add(beta, beta), f.add(beta, beta))
            let eightBeta = f.add(fourBeta, fourBeta)
            let x3 = f.subtract(f.multiply(alpha, alpha), eightBeta)
            let yPlusZ = f.add(y, z)
            let z3 = f.subtract(f.subtract(f.multiply(yPlusZ, yPlusZ), gamma), delta)
            let gammaSquared = f.multiply(gamma, gamma)
            let twoG = f.add(gammaSquared, gammaSquared)
            let fourG = f.add(twoG, twoG)
            let eightG = f.add(fourG, fourG)
            let y3 = f.subtract(f.multiply(alpha, f.subtract(fourBeta, x3)), eightG)
            return JacobianPoint(x: x3, y: y3, z: z3)
        }

        /// Adds two points, handling infinity and the equal and opposite cases (variable time).
        func adding(_ other: JacobianPoint) -> JacobianPoint {
            if isInfinity { return other }
            if other.isInfinity { return self }
            let sum = addingDistinct(other)
            // Z₃ = Z₁Z₂H is zero only when H = 0: the points are equal (double) or opposite (infinity).
            guard sum.isInfinity else { return sum }
            let f = P256.field
            let s1 = f.multiply(f.multiply(y, other.z), f.multiply(other.z, other.z))
            let s2 = f.multiply(f.multiply(other.y, z), f.multiply(z, z))
            return s1 == s2 ? doubled() : .infinity
        }

        /// add-1998-cmo-2 for two finite points that are neither equal nor opposite; no branches.
        func addingDistinct(_ other: JacobianPoint) -> JacobianPoint {
            let f = P256.field
            let z1z1 = f.multiply(z, z)
            let z2z2 = f.multiply(other.z, other.z)
            let u1 = f.multiply(x, z2z2)
            let u2 = f.multiply(other.x, z1z1)
            let s1 = f.multiply(f.multiply(y, other.z), z2z2)
            let s2 = f.multiply(f.multiply(other.y, z), z1z1)
            let h = f.subtract(u2, u1)
            let r = f.subtract(s2, s1)
            let hh = f.multiply(h, h)
            let hhh = f.multiply(hh, h)
            let v = f.multiply(u1, hh)
            let x3 = f.subtract(f.subtract(f.multiply(r, r), hhh), f.add(v, v))
            let y3 = f.subtract(f.multiply(r, f.subtract(v, x3)), f.multiply(s1, hhh))
            let z3 = f.multiply(f.multiply(z, other.z), h)
            return JacobianPoint(x: x3, y: y3, z: z3)
        }

        /// The plain affine x coordinate; nil at infinity.
        var affineX: [UInt64]? { isInfinity ? nil : P256.affine(self).x }
    }

    /// a·P + b·Q by Shamir's trick (scalars are public here).
    static func linearCombination(_ a: [UInt64], _ p: JacobianPoint, _ b: [UInt64], _ q: JacobianPoint) -> JacobianPoint
    {
        let both = p.adding(q)
        var result = JacobianPoint.infinity
        for bit in stride(from: 255, through: 0, by: -1) {
            result = result.doubled()
            let limb = bit / 64
            let shift = UInt64(bit % 64)
            switch ((a[limb] >> shift) & 1, (b[limb] >> shift) & 1) {
            case (1, 1): result = result.adding(both)
            case (1, 0): result = result.adding(p)
            case (0, 1): result = result.adding(q)
            default: break
            }
        }
        return result
    }
}
