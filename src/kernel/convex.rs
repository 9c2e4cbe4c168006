//! Kernels that are convex in the residual e: least squares, Huber, and the two smooth L1s.
//!
//! Convex kernels keep the pose-graph problem no harder than least squares; an outlier's pull
//! (the influence ρ'(s)·√s) stays bounded but never vanishes.

use super::{quadratic, validate_width, KernelError, KernelValue, RobustKernel};

/// Plain least squares: ρ(s) = s, weight 1 for every edge.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct L2;

impl RobustKernel for L2 {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        quadratic(s)
    }

    fn name(&self) -> &str {
        "l2"
    }
}

/// Huber: quadratic up to δ standard deviations, linear in |e| beyond.
///
/// ρ(s) = s for s ≤ δ², else 2δ√s − δ²; weight 1, then δ/√s. ρ' is continuous at s = δ², ρ''
/// jumps there from 0 to −1/(2δ²). δ = 1.345 gives 95 % efficiency on Gaussian data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Huber {
    delta: f64,
}

impl Huber {
    /// Huber kernel of width δ (in standard deviations).
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless δ is positive and finite with a normal δ².
    pub fn new(delta: f64) -> Result<Self, KernelError> {
        Ok(Self {
            delta: validate_width("delta", delta)?,
        })
    }

    /// The width δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }
}

impl RobustKernel for Huber {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let delta = self.delta;
        if s <= delta * delta {
            return quadratic(s);
        }
        let root = s.sqrt();
        let weight = delta / root;
        KernelValue::new(
            2.0 * delta * root - delta * delta,
            weight,
            -0.5 * weight / s,
        )
    }

    fn name(&self) -> &str {
        "huber"
    }
}

/// Smoothed L1: ρ(s) = 2(√(s + ε²) − ε), i.e. twice the L1 norm |e| of the whitened residual,
/// rounded off within ε of zero.
///
/// Plain L1 has ρ' = 1/√s, an infinite IRLS weight for a perfect edge; the ε keeps the weight
/// at most 1/ε. Unlike every other kernel here, ρ'(0) = 1/ε rather than 1 (declared through
/// [`RobustKernel::weight_at_zero`]), so L1 weighs near-perfect edges far more than least
/// squares would: that is what minimising Σ|e| means.
///
/// ε is in standard deviations like every other width. L1 with ε equals [`PseudoHuber`] with
/// δ = ε divided by ε, so a large ε is just a pseudo-Huber; the point of this kernel is a small
/// ε (see [`L1::DEFAULT_EPSILON`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct L1 {
    epsilon: f64,
}

impl L1 {
    /// The default smoothing ε = 10⁻³ σ.
    ///
    /// It rounds off only residuals a thousand times smaller than the noise, so the cost is
    /// 2|e| − 2ε to within O(ε²/|e|) for every residual that matters, while the largest weight
    /// ratio between edges stays at 1/ε = 1000, which keeps the normal equations well enough
    /// conditioned for a direct solver in double precision.
    pub const DEFAULT_EPSILON: f64 = 1e-3;

    /// Smoothed L1 with smoothing width ε (in standard deviations).
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless ε is positive and finite with a normal ε².
    pub fn new(epsilon: f64) -> Result<Self, KernelError> {
        Ok(Self {
            epsilon: validate_width("epsilon", epsilon)?,
        })
    }

    /// The smoothing width ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
}

impl Default for L1 {
    fn default() -> Self {
        Self {
            epsilon: Self::DEFAULT_EPSILON,
        }
    }
}

/// 2(√(s + ε²) − ε) and its derivatives, shared by [`L1`] and [`PseudoHuber`].
#[inline]
fn smooth_abs(epsilon: f64, s: f64) -> KernelValue {
    let root = (s + epsilon * epsilon).sqrt();
    // Below s = ε² the difference R − ε cancels; the conjugate form s/(R + ε) does not (but is
    // inf/inf at s = ∞, where the plain form is exact).
    let rho = if s > epsilon * epsilon {
        2.0 * (root - epsilon)
    } else {
        2.0 * s / (root + epsilon)
    };
    let weight = 1.0 / root;
    KernelValue::new(rho, weight, -0.5 * weight * weight * weight)
}

impl RobustKernel for L1 {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        smooth_abs(self.epsilon, s)
    }

    fn name(&self) -> &str {
        "l1"
    }

    fn weight_at_zero(&self) -> Option<f64> {
        Some(1.0 / self.epsilon)
    }
}

/// Pseudo-Huber (Ceres' soft-L1): ρ(s) = 2δ²(√(1 + s/δ²) − 1).
///
/// A smooth Huber: quadratic well inside δ, linear in |e| well beyond, with every derivative
/// continuous. The weight is 1/√(1 + s/δ²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PseudoHuber {
    delta: f64,
}

impl PseudoHuber {
    /// Pseudo-Huber kernel of width δ (in standard deviations).
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless δ is positive and finite with a normal δ².
    pub fn new(delta: f64) -> Result<Self, KernelError> {
        Ok(Self {
            delta: validate_width("delta", delta)?,
        })
    }

    /// The width δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }
}

impl RobustKernel for PseudoHuber {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        // 2δ²(√(1 + s/δ²) − 1) = δ · 2(√(s + δ²) − δ): written this way s/δ² cannot overflow
        // for a small δ and a huge s, which would make a finite ρ infinite.
        let v = smooth_abs(self.delta, s);
        KernelValue::new(self.delta * v.rho, self.delta * v.d1, self.delta * v.d2)
    }

    fn name(&self) -> &str {
        "pseudo-huber"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn huber_by_hand() {
        let k = Huber::new(2.0).unwrap();
        assert_eq!(k.evaluate(3.0), KernelValue::new(3.0, 1.0, 0.0));
        // s = 9 (3σ): 2·2·3 − 4 = 8, weight 2/3, ρ'' = −2/(2·27).
        let v = k.evaluate(9.0);
        assert_relative_eq!(v.rho, 8.0);
        assert_relative_eq!(v.d1, 2.0 / 3.0);
        assert_relative_eq!(v.d2, -1.0 / 27.0);
        // Continuous value and weight across the kink.
        let (below, above) = (k.evaluate(4.0), k.evaluate(4.0 + 1e-12));
        assert_relative_eq!(below.rho, above.rho, max_relative = 1e-12);
        assert_relative_eq!(below.d1, above.d1, max_relative = 1e-12);
    }

    #[test]
    fn l1_by_hand() {
        let k = L1::new(0.5).unwrap();
        // s = 2: √(2 + 1/4) = 3/2, ρ = 2(3/2 − 1/2) = 2, ρ' = 2/3, ρ'' = −1/2 · (2/3)³.
        let v = k.evaluate(2.0);
        assert_relative_eq!(v.rho, 2.0);
        assert_relative_eq!(v.d1, 2.0 / 3.0);
        assert_relative_eq!(v.d2, -4.0 / 27.0);
        assert_eq!(k.evaluate(0.0), KernelValue::new(0.0, 2.0, -4.0));
        assert_eq!(k.weight_at_zero(), Some(2.0));
        // Far from zero it is 2|e| − 2ε.
        let v = L1::default().evaluate(1e6);
        assert_relative_eq!(v.rho, 2e3 - 2e-3, max_relative = 1e-12);
        assert_eq!(L1::default().epsilon(), L1::DEFAULT_EPSILON);
    }

    #[test]
    fn pseudo_huber_by_hand() {
        let k = PseudoHuber::new(2.0).unwrap();
        // s = 12: √(1 + 3) = 2, ρ = 8 · 1 = 8, ρ' = 1/2, ρ'' = −1/(2·4·8).
        let v = k.evaluate(12.0);
        assert_relative_eq!(v.rho, 8.0);
        assert_relative_eq!(v.d1, 0.5);
        assert_relative_eq!(v.d2, -1.0 / 64.0);
        // L1 with ε is pseudo-Huber with δ = ε, divided by ε.
        let (l1, ph) = (L1::new(0.3).unwrap(), PseudoHuber::new(0.3).unwrap());
        for s in [0.0, 0.01, 1.0, 50.0] {
            assert_relative_eq!(0.3 * l1.evaluate(s).rho, ph.evaluate(s).rho);
        }
    }

    #[test]
    fn no_overflow_for_tiny_width_and_huge_s() {
        let v = PseudoHuber::new(1e-100).unwrap().evaluate(1e300);
        assert_relative_eq!(v.rho, 2e-100 * 1e150, max_relative = 1e-12);
        assert!(v.d1.is_finite() && v.d2.is_finite());
    }
}
