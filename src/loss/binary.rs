//! Binary cross-entropy on probabilities and on logits.

use super::support::{
    elementwise, output_count, sigmoid, softplus, unit_interval_outputs, unit_interval_targets,
    value_outputs, values, Pointwise,
};
use super::{Loss, LossError, Reduction, Targets, Terms};

/// PyTorch clamps each log in `BCELoss` at −100, so p = 0 or 1 gives a finite value.
pub const BCE_LOG_CLAMP: f64 = -100.0;

/// PyTorch's `binary_cross_entropy_backward` divides by max(p(1 − p), EPSILON) with
/// EPSILON = 1e-12 stored as an `f32` (≈ 9.99999996 · 10⁻¹³) even for `f64` tensors; we use the
/// same number so gradients at p ∈ {0, 1} agree with PyTorch to the last digit.
pub const BCE_GRADIENT_EPSILON: f64 = 1e-12_f32 as f64;

/// Binary cross-entropy on probabilities (PyTorch `BCELoss`):
/// ℓᵢ = −[t·max(ln p, −100) + (1 − t)·max(ln(1 − p), −100)], p = zᵢ ∈ [0, 1], t ∈ [0, 1].
///
/// **Gradient** (p − t)/max(p(1 − p), 10⁻¹²), PyTorch's backward formula. It is the exact
/// derivative of the value wherever p(1 − p) ≥ 10⁻¹²; closer to 0 or 1 (including p ∈ {0, 1},
/// where the log is clamped and the true derivative is 0 or huge) it stays finite and still
/// points from p towards t, as PyTorch's does.
///
/// **Curvature (Fisher).** The loss is convex in p, but its Hessian t/p² + (1 − t)/(1 − p)² is
/// unbounded near 0 and 1 even when p agrees with t. We use its expectation under
/// t ~ Bernoulli(p), the Fisher information 1/max(p(1 − p), 10⁻¹²): PSD, bounded by 10¹², with
/// the same floor as the gradient, and a Newton step with it moves p straight to t.
#[derive(Clone, Debug, PartialEq)]
pub struct BceLoss {
    reduction: Reduction,
}

impl BceLoss {
    /// A BCE loss on probabilities with the given reduction.
    pub fn new(reduction: Reduction) -> Self {
        Self { reduction }
    }
}

impl Loss for BceLoss {
    fn name(&self) -> &'static str {
        "bce"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        output_count(outputs, t.len())?;
        unit_interval_outputs(outputs)?;
        unit_interval_targets(t)?;
        elementwise(outputs, t, 1, |_, p, t| {
            // Clamp before multiplying, so 0·ln 0 never produces NaN.
            let log_p = p.ln().max(BCE_LOG_CLAMP);
            let log_q = (1.0 - p).ln().max(BCE_LOG_CLAMP);
            let variance = (p * (1.0 - p)).max(BCE_GRADIENT_EPSILON);
            Pointwise {
                value: -(t * log_p + (1.0 - t) * log_q),
                gradient: (p - t) / variance,
                curvature: 1.0 / variance,
            }
        })
    }
}

/// Binary cross-entropy on logits (PyTorch `BCEWithLogitsLoss`), in the stable form
/// ℓᵢ = (1 − t)z + c·softplus(−z), c = 1 + (w₊ − 1)t, softplus(x) = max(x, 0) + ln(1 + e^{−|x|});
/// without `pos_weight` (w₊ = 1) this is max(z, 0) − zt + ln(1 + e^{−|z|}).
///
/// Gradient (1 − t) − c·σ(−z) (= σ(z) − t without `pos_weight`); curvature c·σ(z)σ(−z), the exact
/// second derivative, PSD because c ≥ 0 for t ∈ [0, 1] and w₊ ≥ 0. Every quantity is finite for
/// any finite z, ±10⁴ included.
#[derive(Clone, Debug, PartialEq)]
pub struct BceWithLogitsLoss {
    reduction: Reduction,
    pos_weight: Option<Vec<f64>>,
}

impl BceWithLogitsLoss {
    /// A BCE-with-logits loss without `pos_weight`.
    pub fn new(reduction: Reduction) -> Self {
        Self {
            reduction,
            pos_weight: None,
        }
    }

    /// Sets PyTorch's `pos_weight`: the weight w₊ ≥ 0 of the positive part, broadcast over the
    /// last dimension as PyTorch does. With k weights the outputs are read as rows of k (one per
    /// label) and output i uses `pos_weight[i % k]`; one weight applies to every output.
    pub fn with_pos_weight(mut self, pos_weight: Vec<f64>) -> Result<Self, LossError> {
        let requirement = "non-empty, finite and ≥ 0";
        if pos_weight.is_empty() || pos_weight.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(LossError::InvalidParameter {
                name: "pos_weight",
                requirement,
            });
        }
        self.pos_weight = Some(pos_weight);
        Ok(self)
    }
}

impl Loss for BceWithLogitsLoss {
    fn name(&self) -> &'static str {
        "bce_with_logits"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        // pos_weight has one weight per label, so it sets the sample length.
        let labels = self.pos_weight.as_ref().map_or(1, Vec::len);
        value_outputs(self.name(), targets, labels)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        self.expected_outputs(targets)?;
        unit_interval_targets(t)?;
        let pos_weight = |i: usize| self.pos_weight.as_ref().map_or(1.0, |w| w[i % w.len()]);
        elementwise(outputs, t, 1, |i, z, t| {
            let c = 1.0 + (pos_weight(i) - 1.0) * t;
            Pointwise {
                value: (1.0 - t) * z + c * softplus(-z),
                gradient: (1.0 - t) - c * sigmoid(-z),
                curvature: c * sigmoid(z) * sigmoid(-z),
            }
        })
    }
}
