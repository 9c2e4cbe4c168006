//! Kernels by name, for command lines and configuration files.

use std::sync::Arc;

use super::{
    Cauchy, Dcs, GemanMcClure, Huber, KernelError, PseudoHuber, RobustKernel,
    TruncatedLeastSquares, Tukey, Welsch, L1, L2,
};

/// Every name [`kernel_by_name`] accepts; each equals the [`RobustKernel::name`] of the kernel
/// it builds.
pub const KERNEL_NAMES: &[&str] = &[
    "l2",
    "huber",
    "cauchy",
    "l1",
    "pseudo-huber",
    "geman-mcclure",
    "welsch",
    "tukey",
    "dcs",
    "tls",
];

/// Builds the kernel called `name` (ASCII case ignored) with width `width` in standard
/// deviations.
///
/// `width` is δ for every kernel with a width. For `dcs` it sets Φ = width² (see
/// [`Dcs::from_width`]). `l2` has no parameter and `l1` always uses
/// [`L1::DEFAULT_EPSILON`]: its ε is a numerical smoothing far below the noise, not a width
/// (an L1 with ε = δ would just be a rescaled `pseudo-huber`), so `width` is ignored, and not
/// validated, for these two. The GNC surrogates are not listed: they need a μ schedule, not
/// just a width.
///
/// ```
/// use rhopt::kernel::{kernel_by_name, KernelError};
/// let tukey = kernel_by_name("tukey", 4.685)?;
/// assert_eq!(tukey.evaluate(100.0).d1, 0.0);
/// assert!(matches!(kernel_by_name("fair", 1.0), Err(KernelError::UnknownKernel(_))));
/// assert!(kernel_by_name("huber", -1.0).is_err());
/// # Ok::<(), KernelError>(())
/// ```
///
/// # Errors
/// [`KernelError::UnknownKernel`] for a name not in [`KERNEL_NAMES`];
/// [`KernelError::InvalidParameter`] for a width the kernel rejects.
pub fn kernel_by_name(name: &str, width: f64) -> Result<Arc<dyn RobustKernel>, KernelError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "l2" => Arc::new(L2),
        "huber" => Arc::new(Huber::new(width)?),
        "cauchy" => Arc::new(Cauchy::new(width)?),
        "l1" => Arc::new(L1::default()),
        "pseudo-huber" => Arc::new(PseudoHuber::new(width)?),
        "geman-mcclure" => Arc::new(GemanMcClure::new(width)?),
        "welsch" => Arc::new(Welsch::new(width)?),
        "tukey" => Arc::new(Tukey::new(width)?),
        "dcs" => Arc::new(Dcs::from_width(width)?),
        "tls" => Arc::new(TruncatedLeastSquares::new(width)?),
        _ => return Err(KernelError::UnknownKernel(name.to_owned())),
    })
}
