//! Robust kernels ρ(s): how much an edge with squared whitened residual s may cost.
//!
//! # Why robust kernels exist
//!
//! Least squares assumes Gaussian noise, and a Gaussian has almost no tails: it prices a
//! residual by its square, so one false loop closure that is 30σ off pulls on the estimate as
//! hard as 900 edges that are 1σ off. Pose graphs from real front ends contain such outliers
//! (perceptual aliasing, wrong data association), and a single one can fold a map.
//!
//! A robust kernel (loss function, M-estimator) replaces each edge's cost s by ρ(s). Near zero
//! ρ(s) ≈ s, so good edges are treated exactly as by least squares; for large s, ρ grows more
//! slowly than s (or not at all), so an outlier's pull is bounded or vanishes. The solver never
//! needs ρ itself beyond reporting the cost: it needs the derivatives. Linearising ρ(eᵀΩe) gives
//!
//! * gradient ρ'·JᵀΩe, so ρ'(s) is the weight that iteratively reweighted least squares (IRLS)
//!   gives the edge: W = ρ'Ω;
//! * Hessian Jᵀ(ρ'Ω + 2ρ''Ωeeᵀ Ω)J in the full second-order (Triggs) correction, which is why
//!   ρ'' must be exact as well, not just "something negative".
//!
//! Convex kernels ([`Huber`], [`L1`], [`PseudoHuber`]) keep the problem as easy as least squares
//! but still let an outlier pull with a bounded force. Redescending kernels ([`Cauchy`],
//! [`GemanMcClure`], [`Welsch`], [`Tukey`], [`Dcs`], [`TruncatedLeastSquares`]) let the pull fade
//! to zero, which removes outliers completely but makes the cost non-convex, so they need a good
//! initial guess or graduated non-convexity ([`GncGemanMcClure`], [`GncTruncatedLeastSquares`]).
//!
//! # Conventions
//!
//! * The argument is the squared whitened residual s = eᵀΩe ≥ 0 (g2o's χ² of one edge).
//! * The width δ is in units of the whitened residual √s, i.e. in standard deviations: δ = 2
//!   means "residuals beyond 2σ are suspicious", and the kernel changes behaviour at s = δ².
//!   [`width_from_chi2_quantile`] turns "reject at the 95 % level for a 3-dof edge" into a δ.
//!   The exception is [`Dcs`], whose Φ is in units of s as in the paper; see [`Dcs::from_width`].
//! * ρ(0) = 0 and ρ'(0) = 1, so every kernel agrees with least squares for small residuals and
//!   kernels can be swapped without rescaling anything. [`L1`] is the one exception
//!   (ρ'(0) = 1/ε); [`RobustKernel::weight_at_zero`] declares it.
//! * [`RobustKernel::evaluate`] is finite for every finite s ≥ 0, never divides by zero at s = 0,
//!   and returns the limit (never NaN) at s = +∞.
//!
//! # The kernels
//!
//! With x = s/δ²; where a row has two or three formulas they hold on s ≤ δ² and beyond (or on
//! the three ranges named in the row).
//!
//! | kernel | ρ(s) | ρ'(s), the IRLS weight | ρ''(s) |
//! |---|---|---|---|
//! | [`L2`] | s | 1 | 0 |
//! | [`Huber`] | s ; 2δ√s − δ² | 1 ; δ/√s | 0 ; −δ/(2s√s) |
//! | [`L1`] (smoothed by ε) | 2(√(s+ε²) − ε) | 1/√(s+ε²) | −1/(2(s+ε²)^{3/2}) |
//! | [`PseudoHuber`] (soft-L1) | 2δ²(√(1+x) − 1) | 1/√(1+x) | −1/(2δ²(1+x)^{3/2}) |
//! | [`Cauchy`] | δ² ln(1+x) | 1/(1+x) | −1/(δ²(1+x)²) |
//! | [`GemanMcClure`] | δ²s/(δ²+s) | 1/(1+x)² | −2/(δ²(1+x)³) |
//! | [`Welsch`] | δ²(1 − e^{−x}) | e^{−x} | −e^{−x}/δ² |
//! | [`Tukey`] | (δ²/3)(1 − (1−x)³) ; δ²/3 | (1−x)² ; 0 | −2(1−x)/δ² ; 0 |
//! | [`Dcs`] (Φ in units of s, kink at s = Φ) | s ; 3Φ − 4Φ²/(Φ+s) | 1 ; 4Φ²/(Φ+s)² | 0 ; −8Φ²/(Φ+s)³ |
//! | [`TruncatedLeastSquares`] | s ; δ² | 1 ; 0 | 0 ; 0 |
//! | [`GncGemanMcClure`] (μ ≥ 1) | μδ²s/(μδ²+s) | (μδ²/(μδ²+s))² | −2(μδ²)²/(μδ²+s)³ |
//! | [`GncTruncatedLeastSquares`] on s ≤ s₋ ; s₋ < s < s₊ ; s ≥ s₊ | s ; δ² − μ(√s − √s₊)² ; δ² | 1 ; μ(√(s₊/s) − 1) ; 0 | 0 ; −μ√s₊/(2s√s) ; 0 |
//!
//! where s₋ = μδ²/(μ+1) and s₊ = (μ+1)δ²/μ for the GNC-TLS surrogate. Every one of these
//! kernels is concave in s (ρ'' ≤ 0), so the IRLS weight never grows with the residual.
//!
//! # Example
//!
//! ```
//! use rhopt::kernel::{kernel_by_name, width_from_chi2_quantile, Huber, RobustKernel};
//!
//! // An edge whose whitened residual is 2σ: Huber with δ = 1 down-weights it to 1/2.
//! let huber = Huber::new(1.0)?;
//! let v = huber.evaluate(4.0);
//! assert_eq!((v.rho, v.d1), (3.0, 0.5));
//!
//! // Width from a χ² test: for 3-dof edges, 95 % of inliers have s = eᵀΩe below δ².
//! let delta = width_from_chi2_quantile(0.95, 3);
//! assert!((delta - 2.7955).abs() < 1e-4);
//! let cauchy = kernel_by_name("cauchy", delta)?;
//! assert_eq!(cauchy.name(), "cauchy");
//! assert!(cauchy.evaluate(100.0).d1 < 0.1);
//! # Ok::<(), rhopt::kernel::KernelError>(())
//! ```
//!
//! To write a kernel of your own, implement [`RobustKernel`] and run
//! [`testing::check_kernel`] on it: it checks the derivatives against finite differences.

mod chi2;
mod convex;
mod factory;
mod gnc;
mod redescending;
pub mod testing;

#[cfg(test)]
mod tests;

pub use chi2::{chi2_quantile, width_from_chi2_quantile};
pub use convex::{Huber, PseudoHuber, L1, L2};
pub use factory::{kernel_by_name, KERNEL_NAMES};
pub use gnc::{GncGemanMcClure, GncTruncatedLeastSquares};
pub use redescending::{Cauchy, Dcs, GemanMcClure, TruncatedLeastSquares, Tukey, Welsch};

/// Value and first two derivatives of a kernel at one s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelValue {
    /// ρ(s), the robustified cost of the edge.
    pub rho: f64,
    /// ρ'(s), the IRLS weight of the edge.
    pub d1: f64,
    /// ρ''(s), used by the second-order correction 2ρ''Ωeeᵀ Ω.
    pub d2: f64,
}

impl KernelValue {
    /// Bundles ρ, ρ' and ρ''.
    #[inline]
    pub const fn new(rho: f64, d1: f64, d2: f64) -> Self {
        Self { rho, d1, d2 }
    }
}

/// A robust kernel ρ(s) of the squared whitened residual s = eᵀΩe.
///
/// Implement this to add a kernel of your own; it plugs into every solver. Check it with
/// [`testing::check_kernel`]:
///
/// ```
/// use rhopt::kernel::{testing::check_kernel, KernelValue, RobustKernel};
///
/// /// ρ(s) = ln(1 + s): Cauchy with δ = 1, written out by hand.
/// #[derive(Debug)]
/// struct MyCauchy;
/// impl RobustKernel for MyCauchy {
///     fn evaluate(&self, s: f64) -> KernelValue {
///         let w = 1.0 / (1.0 + s);
///         KernelValue::new(s.ln_1p(), w, -w * w)
///     }
///     fn name(&self) -> &str {
///         "my-cauchy"
///     }
/// }
/// check_kernel(&MyCauchy, &[0.0, 0.5, 1.0, 10.0, 1e6]).unwrap();
/// ```
pub trait RobustKernel: Send + Sync + std::fmt::Debug {
    /// (ρ(s), ρ'(s), ρ''(s)) for s ≥ 0.
    fn evaluate(&self, s: f64) -> KernelValue;

    /// Short name used in summaries ("huber", "cauchy", ...).
    fn name(&self) -> &str;

    /// The weight ρ'(0) that this kernel promises, or `None` to promise nothing.
    ///
    /// The convention is ρ'(0) = 1, so that small residuals are weighed as by least squares;
    /// a kernel that deliberately differs (such as [`L1`], with ρ'(0) = 1/ε) overrides this so
    /// that [`testing::check_kernel`] tests the value it actually intends.
    fn weight_at_zero(&self) -> Option<f64> {
        Some(1.0)
    }
}

/// Error from building a kernel.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KernelError {
    /// A width or control parameter was zero, negative, not finite, or so extreme that a
    /// quantity derived from it (such as δ²) overflows or underflows.
    InvalidParameter {
        /// Which parameter ("delta", "epsilon", "phi", "mu", ...).
        parameter: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// [`kernel_by_name`] was given a name that is not in [`KERNEL_NAMES`].
    UnknownKernel(String),
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidParameter { parameter, value } => write!(
                f,
                "invalid kernel parameter {parameter} = {value}: it must be positive and \
                 finite, and not so extreme that a quantity derived from it (such as δ²) \
                 overflows or underflows"
            ),
            Self::UnknownKernel(name) => write!(
                f,
                "unknown kernel {name:?}; expected one of {}",
                KERNEL_NAMES.join(", ")
            ),
        }
    }
}

impl std::error::Error for KernelError {}

/// Accepts a positive, finite parameter.
fn positive_finite(parameter: &'static str, value: f64) -> Result<f64, KernelError> {
    if value > 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(KernelError::InvalidParameter { parameter, value })
    }
}

/// Accepts a width (δ or ε): positive and finite, and with a square that is a normal number,
/// since every kernel divides by δ² and a subnormal or infinite δ² would turn that into inf/NaN.
fn validate_width(parameter: &'static str, value: f64) -> Result<f64, KernelError> {
    let value = positive_finite(parameter, value)?;
    if (value * value).is_normal() {
        Ok(value)
    } else {
        Err(KernelError::InvalidParameter { parameter, value })
    }
}

/// Least squares ρ(s) = s: the inlier branch of every kernel with a hard switch.
#[inline]
const fn quadratic(s: f64) -> KernelValue {
    KernelValue::new(s, 1.0, 0.0)
}

/// A constant cost: the outlier branch of the truncated kernels.
#[inline]
const fn saturated(cost: f64) -> KernelValue {
    KernelValue::new(cost, 0.0, 0.0)
}
