//! The hinge loss with ±1 labels.

use super::regression::DEFAULT_IRLS_EPSILON;
use super::support::{elementwise, parameter, value_outputs, values, Pointwise};
use super::{Loss, LossError, Reduction, Targets, Terms};

/// Hinge loss with labels tᵢ ∈ {−1, +1}: ℓᵢ = max(0, u), u = 1 − tᵢzᵢ.
///
/// PyTorch has no loss of exactly this form (`HingeEmbeddingLoss` is different); the value is
/// `torch.clamp(1 - t * z, min=0)`. Gradient −t where u > 0 and 0 where u ≤ 0 (the subgradient
/// of the inactive side at the kink).
///
/// **Curvature (a majoriser).** The hinge is piecewise linear, so its Hessian is zero and
/// useless. We write max(0, u) = (u + |u|)/2 and majorise |u| by its IRLS quadratic, as for
/// [`L1Loss`](super::L1Loss): the result is a quadratic in z that touches the hinge at the
/// current point and lies above it everywhere, with second derivative 1/(2·max(|u|, ε)) (t² = 1).
/// Minimising it is one step of the MM (majorise-minimise) algorithm, so the cost cannot increase
/// on a linear model. The curvature is positive on both sides of the margin: inactive samples
/// near the margin are held in place rather than left free to drift across it.
#[derive(Clone, Debug, PartialEq)]
pub struct HingeLoss {
    reduction: Reduction,
    epsilon: f64,
}

impl HingeLoss {
    /// A hinge loss with IRLS floor ε = [`DEFAULT_IRLS_EPSILON`].
    pub fn new(reduction: Reduction) -> Self {
        Self {
            reduction,
            epsilon: DEFAULT_IRLS_EPSILON,
        }
    }

    /// Sets the floor ε > 0 of the majoriser's weight 1/(2·max(|u|, ε)); the curvature is at
    /// most 1/(2ε). The value and gradient do not depend on it.
    pub fn with_irls_epsilon(mut self, epsilon: f64) -> Result<Self, LossError> {
        self.epsilon = parameter("epsilon", epsilon, "finite and > 0", |e| e > 0.0)?;
        Ok(self)
    }
}

impl Loss for HingeLoss {
    fn name(&self) -> &'static str {
        "hinge"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        if let Some(index) = t.iter().position(|&l| l != 1.0 && l != -1.0) {
            return Err(LossError::InvalidTarget {
                index,
                requirement: "a label −1 or +1",
            });
        }
        elementwise(outputs, t, 1, |_, z, t| {
            let u = 1.0 - t * z;
            Pointwise {
                value: u.max(0.0),
                gradient: if u > 0.0 { -t } else { 0.0 },
                curvature: 0.5 / u.abs().max(self.epsilon),
            }
        })
    }
}
