//! Graduated non-convexity surrogates (Yang, Antonante, Tzoumas, Carlone, "Graduated
//! Non-Convexity for Robust Spatial Perception: From Non-Minimal Solvers to Global Outlier
//! Rejection", RA-L 2020).
//!
//! Redescending kernels have many local minima. GNC starts from a surrogate ρ_μ that is close to
//! convex over the range of the residuals, solves, and then moves μ step by step towards the
//! real kernel, warm-starting each solve from the last. Each surrogate here is a
//! [`RobustKernel`], so the solver uses it like any other kernel; the GNC loop only rebuilds it
//! with the next μ ([`GncGemanMcClure::next_mu`], [`GncTruncatedLeastSquares::next_mu`]).
//!
//! In the paper's notation c̄ is our δ and r² is our s.

use super::redescending::geman_mcclure;
use super::{
    positive_finite, quadratic, saturated, validate_width, KernelError, KernelValue, RobustKernel,
};

/// GNC surrogate of [`crate::kernel::GemanMcClure`]: ρ_μ(s) = μδ²s/(μδ² + s).
///
/// The weight is ρ'_μ = (μδ²/(μδ² + s))². For large μ the kernel is least squares over every
/// residual up to s ≈ μδ², i.e. convex where it matters; μ = 1 is plain Geman-McClure. The
/// schedule, from the paper: start at [`initial_mu`](Self::initial_mu) = 2 s_max/δ², divide by
/// [`MU_DIVISOR`](Self::MU_DIVISOR) = 1.4 after each solve, stop after the solve at
/// [`FINAL_MU`](Self::FINAL_MU) = 1.
///
/// ```
/// use rhopt::kernel::{GncGemanMcClure, RobustKernel};
///
/// let s_at_start = [0.3, 1.2, 250.0]; // eᵀΩe of each edge at the initial guess
/// let delta = 1.0;
/// let s_max = s_at_start.iter().copied().fold(0.0, f64::max);
/// let mut kernel = GncGemanMcClure::new(delta, GncGemanMcClure::initial_mu(delta, s_max))?;
/// let mut solves = 0;
/// loop {
///     solves += 1; // ... solve with `kernel`, warm-starting from the previous solution ...
///     if kernel.is_final() {
///         break;
///     }
///     kernel.set_mu(GncGemanMcClure::next_mu(kernel.mu()))?;
/// }
/// assert_eq!(solves, 20); // μ = 500/1.4^k for k = 0..=18 (all > 1), then the clamped 1
/// assert_eq!(kernel.name(), "gnc-geman-mcclure");
/// # Ok::<(), rhopt::kernel::KernelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GncGemanMcClure {
    delta: f64,
    mu: f64,
}

impl GncGemanMcClure {
    /// μ is divided by this after each solve (the paper's 1.4).
    pub const MU_DIVISOR: f64 = 1.4;
    /// The last μ: the surrogate is then plain Geman-McClure.
    pub const FINAL_MU: f64 = 1.0;

    /// Surrogate of width δ (standard deviations) at control parameter μ.
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless δ is a valid width and μ is positive and finite
    /// with μδ² a finite, normal number.
    pub fn new(delta: f64, mu: f64) -> Result<Self, KernelError> {
        let delta = validate_width("delta", delta)?;
        Ok(Self {
            delta,
            mu: Self::validate_mu(delta, mu)?,
        })
    }

    fn validate_mu(delta: f64, mu: f64) -> Result<f64, KernelError> {
        let mu = positive_finite("mu", mu)?;
        if (mu * delta * delta).is_normal() {
            Ok(mu)
        } else {
            Err(KernelError::InvalidParameter {
                parameter: "mu",
                value: mu,
            })
        }
    }

    /// The paper's starting μ = 2 s_max/δ², where s_max is the largest eᵀΩe at the initial
    /// guess; never below [`FINAL_MU`](Self::FINAL_MU) (if every residual is already small,
    /// GNC is a single solve with plain Geman-McClure).
    pub fn initial_mu(delta: f64, max_s: f64) -> f64 {
        (2.0 * max_s / (delta * delta)).max(Self::FINAL_MU)
    }

    /// The μ after `mu`: μ/1.4, clamped at [`FINAL_MU`](Self::FINAL_MU).
    pub fn next_mu(mu: f64) -> f64 {
        (mu / Self::MU_DIVISOR).max(Self::FINAL_MU)
    }

    /// Whether μ has reached [`FINAL_MU`](Self::FINAL_MU), so the next solve is the last.
    pub fn is_final(&self) -> bool {
        self.mu <= Self::FINAL_MU
    }

    /// The width δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The control parameter μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// Moves to control parameter μ.
    ///
    /// # Errors
    /// As [`new`](Self::new); on error the kernel is unchanged.
    pub fn set_mu(&mut self, mu: f64) -> Result<(), KernelError> {
        self.mu = Self::validate_mu(self.delta, mu)?;
        Ok(())
    }

    /// This surrogate at control parameter μ.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_mu(mut self, mu: f64) -> Result<Self, KernelError> {
        self.set_mu(mu)?;
        Ok(self)
    }
}

impl RobustKernel for GncGemanMcClure {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        geman_mcclure(self.mu * self.delta * self.delta, s)
    }

    fn name(&self) -> &str {
        "gnc-geman-mcclure"
    }
}

/// GNC surrogate of [`crate::kernel::TruncatedLeastSquares`].
///
/// With s₋ = μδ²/(μ + 1) and s₊ = (μ + 1)δ²/μ, the paper's surrogate is
///
/// * ρ_μ(s) = s with weight 1 for s ≤ s₋,
/// * ρ_μ(s) = 2δ√(μ(μ + 1)s) − μ(δ² + s) with weight δ√(μ(μ + 1)/s) − μ for s₋ < s < s₊,
/// * ρ_μ(s) = δ² with weight 0 for s ≥ s₊.
///
/// The middle piece equals δ² − μ(√s − √s₊)², which is how it is evaluated: the paper's form
/// subtracts two numbers of size 2μδ² to get one of size δ² and loses precision for large μ. ρ
/// is continuous at both breakpoints (s₋ at s₋, δ² at s₊) and so is the weight (1 at s₋, 0 at
/// s₊); ρ'' = −μ√s₊/(2s√s) in the band and 0 outside, so it jumps at both.
///
/// Small μ spreads the transition over a wide band (a gentle, nearly convex surrogate); as
/// μ → ∞ the band closes around δ² and ρ_μ becomes truncated least squares. The paper's
/// schedule: start at [`initial_mu`](Self::initial_mu) = δ²/(2 s_max − δ²), which puts s₊ at
/// 2 s_max so that no edge starts in the flat part, then multiply by
/// [`MU_FACTOR`](Self::MU_FACTOR) = 1.4 after each solve.
///
/// **When the weights are binary.** An edge's weight is exactly 1 (s ≤ s₋) or 0 (s ≥ s₊)
/// unless its s lies strictly inside the band (s₋, s₊), whose width s₊ − s₋ =
/// δ²(2μ + 1)/(μ(μ + 1)) ≈ 2δ²/μ shrinks as μ grows. Once no edge lies in the band
/// ([`weights_binary`](Self::weights_binary)), the weighted problem is exactly the TLS problem
/// restricted to the chosen inliers, and GNC can stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GncTruncatedLeastSquares {
    delta: f64,
    mu: f64,
}

impl GncTruncatedLeastSquares {
    /// μ is multiplied by this after each solve (the paper's 1.4).
    pub const MU_FACTOR: f64 = 1.4;

    /// Surrogate of width δ (standard deviations) at control parameter μ.
    ///
    /// # Errors
    /// [`KernelError::InvalidParameter`] unless δ is a valid width and μ is positive and finite
    /// with 1/μ finite.
    pub fn new(delta: f64, mu: f64) -> Result<Self, KernelError> {
        Ok(Self {
            delta: validate_width("delta", delta)?,
            mu: Self::validate_mu(mu)?,
        })
    }

    fn validate_mu(mu: f64) -> Result<f64, KernelError> {
        let mu = positive_finite("mu", mu)?;
        // The breakpoints use 1/μ; a subnormal μ would make it infinite.
        positive_finite("mu", 1.0 / mu).map(|_| mu)
    }

    /// The paper's starting μ = δ²/(2 s_max − δ²), where s_max is the largest eᵀΩe at the
    /// initial guess. If s_max ≤ δ²/2 the formula breaks down, but then every edge already lies
    /// below s₋ for any μ ≥ 1, so this returns 1: all weights are 1 and binary from the start.
    pub fn initial_mu(delta: f64, max_s: f64) -> f64 {
        let delta2 = delta * delta;
        let denominator = 2.0 * max_s - delta2;
        if denominator > 0.0 {
            delta2 / denominator
        } else {
            1.0
        }
    }

    /// The μ after `mu`: 1.4 μ.
    pub fn next_mu(mu: f64) -> f64 {
        mu * Self::MU_FACTOR
    }

    /// The transition band (s₋, s₊) = (μδ²/(μ + 1), (μ + 1)δ²/μ) in which weights are
    /// fractional.
    pub fn band(&self) -> (f64, f64) {
        let delta2 = self.delta * self.delta;
        // δ²/(1 + 1/μ) rather than μδ²/(μ + 1): no overflow for huge μ.
        let ratio = 1.0 + 1.0 / self.mu;
        (delta2 / ratio, delta2 * ratio)
    }

    /// Whether every edge's weight is exactly 0 or 1, i.e. no s lies strictly inside
    /// [`band`](Self::band).
    pub fn weights_binary(&self, s: &[f64]) -> bool {
        let (lower, upper) = self.band();
        s.iter().all(|&s| s <= lower || s >= upper)
    }

    /// The width δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The control parameter μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// Moves to control parameter μ.
    ///
    /// # Errors
    /// As [`new`](Self::new); on error the kernel is unchanged.
    pub fn set_mu(&mut self, mu: f64) -> Result<(), KernelError> {
        self.mu = Self::validate_mu(mu)?;
        Ok(())
    }

    /// This surrogate at control parameter μ.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_mu(mut self, mu: f64) -> Result<Self, KernelError> {
        self.set_mu(mu)?;
        Ok(self)
    }
}

impl RobustKernel for GncTruncatedLeastSquares {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        let (lower, upper) = self.band();
        if s <= lower {
            return quadratic(s);
        }
        if s >= upper {
            return saturated(self.delta * self.delta);
        }
        let (mu, root, upper_root) = (self.mu, s.sqrt(), upper.sqrt());
        // √s₊ − √s via its conjugate, so that it stays accurate right next to s₊.
        let gap = (upper - s) / (root + upper_root);
        KernelValue::new(
            self.delta * self.delta - mu * gap * gap,
            mu * gap / root,
            -0.5 * mu * upper_root / (s * root),
        )
    }

    fn name(&self) -> &str {
        "gnc-tls"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{GemanMcClure, TruncatedLeastSquares};
    use approx::assert_relative_eq;

    #[test]
    fn gnc_gm_at_mu_one_is_geman_mcclure() {
        for delta in [0.1, 1.0, 3.0, 10.0] {
            let gnc = GncGemanMcClure::new(delta, 1.0).unwrap();
            let gm = GemanMcClure::new(delta).unwrap();
            for s in [0.0, 1e-6, 0.5, 1.0, 9.0, 1e4, f64::INFINITY] {
                assert_eq!(gnc.evaluate(s), gm.evaluate(s));
            }
        }
    }

    #[test]
    fn gnc_gm_weight_matches_paper() {
        // w = (μc̄²/(r² + μc̄²))² with μ = 5, c̄ = 2, r² = 30: (20/50)².
        let k = GncGemanMcClure::new(2.0, 5.0).unwrap();
        assert_relative_eq!(k.evaluate(30.0).d1, 0.16);
        assert_relative_eq!(k.evaluate(30.0).rho, 20.0 * 30.0 / 50.0);
    }

    #[test]
    fn gnc_gm_schedule() {
        assert_eq!(GncGemanMcClure::initial_mu(2.0, 100.0), 50.0);
        assert_eq!(GncGemanMcClure::initial_mu(2.0, 0.1), 1.0);
        assert_relative_eq!(GncGemanMcClure::next_mu(14.0), 10.0);
        assert_eq!(GncGemanMcClure::next_mu(1.2), 1.0);
        let mut k = GncGemanMcClure::new(1.0, 3.0).unwrap();
        assert!(!k.is_final());
        k.set_mu(1.0).unwrap();
        assert!(k.is_final());
        assert!(k.set_mu(f64::NAN).is_err());
        assert!(k.with_mu(0.0).is_err());
        assert_eq!(k.mu(), 1.0);
    }

    #[test]
    fn gnc_tls_matches_paper_form_in_band() {
        let (delta, mu) = (2.0_f64, 3.0_f64);
        let k = GncTruncatedLeastSquares::new(delta, mu).unwrap();
        let (lower, upper) = k.band();
        assert_relative_eq!(lower, 3.0);
        assert_relative_eq!(upper, 16.0 / 3.0);
        for s in [3.5, 4.0, 5.0] {
            let v = k.evaluate(s);
            let paper = 2.0 * delta * (mu * (mu + 1.0) * s).sqrt() - mu * (delta * delta + s);
            let weight = delta * (mu * (mu + 1.0) / s).sqrt() - mu;
            assert_relative_eq!(v.rho, paper, max_relative = 1e-13);
            assert_relative_eq!(v.d1, weight, max_relative = 1e-13);
        }
    }

    #[test]
    fn gnc_tls_continuous_at_both_breakpoints() {
        for (delta, mu) in [(1.0, 0.05), (2.0, 1.0), (0.3, 7.0), (10.0, 1e4)] {
            let k = GncTruncatedLeastSquares::new(delta, mu).unwrap();
            let (lower, upper) = k.band();
            for kink in [lower, upper] {
                let below = k.evaluate(kink * (1.0 - 1e-13));
                let above = k.evaluate(kink * (1.0 + 1e-13));
                let scale = delta * delta;
                assert!(
                    (below.rho - above.rho).abs() <= 1e-11 * scale,
                    "{k:?} at {kink}"
                );
                assert!((below.d1 - above.d1).abs() <= 1e-8 * mu.max(1.0), "{k:?}");
            }
            assert_relative_eq!(k.evaluate(lower).rho, lower);
            assert_relative_eq!(k.evaluate(upper).rho, delta * delta);
        }
    }

    #[test]
    fn gnc_tls_tends_to_tls() {
        let delta = 1.5;
        let tls = TruncatedLeastSquares::new(delta).unwrap();
        for mu in [1e6, 1e10, 1e14] {
            let k = GncTruncatedLeastSquares::new(delta, mu).unwrap();
            for s in [0.0, 0.1, 2.2, 2.26, 3.0, 1e5] {
                let (a, b) = (k.evaluate(s), tls.evaluate(s));
                assert_relative_eq!(a.rho, b.rho, max_relative = 1e-12);
                assert_eq!((a.d1, a.d2), (b.d1, b.d2), "μ = {mu}, s = {s}");
            }
            // In the band, ρ_μ lies between the two TLS branches and the weight in [0, 1].
            let v = k.evaluate(2.25 * (1.0 + 0.5 / mu));
            assert!(v.rho <= 2.25 && v.rho >= 2.25 * (1.0 - 1.0 / mu));
            assert!((0.0..=1.0).contains(&v.d1));
        }
    }

    #[test]
    fn gnc_tls_schedule_and_binary_weights() {
        // s_max = 50.5, δ = 1: μ₀ = 1/100 and s₊ = 101 = 2 s_max.
        let mu0 = GncTruncatedLeastSquares::initial_mu(1.0, 50.5);
        assert_relative_eq!(mu0, 0.01);
        let k = GncTruncatedLeastSquares::new(1.0, mu0).unwrap();
        assert_relative_eq!(k.band().1, 101.0);
        assert_eq!(GncTruncatedLeastSquares::initial_mu(1.0, 0.3), 1.0);
        assert_relative_eq!(GncTruncatedLeastSquares::next_mu(10.0), 14.0);
        let s = [0.2, 0.95, 30.0];
        assert!(!k.weights_binary(&s));
        let late = k.with_mu(100.0).unwrap();
        assert!(late.weights_binary(&s));
        assert!(k.with_mu(f64::INFINITY).is_err());
        assert!(k.with_mu(1e-320).is_err());
    }
}
