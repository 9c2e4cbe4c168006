//! A self-check for kernels, public so that you can run it on kernels of your own.
//!
//! A kernel whose ρ'' is off by a factor does not crash anything: the solver just converges
//! slowly or to the wrong point. [`check_kernel`] catches that by comparing every derivative
//! with finite differences of the function it claims to differentiate.

use super::{KernelValue, RobustKernel};

/// Finite-difference step, relative to the local length scale (see [`check_kernel`]).
const STEP: f64 = 1e-5;
/// Allowed relative disagreement between a derivative and its finite-difference estimate;
/// second-order stencils with [`STEP`] are good to about 1e-9 on smooth kernels, and real bugs
/// are off by far more.
const TOLERANCE: f64 = 1e-5;
/// Rounding allowance, in units in the last place of the values a difference combines.
const ROUNDING_ULPS: f64 = 16.0;

/// A finite-difference formula Σ wᵢ f(s + oᵢh) / (2h), second-order accurate.
struct Stencil {
    name: &'static str,
    offsets: &'static [f64],
    weights: &'static [f64],
}

/// Central, forward and backward differences. Within a step of a kink the central difference
/// straddles it, but one of the one-sided ones lies entirely on one smooth side.
const STENCILS: [Stencil; 3] = [
    Stencil {
        name: "central",
        offsets: &[-1.0, 1.0],
        weights: &[-1.0, 1.0],
    },
    Stencil {
        name: "forward",
        offsets: &[0.0, 1.0, 2.0],
        weights: &[-3.0, 4.0, -1.0],
    },
    Stencil {
        name: "backward",
        offsets: &[0.0, -1.0, -2.0],
        weights: &[3.0, -4.0, 1.0],
    },
];

/// Checks a kernel's value and derivatives at each of `samples` (finite, ≥ 0, any order).
///
/// It verifies, returning a message naming the kernel, the s and the failed check:
///
/// * **origin**: |ρ(0)| ≤ 1e-12, and ρ'(0) equals [`RobustKernel::weight_at_zero`] to a
///   relative 1e-12 (skipped if that is `None`);
/// * **finiteness**: ρ, ρ' and ρ'' are finite at every sample, and none is NaN at s = +∞;
/// * **monotonicity**: ρ' ≥ 0 at every sample, and ρ does not decrease from one sample to the
///   next larger one (beyond rounding);
/// * **derivatives**: ρ' agrees with a finite difference of ρ, and ρ'' with one of ρ', to a
///   relative 1e-5 plus the rounding error of the difference itself (so a derivative that is
///   tiny next to the function, like Welsch's ρ' far out, is only checked as far as double
///   precision can tell).
///
/// **Step.** h = 1e-5 · L, with L = ρ'/|ρ''| wherever ρ' > 0 and ρ'' ≠ 0: the distance over
/// which the weight changes appreciably (δ² for Cauchy at 0, 2ε² for L1 at 0, about s far out,
/// and about the distance to the kink where a weight falls to zero, as for Tukey), so the step
/// follows the kernel's own scale, even at s = 0 and inside a narrow transition band. Where ρ''
/// is 0, ρ' is locally constant and any small step is exact: L = s, or at s = 0 a millionth of
/// the smallest positive sample (at most 1e-6), which keeps the step clear of every kink at a
/// sampled scale.
///
/// **Kinks.** No list of kinks is needed. A derivative passes if it agrees with any of the
/// central, forward and backward differences (the last two second-order one-sided formulas
/// over [s, s + 2h] and [s − 2h, s]; none reaches below s = 0). Away from kinks all three agree;
/// within a step of a kink (s = δ² for Huber, Tukey, truncated least squares and DCS, the two
/// breakpoints of GNC-TLS) the central difference straddles it, but the one-sided difference
/// from the smooth side still checks the derivative of that side's branch. A derivative that
/// is wrong matches none of them.
///
/// # Errors
/// A description of the first failed check, or of a sample that is negative or not finite.
pub fn check_kernel(kernel: &dyn RobustKernel, samples: &[f64]) -> Result<(), String> {
    let name = kernel.name();
    if let Some(bad) = samples.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(format!("{name}: sample s = {bad} is not finite and ≥ 0"));
    }
    check_origin(kernel)?;
    check_infinity(kernel)?;
    let fallback = 1e-6
        * samples
            .iter()
            .copied()
            .filter(|&s| s > 0.0)
            .fold(1.0, f64::min);
    for &s in samples {
        check_point(kernel, s, fallback).map_err(|e| format!("{name}: at s = {s:e}: {e}"))?;
    }
    check_monotone(kernel, samples)
}

/// Sample points spanning below, around and above a kernel of width δ: 0, 1e-8, 0.01δ², 0.5δ²,
/// 0.99δ², 1.01δ², 2δ², 10δ², 1e3δ² and 1e8.
pub fn samples_around(width: f64) -> Vec<f64> {
    let delta2 = width * width;
    let mut samples = vec![0.0, 1e-8, 1e8];
    samples.extend([0.01, 0.5, 0.99, 1.01, 2.0, 10.0, 1e3].map(|f| f * delta2));
    samples
}

fn check_origin(kernel: &dyn RobustKernel) -> Result<(), String> {
    let name = kernel.name();
    let v = kernel.evaluate(0.0);
    if v.rho.abs() > 1e-12 {
        return Err(format!("{name}: ρ(0) = {:e}, expected 0", v.rho));
    }
    if let Some(weight) = kernel.weight_at_zero() {
        if (v.d1 - weight).abs() > 1e-12 * weight.abs().max(1.0) {
            return Err(format!(
                "{name}: ρ'(0) = {:e}, but the kernel declares {weight:e} (weight_at_zero)",
                v.d1
            ));
        }
    }
    Ok(())
}

fn check_infinity(kernel: &dyn RobustKernel) -> Result<(), String> {
    let v = kernel.evaluate(f64::INFINITY);
    if v.rho.is_nan() || v.d1.is_nan() || v.d2.is_nan() {
        return Err(format!("{}: NaN at s = +∞: {v:?}", kernel.name()));
    }
    Ok(())
}

fn check_point(kernel: &dyn RobustKernel, s: f64, fallback: f64) -> Result<(), String> {
    let v = kernel.evaluate(s);
    if !(v.rho.is_finite() && v.d1.is_finite() && v.d2.is_finite()) {
        return Err(format!("not finite: {v:?}"));
    }
    if v.d1 < 0.0 {
        return Err(format!("ρ' = {:e} < 0: ρ must be non-decreasing", v.d1));
    }
    let h = step(v, s, fallback);
    check_derivative("ρ'", v.d1, |t| kernel.evaluate(t).rho, s, h)?;
    check_derivative("ρ''", v.d2, |t| kernel.evaluate(t).d1, s, h)
}

/// The finite-difference step at s (see [`check_kernel`]), rounded so that s + h is exact.
fn step(v: KernelValue, s: f64, fallback: f64) -> f64 {
    let local = (v.d1 / v.d2).abs();
    let scale = if v.d1 > 0.0 && v.d2 != 0.0 && local > 0.0 && local.is_finite() {
        local
    } else if s > 0.0 {
        s
    } else {
        fallback
    };
    let h = STEP * scale;
    (s + h) - s
}

/// Passes if `analytic` matches any available stencil's estimate of f' at s.
fn check_derivative(
    what: &str,
    analytic: f64,
    f: impl Fn(f64) -> f64,
    s: f64,
    h: f64,
) -> Result<(), String> {
    let mut estimates = Vec::with_capacity(STENCILS.len());
    for stencil in &STENCILS {
        let lowest = stencil.offsets.iter().fold(0.0_f64, |m, &o| m.min(o));
        if s + lowest * h < 0.0 {
            continue;
        }
        let (mut sum, mut magnitude) = (0.0, 0.0);
        for (&offset, &weight) in stencil.offsets.iter().zip(stencil.weights) {
            let term = weight * f(s + offset * h);
            sum += term;
            // Below the normal range the rounding error stops shrinking with the value: a
            // subnormal is only good to ε · MIN_POSITIVE (one subnormal spacing), absolutely.
            magnitude += term.abs().max(weight.abs() * f64::MIN_POSITIVE);
        }
        let estimate = sum / (2.0 * h);
        let rounding = ROUNDING_ULPS * f64::EPSILON * magnitude / (2.0 * h);
        let allowed = TOLERANCE * analytic.abs().max(estimate.abs()) + rounding;
        if (analytic - estimate).abs() <= allowed {
            return Ok(());
        }
        estimates.push(format!("{} {estimate:e}", stencil.name));
    }
    Err(format!(
        "{what} = {analytic:e} disagrees with every finite difference (h = {h:e}: {})",
        estimates.join(", ")
    ))
}

fn check_monotone(kernel: &dyn RobustKernel, samples: &[f64]) -> Result<(), String> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    for pair in sorted.windows(2) {
        let (a, b) = (kernel.evaluate(pair[0]).rho, kernel.evaluate(pair[1]).rho);
        if b < a - 4.0 * f64::EPSILON * a.abs() {
            return Err(format!(
                "{}: ρ decreases from {a:e} at s = {:e} to {b:e} at s = {:e}",
                kernel.name(),
                pair[0],
                pair[1]
            ));
        }
    }
    Ok(())
}
