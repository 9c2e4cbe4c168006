//! Focal losses (Lin et al., "Focal Loss for Dense Object Detection", 2017). Both curvatures
//! hold the focal weight fixed; see "Surrogate curvatures" in the module docs of `loss`.

use super::support::Pointwise;
use super::support::{
    elementwise, parameter, sigmoid, softplus, unit_interval_targets, value_outputs, values,
};
use super::{Loss, LossError, Reduction, Targets, Terms};

/// The multi-label focal loss clamps probabilities to [10⁻⁴, 1 − 10⁻⁴].
pub const FOCAL_PROBABILITY_CLAMP: f64 = 1e-4;

fn gamma_parameter(gamma: f64) -> Result<f64, LossError> {
    parameter("gamma", gamma, "finite and ≥ 0", |g| g >= 0.0)
}

/// Binary focal loss on logits, as torchvision's `sigmoid_focal_loss`:
/// p = σ(z), ce = BCE-with-logits(z, t), q = 1 − p_t = t(1 − p) + (1 − t)p,
/// ℓᵢ = α_t·q^γ·ce with α_t = αt + (1 − α)(1 − t) (α_t = 1 without α).
///
/// Gradient α_t·[(p − t)q^γ + γ·ce·q^{γ−1}·(1 − 2t)p(1 − p)], with the second product taken as 0
/// at q = 0 (its limit: ce vanishes there as fast as q). Curvature α_t·q^γ·p(1 − p), the
/// [frozen-weight surrogate](crate::loss#surrogate-curvatures). Targets may be soft, in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct SigmoidFocalLoss {
    reduction: Reduction,
    gamma: f64,
    alpha: Option<f64>,
}

impl SigmoidFocalLoss {
    /// A focal loss with focusing parameter γ ≥ 0 and optional balance α ∈ [0, 1]
    /// (torchvision's defaults are γ = 2, α = 0.25, reduction "none"; α < 0 there means `None`).
    pub fn new(gamma: f64, alpha: Option<f64>, reduction: Reduction) -> Result<Self, LossError> {
        let gamma = gamma_parameter(gamma)?;
        let alpha = alpha
            .map(|a| parameter("alpha", a, "in [0, 1]", |a| (0.0..=1.0).contains(&a)))
            .transpose()?;
        Ok(Self {
            reduction,
            gamma,
            alpha,
        })
    }
}

impl Loss for SigmoidFocalLoss {
    fn name(&self) -> &'static str {
        "sigmoid_focal"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        unit_interval_targets(t)?;
        let g = self.gamma;
        elementwise(outputs, t, 1, |_, z, t| {
            let alpha_t = self.alpha.map_or(1.0, |a| a * t + (1.0 - a) * (1.0 - t));
            // σ(z) and σ(−z) separately, so 1 − p never cancels at large |z|.
            let (p, p_not) = (sigmoid(z), sigmoid(-z));
            let ce = softplus(z) - t * z;
            let q = t * p_not + (1.0 - t) * p;
            let focus = q.powf(g);
            let dq = (1.0 - 2.0 * t) * p * p_not;
            let ce_dfocus = if g == 0.0 || q == 0.0 {
                0.0
            } else {
                g * ce * q.powf(g - 1.0) * dq
            };
            Pointwise {
                value: alpha_t * focus * ce,
                gradient: alpha_t * ((p - t) * focus + ce_dfocus),
                curvature: alpha_t * focus * p * p_not,
            }
        })
    }
}

/// Multi-label focal loss on probabilities: each sample has `labels` outputs p ∈ [0, 1], each
/// clamped to [10⁻⁴, 1 − 10⁻⁴] (see [`FOCAL_PROBABILITY_CLAMP`]), and its term is the sum over its
/// labels
/// FL = −Σₖ [tₖ(1 − pₖ)^γ ln pₖ + (1 − tₖ)pₖ^γ ln(1 − pₖ)].
/// The reduction then runs over samples: [`Reduction::Mean`] averages the per-sample sums.
///
/// Gradient: the exact derivative of the clamped value, so 0 where p is clamped. Curvature:
/// t(1 − p)^γ/p² + (1 − t)p^γ/(1 − p)², the
/// [frozen-weight surrogate](crate::loss#surrogate-curvatures) (at most 10⁸), and 0 where p is
/// clamped. Targets may be soft, in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct MultiLabelFocalLoss {
    reduction: Reduction,
    labels: usize,
    gamma: f64,
}

impl MultiLabelFocalLoss {
    /// A multi-label focal loss over `labels` ≥ 1 labels per sample with γ ≥ 0.
    pub fn new(labels: usize, gamma: f64, reduction: Reduction) -> Result<Self, LossError> {
        if labels == 0 {
            return Err(LossError::InvalidParameter {
                name: "labels",
                requirement: "at least 1",
            });
        }
        Ok(Self {
            reduction,
            labels,
            gamma: gamma_parameter(gamma)?,
        })
    }
}

impl Loss for MultiLabelFocalLoss {
    fn name(&self) -> &'static str {
        "multi_label_focal"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, self.labels)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        unit_interval_targets(t)?;
        let (g, lo) = (self.gamma, FOCAL_PROBABILITY_CLAMP);
        elementwise(outputs, t, self.labels, |_, p_raw, t| {
            let p = p_raw.clamp(lo, 1.0 - lo);
            let (ln_p, ln_q) = (p.ln(), (1.0 - p).ln());
            let (w_pos, w_neg) = ((1.0 - p).powf(g), p.powf(g));
            let value = -(t * w_pos * ln_p + (1.0 - t) * w_neg * ln_q);
            if p != p_raw {
                // Clamped: the value does not depend on z here.
                return Pointwise {
                    value,
                    gradient: 0.0,
                    curvature: 0.0,
                };
            }
            // p ≥ 10⁻⁴ so p^{γ−1} is finite even for γ < 1.
            let d_pos = -g * (1.0 - p).powf(g - 1.0) * ln_p + w_pos / p;
            let d_neg = g * p.powf(g - 1.0) * ln_q - w_neg / (1.0 - p);
            Pointwise {
                value,
                gradient: -(t * d_pos + (1.0 - t) * d_neg),
                curvature: t * w_pos / (p * p) + (1.0 - t) * w_neg / ((1.0 - p) * (1.0 - p)),
            }
        })
    }
}
