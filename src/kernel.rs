//! Robust kernels ρ(s) on the Mahalanobis cost s = eᵀΩe.
//!
//! Least squares weighs every residual by its square, so one false loop closure with a residual of
//! 30σ pulls as hard as 900 good edges. A robust kernel replaces s by ρ(s), which grows more slowly
//! for large s; the solver lets it into the Gauss-Newton step through its derivatives
//! (see [`crate::solver`]). Every kernel here follows one convention:
//!
//! * the argument is the squared whitened residual s = eᵀΩe ≥ 0 (g2o's χ² of one edge);
//! * the width δ is in units of the whitened residual √s, so δ = 1 means "one standard deviation";
//! * ρ(0) = 0 and ρ'(0) = 1, so a kernel agrees with least squares for small residuals.

/// Value and first two derivatives of a kernel at one s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelValue {
    /// ρ(s)
    pub rho: f64,
    /// ρ'(s), the IRLS weight.
    pub d1: f64,
    /// ρ''(s)
    pub d2: f64,
}

/// A robust kernel ρ(s) of the squared whitened residual s = eᵀΩe.
///
/// Implement this to add a kernel of your own; it plugs into every solver.
///
/// ```
/// use rhopt::kernel::{KernelValue, RobustKernel};
/// /// ρ(s) = s: plain least squares.
/// #[derive(Debug)]
/// struct Plain;
/// impl RobustKernel for Plain {
///     fn evaluate(&self, _s: f64) -> KernelValue { KernelValue { rho: _s, d1: 1.0, d2: 0.0 } }
///     fn name(&self) -> &str { "plain" }
/// }
/// assert_eq!(Plain.evaluate(4.0).rho, 4.0);
/// ```
pub trait RobustKernel: Send + Sync + std::fmt::Debug {
    /// (ρ(s), ρ'(s), ρ''(s)) for s ≥ 0.
    fn evaluate(&self, s: f64) -> KernelValue;
    /// Short name used in summaries.
    fn name(&self) -> &str;
}

/// Least squares: ρ(s) = s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct L2;

impl RobustKernel for L2 {
    #[inline]
    fn evaluate(&self, s: f64) -> KernelValue {
        KernelValue {
            rho: s,
            d1: 1.0,
            d2: 0.0,
        }
    }
    fn name(&self) -> &str {
        "l2"
    }
}
