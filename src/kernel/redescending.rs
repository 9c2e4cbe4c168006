//! Redescending kernels: an outlier's pull ρ'(s)·√s rises, peaks near the width and then fades
//! to zero, so gross outliers end up ignored. The price is a non-convex cost.

use super::{
    positive_finite, quadratic, saturated, validate_width, KernelError, KernelValue, RobustKernel,
};

/// Defines a kernel struct with a single width field δ, its validating constructor and getter.
macro_rules! width_kernel {
    ($(#[$doc:meta])* $kernel:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $kernel {
            delta: f64,
        }

        impl $kernel {
            #[doc = concat!("[`", stringify!($kernel), "`] kernel of width δ (in standard deviations).")]
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
    };
}

width_kernel!(
    /// Cauchy (Lorentzian): ρ(s) = δ² ln(1 + s/δ²), weight 1/(1 + s/δ²).
    ///
    /// The mildest redescending kernel: the pull of an outlier decays only like 1/|e|, so the
    /// cost is less non-convex than Geman-McClure's or Tukey's, and it is a common default.
    Cauchy
);

impl RobustKernel for Cauchy {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let delta2 = self.delta * self.delta;
        let x = s / delta2;
        // ln_1p keeps precision for small x; if x overflows, ln(1 + x) is ln s − ln δ² anyway,
        // which keeps ρ finite for every finite s.
        let log = if x.is_finite() {
            x.ln_1p()
        } else {
            s.ln() - delta2.ln()
        };
        let weight = 1.0 / (1.0 + x);
        KernelValue::new(delta2 * log, weight, -weight * weight / delta2)
    }

    fn name(&self) -> &str {
        "cauchy"
    }
}

width_kernel!(
    /// Geman-McClure: ρ(s) = δ²s/(δ² + s), weight (δ²/(δ² + s))².
    ///
    /// The cost saturates at δ², so an outlier's pull decays like 1/|e|³. This is also the
    /// μ = 1 end of [`crate::kernel::GncGemanMcClure`].
    GemanMcClure
);

/// Geman-McClure with scale c² (c² = δ² plain, μδ² for the GNC surrogate).
#[inline]
pub(super) fn geman_mcclure(scale2: f64, s: f64) -> KernelValue {
    let x = s / scale2;
    let root_weight = 1.0 / (1.0 + x);
    // s/(1 + x) is exact to rounding for every finite x; only x = ∞ needs the limit c².
    let rho = if x.is_finite() {
        s * root_weight
    } else {
        scale2
    };
    let weight = root_weight * root_weight;
    KernelValue::new(rho, weight, -2.0 * weight * root_weight / scale2)
}

impl RobustKernel for GemanMcClure {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        geman_mcclure(self.delta * self.delta, s)
    }

    fn name(&self) -> &str {
        "geman-mcclure"
    }
}

width_kernel!(
    /// Welsch (Leclerc): ρ(s) = δ²(1 − exp(−s/δ²)), weight exp(−s/δ²).
    ///
    /// The weight decays exponentially, so edges a few δ out are ignored almost completely.
    Welsch
);

impl RobustKernel for Welsch {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let delta2 = self.delta * self.delta;
        let x = s / delta2;
        let weight = (-x).exp();
        // exp_m1 avoids the cancellation in 1 − e^{−x} for small x.
        KernelValue::new(-delta2 * (-x).exp_m1(), weight, -weight / delta2)
    }

    fn name(&self) -> &str {
        "welsch"
    }
}

width_kernel!(
    /// Tukey's biweight: ρ(s) = (δ²/3)(1 − (1 − s/δ²)³) for s ≤ δ², else δ²/3.
    ///
    /// The weight (1 − s/δ²)² reaches exactly zero at s = δ², so edges beyond δ are ignored
    /// entirely. ρ, ρ' and ρ'' are all continuous there (only ρ''' jumps). δ = 4.685 gives
    /// 95 % efficiency on Gaussian data.
    Tukey
);

impl RobustKernel for Tukey {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let delta2 = self.delta * self.delta;
        if s > delta2 {
            return saturated(delta2 / 3.0);
        }
        let x = s / delta2;
        let t = 1.0 - x;
        // (δ²/3)(1 − (1 − x)³) expanded to s(1 − x + x²/3), which has no cancellation at small s.
        KernelValue::new(s * (1.0 - x + x * x / 3.0), t * t, -2.0 * t / delta2)
    }

    fn name(&self) -> &str {
        "tukey"
    }
}

width_kernel!(
    /// Truncated least squares: ρ(s) = min(s, δ²).
    ///
    /// Edges within δ are plain least squares, edges beyond are ignored (weight 0). ρ' jumps
    /// from 1 to 0 at s = δ²; ρ'' is 0 on both sides. Use it with graduated non-convexity
    /// ([`crate::kernel::GncTruncatedLeastSquares`]) unless the initial guess is good.
    TruncatedLeastSquares
);

impl RobustKernel for TruncatedLeastSquares {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let delta2 = self.delta * self.delta;
        if s <= delta2 {
            quadratic(s)
        } else {
            saturated(delta2)
        }
    }

    fn name(&self) -> &str {
        "tls"
    }
}

/// Dynamic covariance scaling (Agarwal, Tipaldi, Spinello, Stachniss, Burgard, ICRA 2013).
///
/// DCS scales each edge's information by w(s) = min(1, 2Φ/(Φ + s))², which is the weight
/// ρ'(s) here. Integrating it gives the cost this kernel reports:
///
/// ρ(s) = s for s ≤ Φ, and ρ(s) = Φ + ∫_Φ^s 4Φ²/(Φ + t)² dt = 3Φ − 4Φ²/(Φ + s) beyond,
///
/// continuous at s = Φ (both give Φ) with ρ' continuous too (both 1), ρ'' = −8Φ²/(Φ + s)³
/// beyond, and ρ → 3Φ as s → ∞. DCS is thereby an M-estimator; with Φ = δ² its weight is
/// Geman-McClure's weight with scale 2Φ, clipped at 1.
///
/// Φ is in units of s (a squared whitened residual), as in the paper and in GTSAM's and g2o's
/// DCS; [`Dcs::from_width`] takes a width δ in standard deviations like every other kernel and
/// sets Φ = δ².
///
/// g2o's `RobustKernelDCS` differs: it reports ρ = w(s)·s, ρ' = w(s) and ρ'' = 0. That ρ is
/// not the integral of its ρ': w(s)·s = 4Φ²s/(Φ + s)² has the derivative 4Φ²(Φ − s)/(Φ + s)³,
/// which turns negative as soon as the kernel is active (s > Φ), so g2o's reported cost
/// *decreases* as an outlier grows, and its ρ'' is wrong. Here ρ is non-decreasing and ρ, ρ',
/// ρ'' are mutually consistent, so line searches, cost reports and the second-order correction
/// all see the same function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dcs {
    phi: f64,
}

impl Dcs {
    /// DCS with parameter Φ in units of s (the paper's Φ; 1 is a common choice).
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless Φ is positive and finite.
    pub fn new(phi: f64) -> Result<Self, KernelError> {
        Ok(Self {
            phi: positive_finite("phi", phi)?,
        })
    }

    /// DCS whose kink sits at δ standard deviations: Φ = δ².
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless δ is positive and finite with a normal δ².
    pub fn from_width(delta: f64) -> Result<Self, KernelError> {
        let delta = validate_width("delta", delta)?;
        Self::new(delta * delta)
    }

    /// The parameter Φ (units of s).
    pub fn phi(&self) -> f64 {
        self.phi
    }
}

impl RobustKernel for Dcs {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let phi = self.phi;
        if s <= phi {
            return quadratic(s);
        }
        // t = Φ/(Φ + s) ∈ (0, 1/2): every term below is a power of t, so nothing overflows.
        let t = phi / (phi + s);
        KernelValue::new(
            3.0 * phi - 4.0 * phi * t,
            4.0 * t * t,
            -8.0 * t * t * t / phi,
        )
    }

    fn name(&self) -> &str {
        "dcs"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn cauchy_by_hand() {
        let v = Cauchy::new(1.0).unwrap().evaluate(1.0);
        assert_relative_eq!(v.rho, std::f64::consts::LN_2);
        assert_relative_eq!(v.d1, 0.5);
        assert_relative_eq!(v.d2, -0.25);
        // δ = 2, s = 12: x = 3, ρ = 4 ln 4, ρ' = 1/4, ρ'' = −1/64.
        let v = Cauchy::new(2.0).unwrap().evaluate(12.0);
        assert_relative_eq!(v.rho, 4.0 * 4f64.ln());
        assert_relative_eq!(v.d1, 0.25);
        assert_relative_eq!(v.d2, -1.0 / 64.0);
        // s/δ² overflows, ρ stays finite: 0.01 · ln(1e310).
        let v = Cauchy::new(0.1).unwrap().evaluate(1e308);
        assert_relative_eq!(v.rho, 0.01 * 310.0 * 10f64.ln(), max_relative = 1e-12);
    }

    #[test]
    fn geman_mcclure_by_hand() {
        // δ = 1, s = 1: ρ = 1/2, ρ' = 1/4, ρ'' = −2/8.
        let v = GemanMcClure::new(1.0).unwrap().evaluate(1.0);
        assert_eq!(v, KernelValue::new(0.5, 0.25, -0.25));
        // δ = 3, s = 18: ρ = 9·18/27 = 6, ρ' = (9/27)² = 1/9, ρ'' = −2·81/27³.
        let v = GemanMcClure::new(3.0).unwrap().evaluate(18.0);
        assert_relative_eq!(v.rho, 6.0);
        assert_relative_eq!(v.d1, 1.0 / 9.0);
        assert_relative_eq!(v.d2, -2.0 * 81.0 / 19683.0);
    }

    #[test]
    fn welsch_by_hand() {
        let v = Welsch::new(2.0).unwrap().evaluate(4.0);
        let e = (-1f64).exp();
        assert_relative_eq!(v.rho, 4.0 * (1.0 - e));
        assert_relative_eq!(v.d1, e);
        assert_relative_eq!(v.d2, -e / 4.0);
    }

    #[test]
    fn tukey_by_hand() {
        let k = Tukey::new(2.0).unwrap();
        // s = 2 (x = 1/2): ρ = (4/3)(1 − 1/8) = 7/6, ρ' = 1/4, ρ'' = −2·(1/2)/4.
        let v = k.evaluate(2.0);
        assert_relative_eq!(v.rho, 7.0 / 6.0);
        assert_relative_eq!(v.d1, 0.25);
        assert_relative_eq!(v.d2, -0.25);
        assert_eq!(k.evaluate(4.0), KernelValue::new(4.0 / 3.0, 0.0, -0.0));
        assert_eq!(k.evaluate(5.0), KernelValue::new(4.0 / 3.0, 0.0, 0.0));
    }

    #[test]
    fn tls_by_hand() {
        let k = TruncatedLeastSquares::new(3.0).unwrap();
        assert_eq!(k.evaluate(8.0), KernelValue::new(8.0, 1.0, 0.0));
        assert_eq!(k.evaluate(10.0), KernelValue::new(9.0, 0.0, 0.0));
    }

    #[test]
    fn dcs_by_hand() {
        let k = Dcs::new(2.0).unwrap();
        assert_eq!(k.evaluate(1.5), KernelValue::new(1.5, 1.0, 0.0));
        // s = 6: t = 1/4, ρ = 6 − 2 = 4, ρ' = 1/4 = (2Φ/(Φ+s))², ρ'' = −8/(64·2).
        let v = k.evaluate(6.0);
        assert_relative_eq!(v.rho, 4.0);
        assert_relative_eq!(v.d1, 0.25);
        assert_relative_eq!(v.d2, -1.0 / 16.0);
        // Continuous at s = Φ; the limit at infinity is 3Φ.
        assert_relative_eq!(k.evaluate(2.0 + 1e-12).rho, 2.0, max_relative = 1e-12);
        assert_relative_eq!(k.evaluate(2.0 + 1e-12).d1, 1.0, max_relative = 1e-12);
        assert_eq!(k.evaluate(f64::INFINITY).rho, 6.0);
        assert_eq!(Dcs::from_width(3.0).unwrap().phi(), 9.0);
    }

    #[test]
    fn dcs_integrates_its_weight() {
        // ρ(b) − ρ(a) = ∫ w: check with Simpson's rule on the active branch.
        let k = Dcs::new(1.5).unwrap();
        let (a, b, n) = (1.5, 40.0, 20_000);
        let h = (b - a) / n as f64;
        let integral: f64 = (0..=n)
            .map(|i| {
                let c = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                c * k.evaluate(a + i as f64 * h).d1
            })
            .sum::<f64>()
            * h
            / 3.0;
        assert_relative_eq!(
            k.evaluate(b).rho - k.evaluate(a).rho,
            integral,
            max_relative = 1e-10
        );
    }
}
