//! Regression losses on real targets: MSE, L1 (MAE) and Huber.

use super::support::{elementwise, parameter, value_outputs, values, Pointwise};
use super::{Loss, LossError, Reduction, Targets, Terms};

/// Default ε of the L1 and hinge IRLS weights 1/max(|r|, ε): small enough not to matter for
/// residuals of order one, large enough that the curvature stays below 10⁶ at a zero residual.
pub const DEFAULT_IRLS_EPSILON: f64 = 1e-6;

/// Mean squared error (PyTorch `MSELoss`): ℓᵢ = (zᵢ − tᵢ)².
///
/// Gradient 2r, curvature 2 (exact: the loss is quadratic), so for [`Reduction::Mean`] the
/// solver sees C = (2/n)·I.
#[derive(Clone, Debug, PartialEq)]
pub struct MseLoss {
    reduction: Reduction,
}

impl MseLoss {
    /// An MSE loss with the given reduction.
    pub fn new(reduction: Reduction) -> Self {
        Self { reduction }
    }
}

impl Loss for MseLoss {
    fn name(&self) -> &'static str {
        "mse"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        elementwise(outputs, t, 1, |_, z, t| {
            let r = z - t;
            Pointwise {
                value: r * r,
                gradient: 2.0 * r,
                curvature: 2.0,
            }
        })
    }
}

/// Mean absolute error (PyTorch `L1Loss`): ℓᵢ = |zᵢ − tᵢ|.
///
/// Gradient sign(r), 0 at r = 0 as in PyTorch. |r| has no second derivative worth using (0, or
/// a Dirac at the kink), so the curvature is the IRLS weight 1/max(|r|, ε): the second
/// derivative of the quadratic r²/(2|r₀|) + |r₀|/2 that touches |r| at the current r₀ and lies
/// above it everywhere. A Gauss-Newton step on that majoriser is one IRLS step, so the cost
/// never increases on a linear model.
#[derive(Clone, Debug, PartialEq)]
pub struct L1Loss {
    reduction: Reduction,
    epsilon: f64,
}

impl L1Loss {
    /// An L1 loss with IRLS floor ε = [`DEFAULT_IRLS_EPSILON`].
    pub fn new(reduction: Reduction) -> Self {
        Self {
            reduction,
            epsilon: DEFAULT_IRLS_EPSILON,
        }
    }

    /// Sets the floor ε > 0 of the IRLS weight 1/max(|r|, ε). It bounds the curvature by 1/ε
    /// and does not change the value or gradient.
    pub fn with_irls_epsilon(mut self, epsilon: f64) -> Result<Self, LossError> {
        self.epsilon = parameter("epsilon", epsilon, "finite and > 0", |e| e > 0.0)?;
        Ok(self)
    }
}

impl Loss for L1Loss {
    fn name(&self) -> &'static str {
        "l1"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        elementwise(outputs, t, 1, |_, z, t| {
            let r = z - t;
            Pointwise {
                value: r.abs(),
                // f64::signum(0.0) is 1; PyTorch's subgradient at 0 is 0.
                gradient: if r == 0.0 { 0.0 } else { r.signum() },
                curvature: 1.0 / r.abs().max(self.epsilon),
            }
        })
    }
}

/// Huber loss (PyTorch `HuberLoss`): ℓᵢ = ½r² if |r| < δ, else δ(|r| − ½δ).
///
/// Gradient r inside, δ·sign(r) outside; curvature 1 inside and 0 outside: the exact second
/// derivative everywhere but at |r| = δ, where it jumps. Outside, the loss is linear and the
/// step length comes from the rest of the problem or from LM damping.
#[derive(Clone, Debug, PartialEq)]
pub struct HuberLoss {
    reduction: Reduction,
    delta: f64,
}

impl HuberLoss {
    /// A Huber loss with threshold δ > 0 (PyTorch's default is 1).
    pub fn new(delta: f64, reduction: Reduction) -> Result<Self, LossError> {
        let delta = parameter("delta", delta, "finite and > 0", |d| d > 0.0)?;
        Ok(Self { reduction, delta })
    }
}

impl Loss for HuberLoss {
    fn name(&self) -> &'static str {
        "huber"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, 1)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let t = values(self.name(), targets)?;
        let d = self.delta;
        elementwise(outputs, t, 1, |_, z, t| {
            let r = z - t;
            if r.abs() < d {
                Pointwise {
                    value: 0.5 * r * r,
                    gradient: r,
                    curvature: 1.0,
                }
            } else {
                Pointwise {
                    value: d * (r.abs() - 0.5 * d),
                    gradient: d * r.signum(),
                    curvature: 0.0,
                }
            }
        })
    }
}
