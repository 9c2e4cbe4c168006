//! Shared machinery of the losses: input checks, the elementwise driver and stable primitives.

use super::{Curvature, LossError, Targets, Terms};

/// The value targets, or an error naming the loss.
pub(crate) fn values<'a>(loss: &'static str, targets: Targets<'a>) -> Result<&'a [f64], LossError> {
    match targets {
        Targets::Values(t) => Ok(t),
        Targets::Classes(_) => Err(LossError::WrongTargetKind {
            loss,
            expected: "values",
        }),
    }
}

/// The class targets, or an error naming the loss.
pub(crate) fn classes<'a>(
    loss: &'static str,
    targets: Targets<'a>,
) -> Result<&'a [i64], LossError> {
    match targets {
        Targets::Classes(t) => Ok(t),
        Targets::Values(_) => Err(LossError::WrongTargetKind {
            loss,
            expected: "classes",
        }),
    }
}

/// Checks that `len` targets form whole samples of `group`.
pub(crate) fn whole_samples(len: usize, group: usize) -> Result<usize, LossError> {
    if len.is_multiple_of(group) {
        Ok(len / group)
    } else {
        Err(LossError::TargetCount {
            found: len,
            multiple_of: group,
        })
    }
}

/// [`Loss::expected_outputs`](super::Loss::expected_outputs) of a loss on value targets whose
/// samples have `sample_len` outputs (1 for elementwise losses): one output per target, and a
/// whole number of samples.
pub(crate) fn value_outputs(
    loss: &'static str,
    targets: Targets<'_>,
    sample_len: usize,
) -> Result<usize, LossError> {
    let t = values(loss, targets)?;
    whole_samples(t.len(), sample_len)?;
    Ok(t.len())
}

/// Checks the number of outputs.
pub(crate) fn output_count(outputs: &[f64], expected: usize) -> Result<(), LossError> {
    if outputs.len() == expected {
        Ok(())
    } else {
        Err(LossError::OutputCount {
            expected,
            found: outputs.len(),
        })
    }
}

/// Checks that every target is finite and in [0, 1] (probability-like targets). The curvatures
/// of the binary losses are PSD only for such targets, so we refuse others where PyTorch would
/// silently compute something.
pub(crate) fn unit_interval_targets(t: &[f64]) -> Result<(), LossError> {
    match t.iter().position(|x| !(0.0..=1.0).contains(x)) {
        None => Ok(()),
        Some(index) => Err(LossError::InvalidTarget {
            index,
            requirement: "in [0, 1]",
        }),
    }
}

/// Checks that every output is finite and in [0, 1] (losses on probabilities).
pub(crate) fn unit_interval_outputs(z: &[f64]) -> Result<(), LossError> {
    match z.iter().position(|x| !(0.0..=1.0).contains(x)) {
        None => Ok(()),
        Some(index) => Err(LossError::InvalidOutput {
            index,
            requirement: "a probability in [0, 1]",
        }),
    }
}

/// Value, derivative and curvature of one elementwise term ℓ(zᵢ, tᵢ).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pointwise {
    pub value: f64,
    pub gradient: f64,
    pub curvature: f64,
}

/// The driver of every loss whose curvature is diagonal: applies `term(i, zᵢ, tᵢ)` to each
/// output and sums the values over groups of `group` consecutive outputs (1 for PyTorch's
/// elementwise losses, the number of labels for the multi-label focal loss), each group being
/// one term of the reduction.
pub(crate) fn elementwise(
    outputs: &[f64],
    targets: &[f64],
    group: usize,
    term: impl Fn(usize, f64, f64) -> Pointwise,
) -> Result<Terms, LossError> {
    let samples = whole_samples(targets.len(), group)?;
    output_count(outputs, targets.len())?;
    let mut values = vec![0.0; samples];
    let mut gradient = Vec::with_capacity(outputs.len());
    let mut curvature = Vec::with_capacity(outputs.len());
    for (i, (&z, &t)) in outputs.iter().zip(targets).enumerate() {
        let p = term(i, z, t);
        values[i / group] += p.value;
        gradient.push(p.gradient);
        curvature.push(p.curvature);
    }
    Ok(Terms {
        values,
        mean_denominator: samples as f64,
        gradient,
        curvature: Curvature::Diagonal(curvature),
    })
}

/// σ(z) = 1/(1 + e^{−z}) without overflow: e^{−|z|} ≤ 1 is the only exponential taken.
pub(crate) fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// softplus(z) = log(1 + eᶻ) = max(z, 0) + log(1 + e^{−|z|}), finite for every finite z.
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// log-softmax of one row, shifted by its maximum so no exponential overflows (logits ±1e4).
pub(crate) fn log_softmax(row: &[f64]) -> Vec<f64> {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = m + row.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
    row.iter().map(|x| x - log_sum).collect()
}

/// Checks that a loss parameter is finite and satisfies `ok`.
pub(crate) fn parameter(
    name: &'static str,
    value: f64,
    requirement: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, LossError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(LossError::InvalidParameter { name, requirement })
    }
}
