//! The reduction (PyTorch's `reduction=` argument), applied once for every loss.

use super::{Evaluation, Terms};

/// How the per-term values of a loss become the scalar objective L the solver minimises.
///
/// A *term* is one entry of PyTorch's `reduction='none'` output: one element for elementwise
/// losses, one sample for the class losses and the per-sample losses (multi-label focal, Dice,
/// IoU, generalised Dice). The denominator of the mean is [`Terms::mean_denominator`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// L = Σ termᵢ / denominator: the number of terms, or Σ w\[tᵢ\] over the samples that are
    /// not ignored for the class-weighted losses ([`NllLoss`](super::NllLoss),
    /// [`CrossEntropyLoss`](super::CrossEntropyLoss)). PyTorch's default, hence ours.
    ///
    /// A zero denominator (no terms, or every sample ignored) gives L = NaN exactly as PyTorch
    /// does, with a zero gradient and zero curvature (PyTorch's backward also returns zeros):
    /// no sample says anything about z.
    #[default]
    Mean,
    /// L = Σ termᵢ.
    Sum,
    /// Unreduced: [`Loss::unreduced`](super::Loss::unreduced) returns the terms as PyTorch
    /// would. The solver still needs a scalar, so [`Loss::value`](super::Loss::value) and
    /// [`Loss::evaluate`](super::Loss::evaluate) use L = Σ termᵢ (the same as
    /// [`Reduction::Sum`]; in PyTorch, `loss(reduction='none').sum()`).
    None,
}

impl Reduction {
    /// The factor multiplying Σ termᵢ, and the one multiplying its derivatives. They differ
    /// only for an empty mean, where the value must be NaN (0 · ∞) but the derivatives zero.
    fn factors(self, mean_denominator: f64) -> (f64, f64) {
        match self {
            Self::Sum | Self::None => (1.0, 1.0),
            Self::Mean if mean_denominator > 0.0 => {
                let s = 1.0 / mean_denominator;
                (s, s)
            }
            Self::Mean => (f64::NAN, 0.0),
        }
    }

    /// L for these terms.
    pub(crate) fn value(self, terms: &Terms) -> f64 {
        self.factors(terms.mean_denominator).0 * terms.values.iter().sum::<f64>()
    }

    /// L, ∂L/∂z and the curvature of L from the terms' sum and its derivatives.
    pub(crate) fn apply(self, terms: Terms) -> Evaluation {
        let value = self.value(&terms);
        let (_, d) = self.factors(terms.mean_denominator);
        let Terms {
            mut gradient,
            mut curvature,
            ..
        } = terms;
        if d != 1.0 {
            gradient.iter_mut().for_each(|g| *g *= d);
            curvature.scale(d);
        }
        Evaluation {
            value,
            gradient,
            curvature,
        }
    }
}
