//! The factor graph a user builds: variables (poses or plain vectors), factors connecting them,
//! and the set of variables held fixed.

use std::sync::Arc;

use nalgebra::{DMatrix, DMatrixViewMut};

use crate::factor::Factor;
use crate::kernel::RobustKernel;
use crate::loss::{Loss, LossCost, TargetData};
use crate::manifold::{Euclidean, LieGroup, Se2, Se3};

/// Handle of a variable in a [`Problem`], in insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub usize);

/// The kind of a variable: how it is stored and how a tangent step is applied to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    /// A 2D pose, stored as [x, y, θ], 3 degrees of freedom.
    Se2,
    /// A 3D pose, stored as [x, y, z, qx, qy, qz, qw], 6 degrees of freedom.
    Se3,
    /// A plain vector of the given length.
    Euclidean(usize),
}

impl VariableKind {
    /// Number of stored parameters.
    pub fn params(self) -> usize {
        match self {
            VariableKind::Se2 => Se2::PARAMS,
            VariableKind::Se3 => Se3::PARAMS,
            VariableKind::Euclidean(n) => n,
        }
    }

    /// Tangent dimension (degrees of freedom).
    pub fn dof(self) -> usize {
        match self {
            VariableKind::Se2 => Se2::DOF,
            VariableKind::Se3 => Se3::DOF,
            VariableKind::Euclidean(n) => n,
        }
    }

    /// out = x ⊞ delta, on stored parameters.
    pub fn retract(self, x: &[f64], delta: &[f64], out: &mut [f64]) {
        fn lie<G: LieGroup>(x: &[f64], delta: &G::Tangent, out: &mut [f64]) {
            G::from_params(x).plus(delta).write_params(out);
        }
        match self {
            VariableKind::Se2 => lie::<Se2>(x, &nalgebra::Vector3::from_column_slice(delta), out),
            VariableKind::Se3 => lie::<Se3>(x, &nalgebra::Vector6::from_column_slice(delta), out),
            VariableKind::Euclidean(_) => {
                for ((o, a), d) in out.iter_mut().zip(x).zip(delta) {
                    *o = a + d;
                }
            }
        }
    }

    /// Writes ∂params(x ⊞ δ)/∂δ at δ = 0, a `params() × dof()` matrix, into `out`: what turns
    /// a derivative with respect to stored parameters (as [`crate::autodiff`] computes it) into
    /// the derivative with respect to a right perturbation that factors return. The identity
    /// for [`VariableKind::Euclidean`]; see [`Se2::plus_jacobian`] and [`Se3::plus_jacobian`].
    ///
    /// # Panics
    /// If `x` is shorter than `params()` or `out` is not `params() × dof()`.
    pub fn plus_jacobian(self, x: &[f64], mut out: DMatrixViewMut<'_, f64>) {
        match self {
            VariableKind::Se2 => out.copy_from(&Se2::from_params(x).plus_jacobian()),
            VariableKind::Se3 => out.copy_from(&Se3::from_params(x).plus_jacobian()),
            VariableKind::Euclidean(n) => {
                assert_eq!(out.shape(), (n, n), "plus Jacobian of {self:?}");
                out.fill_with_identity();
            }
        }
    }
}

impl VariableKind {
    /// The right Jacobian Jr(δ) (dof × dof): Exp(δ + dδ) ≈ Exp(δ)·Exp(Jr(δ)·dδ), so that
    /// ∂f(x ⊞ δ)/∂δ = (∂f/∂ε at x ⊞ δ)·Jr(δ). The identity for Euclidean variables.
    pub fn right_jacobian(self, delta: &[f64]) -> DMatrix<f64> {
        match self {
            VariableKind::Se2 => {
                let j = Se2::right_jacobian(&nalgebra::Vector3::from_column_slice(delta));
                DMatrix::from_column_slice(3, 3, j.as_slice())
            }
            VariableKind::Se3 => {
                let j = Se3::right_jacobian(&nalgebra::Vector6::from_column_slice(delta));
                DMatrix::from_column_slice(6, 6, j.as_slice())
            }
            VariableKind::Euclidean(n) => DMatrix::identity(n, n),
        }
    }
}

/// A Lie group that can be stored as a variable of a [`Problem`].
pub trait Variable: LieGroup {
    /// The stored kind of this type.
    fn kind() -> VariableKind;
}

impl Variable for Se2 {
    fn kind() -> VariableKind {
        VariableKind::Se2
    }
}

impl Variable for Se3 {
    fn kind() -> VariableKind {
        VariableKind::Se3
    }
}

impl<const N: usize> Variable for Euclidean<N> {
    fn kind() -> VariableKind {
        VariableKind::Euclidean(N)
    }
}

/// Current estimate of every variable, stored contiguously.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    params: Vec<f64>,
    offsets: Vec<usize>,
    kinds: Vec<VariableKind>,
}

impl Values {
    /// Adds a variable and returns its key.
    pub fn insert<G: Variable>(&mut self, value: G) -> Key {
        let key = self.push_kind(G::kind());
        value.write_params(self.params_mut(key));
        key
    }

    /// Adds a variable of the given kind from its stored parameters.
    ///
    /// # Panics
    /// If `params.len()` differs from `kind.params()`.
    pub fn insert_params(&mut self, kind: VariableKind, params: &[f64]) -> Key {
        assert_eq!(params.len(), kind.params(), "parameter count of {kind:?}");
        let key = self.push_kind(kind);
        self.params_mut(key).copy_from_slice(params);
        key
    }

    fn push_kind(&mut self, kind: VariableKind) -> Key {
        let key = Key(self.kinds.len());
        self.offsets.push(self.params.len());
        self.kinds.push(kind);
        self.params.resize(self.params.len() + kind.params(), 0.0);
        key
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether there are no variables.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Kind of a variable.
    pub fn kind(&self, key: Key) -> VariableKind {
        self.kinds[key.0]
    }

    /// Stored parameters of a variable.
    #[inline]
    pub fn params(&self, key: Key) -> &[f64] {
        let o = self.offsets[key.0];
        &self.params[o..o + self.kinds[key.0].params()]
    }

    /// Mutable stored parameters of a variable.
    #[inline]
    pub fn params_mut(&mut self, key: Key) -> &mut [f64] {
        let o = self.offsets[key.0];
        let n = self.kinds[key.0].params();
        &mut self.params[o..o + n]
    }

    /// Reads a variable as its typed value.
    ///
    /// # Panics
    /// If the variable was stored as another kind: that is a programming error in a factor.
    #[inline]
    pub fn get<G: Variable>(&self, key: Key) -> G {
        debug_assert_eq!(
            self.kinds[key.0],
            G::kind(),
            "variable {key:?} has another kind"
        );
        G::from_params(self.params(key))
    }

    /// Overwrites a variable with a typed value of the same kind.
    pub fn set<G: Variable>(&mut self, key: Key, value: G) {
        assert_eq!(
            self.kinds[key.0],
            G::kind(),
            "variable {key:?} has another kind"
        );
        value.write_params(self.params_mut(key));
    }

    /// All stored parameters, variable after variable.
    pub fn as_slice(&self) -> &[f64] {
        &self.params
    }

    /// All stored parameters, mutable (same layout as [`Values::as_slice`]).
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// Offset of each variable's parameters in [`Values::as_slice`].
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }
}

/// One factor in a problem with its cost: a Mahalanobis cost s = eᵀΩe or a supervised loss
/// s = L(z, t), either one passed through a robust kernel ρ(s).
#[derive(Debug, Clone)]
pub struct FactorEntry {
    /// The residual function (or, for a loss factor, the model whose outputs z the loss
    /// compares with its targets), shared so that a problem can be cloned cheaply.
    pub factor: Arc<dyn Factor>,
    /// Information matrix Ω (inverse covariance) of the residual; `None` means the identity.
    /// Always `None` for a loss factor.
    pub information: Option<DMatrix<f64>>,
    /// Robust kernel; `None` means ρ(s) = s.
    pub kernel: Option<Arc<dyn RobustKernel>>,
    /// The supervised loss of a loss factor (see [`Problem::add_loss`]); `None` for a
    /// Mahalanobis cost.
    pub loss: Option<Arc<LossCost>>,
}

/// Errors raised while building a problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemError {
    /// A factor names a variable that does not exist.
    #[error("factor {factor} refers to variable {key} but the problem has {len} variables")]
    UnknownVariable {
        /// Index of the factor.
        factor: usize,
        /// The missing key.
        key: usize,
        /// Number of variables.
        len: usize,
    },
    /// The information matrix does not match the residual dimension or is not symmetric PD.
    #[error("factor {factor}: {reason}")]
    BadInformation {
        /// Index of the factor.
        factor: usize,
        /// What is wrong.
        reason: String,
    },
    /// The factor does not fit its variables (see [`Factor::validate`]).
    #[error("factor {factor}: {reason}")]
    BadFactor {
        /// Index of the factor.
        factor: usize,
        /// What is wrong.
        reason: String,
    },
    /// A loss factor's loss, targets and model do not fit together.
    #[error("loss factor {factor}: {reason}")]
    BadLoss {
        /// Index of the factor.
        factor: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A nonlinear least-squares problem: variables, factors and the fixed set.
///
/// ```
/// use rhopt::prelude::*;
/// let mut problem = Problem::new();
/// let a = problem.add_variable(Se2::new(0.0, 0.0, 0.0));
/// let b = problem.add_variable(Se2::new(0.9, 0.1, 0.0));
/// problem.add_factor(BetweenSe2::new(a, b, Se2::new(1.0, 0.0, 0.0)), None, None).unwrap();
/// problem.set_fixed(a, true);
/// let summary = Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
/// assert!(summary.final_chi2 < 1e-12);
/// let b_opt: Se2 = problem.values().get(b);
/// assert!((b_opt.translation().x - 1.0).abs() < 1e-9);
/// ```
#[derive(Debug, Default, Clone)]
pub struct Problem {
    values: Values,
    fixed: Vec<bool>,
    factors: Vec<FactorEntry>,
}

impl Problem {
    /// An empty problem.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a variable with its initial value.
    pub fn add_variable<G: Variable>(&mut self, initial: G) -> Key {
        self.fixed.push(false);
        self.values.insert(initial)
    }

    /// Adds a variable of the given kind from stored parameters.
    pub fn add_variable_params(&mut self, kind: VariableKind, params: &[f64]) -> Key {
        self.fixed.push(false);
        self.values.insert_params(kind, params)
    }

    /// Adds a factor with an optional information matrix (identity when `None`) and kernel.
    ///
    /// The information matrix must be square of the factor's residual dimension, symmetric and
    /// positive definite.
    pub fn add_factor(
        &mut self,
        factor: impl Factor + 'static,
        information: Option<DMatrix<f64>>,
        kernel: Option<Arc<dyn RobustKernel>>,
    ) -> Result<usize, ProblemError> {
        self.add_shared_factor(Arc::new(factor), information, kernel)
    }

    /// [`Problem::add_factor`] for a factor behind an `Arc` (one factor may then serve several
    /// problems).
    pub fn add_shared_factor(
        &mut self,
        factor: Arc<dyn Factor>,
        information: Option<DMatrix<f64>>,
        kernel: Option<Arc<dyn RobustKernel>>,
    ) -> Result<usize, ProblemError> {
        let index = self.check_factor(factor.as_ref())?;
        if let Some(info) = &information {
            check_information(info, factor.residual_dim()).map_err(|reason| {
                ProblemError::BadInformation {
                    factor: index,
                    reason,
                }
            })?;
        }
        self.factors.push(FactorEntry {
            factor,
            information,
            kernel,
            loss: None,
        });
        Ok(index)
    }

    /// Adds a loss factor: the cost is the supervised loss L(z(x), t) of a model's outputs
    /// z(x) ∈ Rⁿ, which `model` computes as its "residual" with the Jacobian ∂z/∂δ. The solver
    /// adds Jᵀ∂L/∂z to the gradient and Jᵀ C J, with the loss's PSD curvature C, to the normal
    /// equations, beside every other factor of the problem. Returns the factor's index (a
    /// kernel can be set on it with [`Problem::set_kernel`]: it then applies to s = L).
    ///
    /// Errors if the model's output dimension differs from what the loss expects for `targets`,
    /// or the targets are invalid for the loss.
    ///
    /// ```
    /// use rhopt::prelude::*;
    /// use rhopt::factor::{Factor, Jacobians};
    /// use rhopt::loss::{BceWithLogitsLoss, Reduction};
    ///
    /// /// Logistic regression logits zᵢ = w·xᵢ + b of a 2-vector (w, b).
    /// #[derive(Debug)]
    /// struct Logits { key: [Key; 1], x: Vec<f64> }
    /// impl Factor for Logits {
    ///     fn keys(&self) -> &[Key] { &self.key }
    ///     fn residual_dim(&self) -> usize { self.x.len() }
    ///     fn evaluate(&self, values: &Values, z: &mut [f64], jacobians: Option<&mut Jacobians>) {
    ///         let p = values.params(self.key[0]);
    ///         for (z, x) in z.iter_mut().zip(&self.x) { *z = p[0] * x + p[1]; }
    ///         if let Some(j) = jacobians {
    ///             let mut block = j.block_mut(0);
    ///             for (i, x) in self.x.iter().enumerate() { block[(i, 0)] = *x; block[(i, 1)] = 1.0; }
    ///         }
    ///     }
    /// }
    ///
    /// let mut problem = Problem::new();
    /// let k = problem.add_variable(Euclidean::<2>::zeros());
    /// let x = vec![-2.0, -1.0, -0.5, 0.5, 1.0, 2.0];
    /// let t = vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
    /// problem.add_loss(Logits { key: [k], x }, BceWithLogitsLoss::new(Reduction::Mean), t).unwrap();
    /// let summary = Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
    /// assert!(summary.converged());
    /// // At the minimum of a BCE-with-logits loss the residuals σ(z) − t sum to zero.
    /// let p = problem.values().params(k).to_vec();
    /// let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
    /// let sum: f64 = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0].iter().zip([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    ///     .map(|(x, t)| sigma(p[0] * x + p[1]) - t).sum();
    /// assert!(sum.abs() < 1e-6);
    /// ```
    pub fn add_loss(
        &mut self,
        model: impl Factor + 'static,
        loss: impl Loss + 'static,
        targets: impl Into<TargetData>,
    ) -> Result<usize, ProblemError> {
        let index = self.factors.len();
        let cost =
            LossCost::new(Arc::new(loss), targets.into()).map_err(|e| ProblemError::BadLoss {
                factor: index,
                reason: e.to_string(),
            })?;
        self.add_loss_cost(Arc::new(model), Arc::new(cost))
    }

    /// [`Problem::add_loss`] for a model and a loss cost behind `Arc`s, so that several problems
    /// (or several factors) can share them.
    pub fn add_loss_cost(
        &mut self,
        model: Arc<dyn Factor>,
        cost: Arc<LossCost>,
    ) -> Result<usize, ProblemError> {
        let index = self.check_factor(model.as_ref())?;
        if model.residual_dim() != cost.outputs() {
            return Err(ProblemError::BadLoss {
                factor: index,
                reason: format!(
                    "the model has {} outputs but loss `{}` expects {} for its targets",
                    model.residual_dim(),
                    cost.loss().name(),
                    cost.outputs()
                ),
            });
        }
        self.factors.push(FactorEntry {
            factor: model,
            information: None,
            kernel: None,
            loss: Some(cost),
        });
        Ok(index)
    }

    /// The index the next factor gets, after checking that every key of `factor` exists and
    /// that the factor accepts its variables.
    fn check_factor(&self, factor: &dyn Factor) -> Result<usize, ProblemError> {
        let index = self.factors.len();
        if let Some(key) = factor.keys().iter().find(|key| key.0 >= self.values.len()) {
            return Err(ProblemError::UnknownVariable {
                factor: index,
                key: key.0,
                len: self.values.len(),
            });
        }
        factor
            .validate(&self.values)
            .map_err(|reason| ProblemError::BadFactor {
                factor: index,
                reason,
            })?;
        Ok(index)
    }

    /// Holds a variable constant (or frees it again).
    pub fn set_fixed(&mut self, key: Key, fixed: bool) {
        self.fixed[key.0] = fixed;
    }

    /// Whether a variable is held constant.
    pub fn is_fixed(&self, key: Key) -> bool {
        self.fixed[key.0]
    }

    /// The current estimate.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// The current estimate, mutable.
    pub fn values_mut(&mut self) -> &mut Values {
        &mut self.values
    }

    /// The factors in insertion order.
    pub fn factors(&self) -> &[FactorEntry] {
        &self.factors
    }

    /// Replaces the kernel of one factor.
    pub fn set_kernel(&mut self, factor: usize, kernel: Option<Arc<dyn RobustKernel>>) {
        self.factors[factor].kernel = kernel;
    }

    /// Number of variables.
    pub fn num_variables(&self) -> usize {
        self.values.len()
    }
}

/// Checks that Ω is `dim × dim`, symmetric and positive definite.
pub fn check_information(info: &DMatrix<f64>, dim: usize) -> Result<(), String> {
    if info.nrows() != dim || info.ncols() != dim {
        return Err(format!(
            "information matrix is {}×{} but the residual has dimension {dim}",
            info.nrows(),
            info.ncols()
        ));
    }
    if info.iter().any(|v| !v.is_finite()) {
        return Err("information matrix has a NaN or infinite entry".into());
    }
    let scale = info.amax().max(1.0);
    if (info - info.transpose()).amax() > 1e-9 * scale {
        return Err("information matrix is not symmetric".into());
    }
    if info.clone().cholesky().is_none() {
        return Err("information matrix is not positive definite".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::testing::{angle, rotation_vector};
    use crate::manifold::{so3, Euclidean};
    use nalgebra::{Vector3, Vector4};
    use proptest::prelude::*;

    /// Central differences of `kind.retract` at `x` along each tangent direction.
    fn numeric_plus_jacobian(kind: VariableKind, x: &[f64]) -> DMatrix<f64> {
        let h = 1e-6;
        let mut jac = DMatrix::zeros(kind.params(), kind.dof());
        let (mut plus, mut minus) = (vec![0.0; kind.params()], vec![0.0; kind.params()]);
        for i in 0..kind.dof() {
            let mut delta = vec![0.0; kind.dof()];
            delta[i] = h;
            kind.retract(x, &delta, &mut plus);
            delta[i] = -h;
            kind.retract(x, &delta, &mut minus);
            for r in 0..kind.params() {
                jac[(r, i)] = (plus[r] - minus[r]) / (2.0 * h);
            }
        }
        jac
    }

    fn assert_plus_jacobian_matches(kind: VariableKind, x: &[f64]) {
        let mut analytic = DMatrix::from_element(kind.params(), kind.dof(), f64::NAN);
        kind.plus_jacobian(x, analytic.as_view_mut());
        let numeric = numeric_plus_jacobian(kind, x);
        let err = (&analytic - &numeric).amax();
        assert!(
            err < 1e-8,
            "{kind:?} at {x:?}: error {err:e}\n{analytic}{numeric}"
        );
    }

    fn params_of<G: Variable>(value: G) -> Vec<f64> {
        let mut p = vec![0.0; G::PARAMS];
        value.write_params(&mut p);
        p
    }

    proptest! {
        // Angles from `angle()` stay 1e-5 away from ±π, so the ±1e-6 steps never wrap θ.
        #[test]
        fn se2_plus_jacobian_matches_finite_differences(
            x in -5.0..5.0f64, y in -5.0..5.0f64, theta in angle(),
        ) {
            assert_plus_jacobian_matches(VariableKind::Se2, &params_of(Se2::new(x, y, theta)));
        }

        #[test]
        fn se3_plus_jacobian_matches_finite_differences(
            t in prop::array::uniform3(-5.0..5.0f64),
            omega in rotation_vector(angle()),
            flip in any::<bool>(),
        ) {
            let mut p = params_of(Se3::from_parts(Vector3::from(t), so3::exp(&omega)));
            if flip {
                // −q is the same rotation; its parameters move the opposite way.
                p[3..].iter_mut().for_each(|v| *v = -*v);
            }
            assert_plus_jacobian_matches(VariableKind::Se3, &p);
        }
    }

    #[test]
    fn euclidean_plus_jacobian_is_identity() {
        let p = params_of(Euclidean(Vector4::new(1.0, -2.0, 3.0, 0.5)));
        assert_plus_jacobian_matches(VariableKind::Euclidean(4), &p);
        let mut out = DMatrix::zeros(4, 4);
        VariableKind::Euclidean(4).plus_jacobian(&p, out.as_view_mut());
        assert_eq!(out, DMatrix::identity(4, 4));
    }
}
