//! Supervised losses ℓ(z, t) as costs for the Gauss-Newton / Levenberg-Marquardt solver.
//!
//! A model with parameters x produces outputs z(x) ∈ Rⁿ; a loss compares them with targets t
//! and returns a scalar L. Linearising z(x + δ) ≈ z + Jδ, the solver builds its normal equations
//! from the loss's gradient g = ∂L/∂z and a positive semi-definite curvature C ≈ ∂²L/∂z²:
//!
//! ```text
//! b += Jᵀg,   H += JᵀCJ,   (H + λD) δ = −b
//! ```
//!
//! In a [`Problem`](crate::problem::Problem), [`Problem::add_loss`](crate::problem::Problem::add_loss)
//! pairs a model (any [`Factor`](crate::factor::Factor) whose "residual" is z, e.g.
//! [`LinearModel`](crate::factor::LinearModel) or an [`AutoDiff`](crate::autodiff::AutoDiff)
//! model) with a loss and its targets; the solver then minimises L beside every other factor.
//! For objectives whose curvature here is only a surrogate (focal, Dice, IoU),
//! [`Objective`](crate::objective::Objective) hands the same problem to argmin's L-BFGS.
//!
//! # Conventions
//!
//! * **Value.** L is what PyTorch returns for the same inputs and reduction (Keras for
//!   [`SparseCategoricalCrossEntropy`], torchvision for [`SigmoidFocalLoss`], MONAI for the
//!   overlap losses; [`HingeLoss`] and [`MultiLabelFocalLoss`], which no library has, follow
//!   their formulas), and the solver minimises L itself, not ½L: for [`MseLoss`] with
//!   [`Reduction::Sum`], L = Σr², g = 2r and C = 2I. With [`Reduction::None`], L is the sum of
//!   what PyTorch returns.
//! * **One vector for the whole batch.** `outputs` is the model output of every sample,
//!   flattened row-major (sample-major): n values for elementwise losses, N × k for k classes or
//!   labels per sample (PyTorch's (N, C) input, class index fastest), B × m for the per-sample
//!   overlap losses. Images are flattened to pixels with the class index fastest
//!   (channels-last): move PyTorch's channel axis last before flattening.
//! * **Targets** are [`Targets::Values`] (one real per output) or [`Targets::Classes`] (one class
//!   index per sample, `i64` as in PyTorch so that `ignore_index = −100` works unchanged).
//! * **Reduction** is PyTorch's `reduction=` ([`Reduction`]); one helper applies it to every
//!   loss, from the unreduced [`Terms`] each loss computes.
//! * **Gradient** is the exact derivative of the value wherever the value is differentiable
//!   (tested against central differences); [`BceLoss`] follows PyTorch's clamped backward
//!   formula where p(1 − p) < 10⁻¹².
//! * **Curvature** is always PSD. It is the exact Hessian where the loss is convex and smooth;
//!   elsewhere a documented surrogate, named in the table's last column.
//!
//! # The losses
//!
//! Per term (before the reduction): r = z − t; σ the logistic function; p = softmax(z) for
//! cross-entropy and p = z for the losses on probabilities; w_t the class weight of the target
//! class t and e_t its unit vector; ε, δ, γ, α, w₊ the losses' parameters.
//!
//! | loss | targets | term ℓ | gradient ∂ℓ/∂z | curvature | kind of curvature |
//! |---|---|---|---|---|---|
//! | [`MseLoss`] | values | r² | 2r | 2 | exact |
//! | [`L1Loss`] | values | \|r\| | sign r (0 at 0) | 1/max(\|r\|, ε) | IRLS majoriser |
//! | [`HuberLoss`] | values | ½r² ; δ(\|r\| − ½δ) | r ; δ sign r | 1 ; 0 | exact off \|r\| = δ |
//! | [`HingeLoss`] | ±1 | max(0, u), u = 1 − tz | −t if u > 0, else 0 | 1/(2 max(\|u\|, ε)) | MM majoriser |
//! | [`BceLoss`] | [0, 1] | −t max(ln p, −100) − (1−t) max(ln(1−p), −100) | (p − t)/max(p(1−p), 10⁻¹²) | 1/max(p(1−p), 10⁻¹²) | Fisher |
//! | [`BceWithLogitsLoss`] | [0, 1] | (1−t)z + c softplus(−z), c = 1 + (w₊−1)t | (1−t) − c σ(−z) | c σ(z)σ(−z) | exact |
//! | [`NllLoss`] | classes | −w_t z_t | −w_t e_t | 0 | exact (linear) |
//! | [`CrossEntropyLoss`] | classes | w_t (logsumexp z − z_t) | w_t (p − e_t) | w_t (diag p − ppᵀ) | exact |
//! | [`SparseCategoricalCrossEntropy`] | classes | −ln clip(p_t/Σp, ε, 1−ε) | −e_t/p_t + 1/Σp | e_te_tᵀ/p_t² | majoriser (tangent of ln Σp) |
//! | [`SigmoidFocalLoss`] | [0, 1] | α_t q^γ ce, q = 1 − p_t, ce the BCE-with-logits term | α_t[(σ − t)q^γ + γ ce q^{γ−1} q′], q′ = (1 − 2t)σ(1−σ) | α_t q^γ σ(1−σ) | frozen focal weight |
//! | [`MultiLabelFocalLoss`] | [0, 1] | −Σₖ[t(1−p)^γ ln p + (1−t)p^γ ln(1−p)] | exact (0 where clamped) | t(1−p)^γ/p² + (1−t)p^γ/(1−p)² | frozen focal weight |
//! | [`SoftDiceLoss`] | [0, 1] | 1 − (2Σpt + ε)/(Σp + Σt + ε) | (N − 2tM)/M² | rank-one positive part of the Hessian | positive part |
//! | [`SoftIouLoss`] | [0, 1] | 1 − (Σpt + ε)/(Σp + Σt − Σpt + ε) | −t/M + N(1 − t)/M² | rank-one positive part of the Hessian | positive part |
//! | [`GeneralizedDiceLoss`] | [0, 1] | 1 − (2Σw_cpt + ε)/(Σw_c(p + t) + ε), w_c = 1/(Σt_c)² | w_c(N − 2tM)/M² | rank-one positive part of the Hessian | positive part |
//!
//! Each type's docs give the details: clamps, weights, which outputs form a sample. In the
//! overlap rows N and M are the fraction's numerator and denominator.
//!
//! # Surrogate curvatures
//!
//! Where the exact Hessian is zero, unbounded or indefinite, the curvature is one of these PSD
//! stand-ins, each chosen so that a Gauss-Newton step on it is a known, sensible step:
//!
//! * **IRLS majoriser** ([`L1Loss`], [`HingeLoss`]). |r| lies below the quadratic
//!   r²/(2|r₀|) + |r₀|/2 that touches it at the current r₀ (and again at −r₀); its second
//!   derivative 1/|r₀|, floored at ε, is the curvature, and the step it gives is one IRLS step.
//!   The hinge max(0, u) = (u + |u|)/2 gets half of it, on both sides of the margin.
//! * **Tangent majoriser** ([`SparseCategoricalCrossEntropy`]). −ln(p_t/Σp) = −ln p_t + ln Σp is
//!   convex plus concave; replacing ln Σp by its tangent gives a convex upper bound touching the
//!   loss at the current point, whose Hessian e_te_tᵀ/p_t² is the curvature.
//! * **Fisher** ([`BceLoss`]). The exact Hessian t/p² + (1 − t)/(1 − p)² is PSD but unbounded as p
//!   nears 0 or 1 even when p agrees with t; its expectation under t ~ Bernoulli(p),
//!   1/(p(1 − p)), is bounded with PyTorch's floor, and its Newton step moves p straight to t.
//! * **Frozen focal weight** ([`SigmoidFocalLoss`], [`MultiLabelFocalLoss`]). A focal loss is a
//!   cross-entropy times a modulating factor ((1 − p_t)^γ); differentiating the factor twice
//!   makes the Hessian indefinite. Holding it at its current value, as IRLS holds its weights,
//!   leaves a weighted cross-entropy whose exact, non-negative Hessian is the curvature. For
//!   γ = 0 it is the exact Hessian.
//! * **Positive part** ([`SoftDiceLoss`], [`SoftIouLoss`], [`GeneralizedDiceLoss`]). Each has the
//!   form L = 1 − N/M with N = αᵀp + n₀ and M = βᵀp + m₀ linear in the sample's probabilities
//!   (α, β, n₀, m₀ depend on the targets only), so g = −α/M + (N/M²)β and the Hessian
//!   H = (αβᵀ + βαᵀ)/M² − (2N/M³)ββᵀ has rank ≤ 2 in span{α, β}. In an orthonormal basis of that
//!   span it is a 2 × 2 matrix of determinant ≤ 0, so H has at most one positive eigenvalue. The
//!   curvature is H with its negative eigenvalue dropped (the PSD matrix nearest to H): rank one
//!   per sample, computed in closed form, returned as [`Curvature::DiagonalPlusRankOne`] with a
//!   zero diagonal. Like every PSD stand-in for an indefinite Hessian it relies on LM damping
//!   for global convergence.
//!
//! # Example
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use rhopt::loss::{CrossEntropyLoss, Loss, Reduction, Targets};
//!
//! // Two samples, three classes: logits row-major (sample, class).
//! let loss = CrossEntropyLoss::new(3, Reduction::Mean)?;
//! let targets = [1_i64, 0];
//! let z = [1.0, 2.0, 0.5, 0.0, 0.0, 0.0];
//! let e = loss.evaluate(&z, Targets::Classes(&targets))?;
//! // PyTorch: F.cross_entropy(tensor([[1., 2., .5], [0., 0., 0.]]), tensor([1, 0])) = 0.7814905
//! assert!((e.value - 0.7814905).abs() < 1e-6);
//!
//! // One damped Gauss-Newton step for a model that outputs its parameters (J = I):
//! // (JᵀCJ + λI) δ = −Jᵀg.
//! let j = DMatrix::<f64>::identity(6, 6);
//! let mut h = DMatrix::<f64>::identity(6, 6) * 1e-3;
//! e.curvature.add_jt_c_j(&j, &mut h);
//! let b = j.tr_mul(&DVector::from_column_slice(&e.gradient));
//! let step = h.cholesky().expect("JᵀCJ + λI is positive definite").solve(&(-b));
//! let z_new: Vec<f64> = z.iter().zip(step.iter()).map(|(z, d)| z + d).collect();
//! assert!(loss.value(&z_new, Targets::Classes(&targets))? < e.value);
//!
//! // reduction='none' gives one term per sample.
//! assert_eq!(loss.unreduced(&z, Targets::Classes(&targets))?.len(), 2);
//! # Ok::<(), rhopt::loss::LossError>(())
//! ```

mod binary;
mod categorical;
mod cost;
mod curvature;
mod error;
mod focal;
mod margin;
mod overlap;
mod reduction;
mod regression;
mod support;

#[cfg(test)]
mod tests;

pub use binary::{BceLoss, BceWithLogitsLoss, BCE_GRADIENT_EPSILON, BCE_LOG_CLAMP};
pub use categorical::{
    CrossEntropyLoss, NllLoss, SparseCategoricalCrossEntropy, KERAS_EPSILON, PYTORCH_IGNORE_INDEX,
};
pub use cost::{LossCost, TargetData};
pub use curvature::Curvature;
pub use error::LossError;
pub use focal::{MultiLabelFocalLoss, SigmoidFocalLoss, FOCAL_PROBABILITY_CLAMP};
pub use margin::HingeLoss;
pub use overlap::{GeneralizedDiceLoss, SoftDiceLoss, SoftIouLoss};
pub use reduction::Reduction;
pub use regression::{HuberLoss, L1Loss, MseLoss, DEFAULT_IRLS_EPSILON};

/// The targets a loss compares the outputs with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Targets<'a> {
    /// One real target per output: regression, binary, multi-label and overlap losses (and the
    /// ±1 labels of [`HingeLoss`]).
    Values(&'a [f64]),
    /// One class index per sample, for [`NllLoss`], [`CrossEntropyLoss`] and
    /// [`SparseCategoricalCrossEntropy`]. `i64` as PyTorch's targets, so its `ignore_index`
    /// (−100 by default) can be used as is.
    Classes(&'a [i64]),
}

impl Targets<'_> {
    /// Number of targets (values or samples).
    pub fn len(&self) -> usize {
        match self {
            Self::Values(t) => t.len(),
            Self::Classes(t) => t.len(),
        }
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a loss computes before the reduction: PyTorch's `reduction='none'` output, the mean's
/// denominator, and the derivatives of the *sum* of the terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    /// The unreduced terms, as PyTorch's `reduction='none'` returns them (flattened): one per
    /// output for elementwise losses, one per sample for the class, multi-label focal and overlap
    /// losses. Class-weighted terms already include w\[tᵢ\]; ignored samples are 0.
    pub values: Vec<f64>,
    /// The denominator of [`Reduction::Mean`]: the number of terms, or Σ w\[tᵢ\] over the samples
    /// that are not ignored for the class losses.
    pub mean_denominator: f64,
    /// ∂(Σ values)/∂z, one entry per output.
    pub gradient: Vec<f64>,
    /// The PSD curvature of Σ values with respect to z.
    pub curvature: Curvature,
}

/// The scalar objective L at z with its gradient and curvature, after the reduction.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// L (NaN for an empty mean, as PyTorch; see [`Reduction::Mean`]).
    pub value: f64,
    /// g = ∂L/∂z, one entry per output: the solver adds Jᵀg to b.
    pub gradient: Vec<f64>,
    /// C, PSD, n × n: the solver adds JᵀCJ to H (see [`Curvature::add_jt_c_j`]).
    pub curvature: Curvature,
}

/// A supervised loss usable as a solver cost.
///
/// Implementors provide [`terms`](Loss::terms) (the unreduced terms and the derivatives of their
/// sum); the reduction is applied once, for every loss, by the provided methods. All methods
/// check their inputs and return [`LossError`] rather than panic.
pub trait Loss: Send + Sync + std::fmt::Debug {
    /// A short snake-case name (`"mse"`, `"cross_entropy"`), used in errors.
    fn name(&self) -> &'static str;

    /// The reduction the loss was built with.
    fn reduction(&self) -> Reduction;

    /// Number of model outputs z the loss expects for `targets`: one per target value for the
    /// losses on [`Targets::Values`] (n for elementwise losses, N·k for k labels or pixels per
    /// sample), N·k for k-class losses on N class targets. Errors if the targets have the wrong
    /// kind or are not a whole number of samples.
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError>;

    /// The unreduced terms at z = `outputs`, their mean denominator, and the gradient and PSD
    /// curvature of their sum. Errors on targets of the wrong kind, a wrong number of outputs,
    /// or invalid targets or outputs (each loss documents its domain).
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError>;

    /// The terms PyTorch returns with `reduction='none'`, whatever this loss's reduction.
    fn unreduced(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Vec<f64>, LossError> {
        Ok(self.terms(outputs, targets)?.values)
    }

    /// The scalar objective L: the reduced value, and for [`Reduction::None`] the sum of the
    /// terms (see there). What the solver compares between trial steps.
    fn value(&self, outputs: &[f64], targets: Targets<'_>) -> Result<f64, LossError> {
        Ok(self.reduction().value(&self.terms(outputs, targets)?))
    }

    /// L, g = ∂L/∂z and the PSD curvature C of L: what the solver needs to build its normal
    /// equations. For [`Reduction::Mean`] the gradient and curvature of the terms' sum are
    /// divided by the mean's denominator.
    fn evaluate(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Evaluation, LossError> {
        Ok(self.reduction().apply(self.terms(outputs, targets)?))
    }
}
