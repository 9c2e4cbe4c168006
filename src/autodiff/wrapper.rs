//! [`AutoDiff`]: the [`Factor`] that evaluates an [`AutoDiffResidual`] with dual numbers.

use nalgebra::SMatrix;
use num_dual::DualSVec64;

use super::AutoDiffResidual;
use crate::factor::{Factor, Jacobians};
use crate::manifold::{LieGroup, Se2, Se3};
use crate::problem::{Key, Values, VariableKind};

/// Why [`AutoDiff::new`] refused a residual.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoDiffError {
    /// The residual names a variable that `values` does not hold.
    #[error("the residual reads variable {key} but the values hold {len} variables")]
    UnknownVariable {
        /// Index of the missing variable.
        key: usize,
        /// Number of variables in the values.
        len: usize,
    },
    /// A variable without parameters (`Euclidean(0)`): nothing to differentiate.
    #[error("the residual reads variable {key} of kind {kind:?}, which has no parameters")]
    EmptyVariable {
        /// Index of the variable.
        key: usize,
        /// Its kind.
        kind: VariableKind,
    },
    /// `N` is not the total number of stored parameters of the residual's variables.
    #[error(
        "AutoDiff<_, N = {declared}, _> but the residual's variables {kinds:?} have {actual} \
         stored parameters in total: use N = {actual}"
    )]
    ParameterCount {
        /// The `N` of the `AutoDiff` type.
        declared: usize,
        /// Σ params of the variables' kinds.
        actual: usize,
        /// The kinds of the residual's variables, in key order.
        kinds: Vec<VariableKind>,
    },
    /// `M` is not the residual's dimension.
    #[error(
        "AutoDiff<_, _, M = {declared}> but the residual has dimension {actual}: use M = {actual}"
    )]
    ResidualDim {
        /// The `M` of the `AutoDiff` type.
        declared: usize,
        /// [`AutoDiffResidual::residual_dim`].
        actual: usize,
    },
}

/// A [`Factor`] whose Jacobians come from forward-mode automatic differentiation of an
/// [`AutoDiffResidual`].
///
/// `N` is the total number of stored parameters of the residual's variables (e.g. 7 + 7 = 14
/// for two SE3 poses) and `M` its residual dimension; both must be known at compile time so
/// that the dual numbers and buffers live on the stack. [`AutoDiff::new`] checks them against
/// the variables' kinds, so a wrong count is an error at construction, never a wrong Jacobian.
///
/// One Jacobian evaluation runs the residual once with [`DualSVec64<N>`]: its cost grows with
/// N times the residual's own. See the [module documentation](super) for an example.
#[derive(Debug, Clone)]
pub struct AutoDiff<R, const N: usize, const M: usize> {
    residual: R,
    /// Kinds of the residual's variables when it was built, to catch values of another shape.
    kinds: Vec<VariableKind>,
}

impl<R: AutoDiffResidual, const N: usize, const M: usize> AutoDiff<R, N, M> {
    /// Wraps `residual` after checking it against the kinds its variables have in `values`:
    /// every key exists and has parameters, `N` equals the sum of their stored parameters and
    /// `M` the residual dimension.
    pub fn new(residual: R, values: &Values) -> Result<Self, AutoDiffError> {
        let mut kinds = Vec::with_capacity(residual.keys().len());
        for key in residual.keys() {
            if key.0 >= values.len() {
                return Err(AutoDiffError::UnknownVariable {
                    key: key.0,
                    len: values.len(),
                });
            }
            let kind = values.kind(*key);
            if kind.params() == 0 {
                return Err(AutoDiffError::EmptyVariable { key: key.0, kind });
            }
            kinds.push(kind);
        }
        let actual = kinds.iter().map(|k| k.params()).sum();
        if actual != N {
            return Err(AutoDiffError::ParameterCount {
                declared: N,
                actual,
                kinds,
            });
        }
        if residual.residual_dim() != M {
            return Err(AutoDiffError::ResidualDim {
                declared: M,
                actual: residual.residual_dim(),
            });
        }
        Ok(Self { residual, kinds })
    }

    /// The wrapped residual.
    pub fn residual(&self) -> &R {
        &self.residual
    }

    /// Unwraps the residual.
    pub fn into_inner(self) -> R {
        self.residual
    }

    fn debug_check_kinds(&self, values: &Values) {
        debug_assert!(
            self.residual
                .keys()
                .iter()
                .zip(&self.kinds)
                .all(|(key, kind)| values.kind(*key) == *kind),
            "AutoDiff evaluated on values whose variable kinds differ from those it was built for"
        );
    }

    /// Residual and its derivatives with respect to all N stored parameters, as an M×N matrix.
    fn dual_evaluate(&self, values: &Values, residual: &mut [f64]) -> SMatrix<f64, M, N> {
        // Seed parameter j with the unit derivative e_j, variable after variable.
        let mut x = [DualSVec64::<N>::from_re(0.0); N];
        let mut offset = 0;
        for key in self.residual.keys() {
            for &p in values.params(*key) {
                x[offset] = DualSVec64::from_re(p).derivative(offset);
                offset += 1;
            }
        }
        // Every variable has at least one parameter (checked in `new`), so there are at most N.
        let mut params: [&[DualSVec64<N>]; N] = [&[]; N];
        let mut rest = &x[..];
        for (slot, key) in params.iter_mut().zip(self.residual.keys()) {
            let (head, tail) = rest.split_at(values.params(*key).len());
            *slot = head;
            rest = tail;
        }
        let mut out = [DualSVec64::<N>::from_re(0.0); M];
        self.residual
            .residual(&params[..self.residual.keys().len()], &mut out);

        let mut d_params = SMatrix::<f64, M, N>::zeros();
        for (i, (r, e)) in residual.iter_mut().zip(&out).enumerate() {
            *r = e.re;
            // `None` means the row does not depend on any parameter: it stays zero.
            if let Some(eps) = &e.eps.0 {
                d_params.row_mut(i).tr_copy_from(eps);
            }
        }
        d_params
    }
}

impl<R: AutoDiffResidual, const N: usize, const M: usize> Factor for AutoDiff<R, N, M> {
    fn keys(&self) -> &[Key] {
        self.residual.keys()
    }

    fn residual_dim(&self) -> usize {
        M
    }

    fn validate(&self, values: &Values) -> Result<(), String> {
        let found: Vec<VariableKind> = self.keys().iter().map(|k| values.kind(*k)).collect();
        if found == self.kinds {
            Ok(())
        } else {
            Err(format!(
                "the AutoDiff residual was built for variables {:?} but the problem's are {found:?}",
                self.kinds
            ))
        }
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        self.debug_check_kinds(values);
        let Some(jac) = jacobians else {
            // Plain f64 evaluation: the stored parameters are already the residual's input.
            let mut params: [&[f64]; N] = [&[]; N];
            for (slot, key) in params.iter_mut().zip(self.residual.keys()) {
                *slot = values.params(*key);
            }
            self.residual
                .residual(&params[..self.residual.keys().len()], residual);
            return;
        };
        let d_params = self.dual_evaluate(values, residual);
        // Chain rule through X ⊞ δ: ∂e/∂δₖ = ∂e/∂paramsₖ · ∂paramsₖ(X ⊞ δ)/∂δ.
        let mut offset = 0;
        for (k, key) in self.residual.keys().iter().enumerate() {
            let x = values.params(*key);
            let mut block = jac.block_mut(k);
            match values.kind(*key) {
                VariableKind::Euclidean(n) => block.copy_from(&d_params.columns(offset, n)),
                VariableKind::Se2 => block.copy_from(
                    &(d_params.fixed_columns::<3>(offset) * Se2::from_params(x).plus_jacobian()),
                ),
                VariableKind::Se3 => block.copy_from(
                    &(d_params.fixed_columns::<7>(offset) * Se3::from_params(x).plus_jacobian()),
                ),
            }
            offset += x.len();
        }
    }
}
