//! A problem's objective as a plain function of a parameter vector, for general-purpose
//! minimisers (argmin's L-BFGS, line searches, trust regions) — with argmin's traits behind the
//! `argmin` cargo feature.
//!
//! [`Objective`] evaluates F(x₀ ⊞ δ) = Σρ(s) of a [`Problem`] at its starting point x₀ moved by a
//! stacked tangent vector δ of its free variables (for Euclidean variables simply x₀ + δ), with
//! the exact gradient and, for small problems, the solver's PSD curvature as a Hessian.
//!
//! # Which minimiser
//!
//! * **rhopt's Gauss-Newton / Levenberg-Marquardt** ([`crate::solver::Solver`]) for sums of
//!   squares and for losses whose curvature is exact or a tight majoriser (MSE, Huber, BCE,
//!   cross-entropy, L1 and hinge by IRLS): it uses second-order information, exploits sparsity
//!   and converges in few iterations. The default for every pose graph.
//! * **argmin's L-BFGS on an [`Objective`]** where the loss's curvature is only a PSD surrogate
//!   of an indefinite Hessian (Dice, IoU, focal; see [`crate::loss`]): the surrogate can make
//!   LM take short steps, while L-BFGS builds its own curvature from gradients. Also for
//!   objectives with few parameters whose Gauss-Newton model is poor far from the optimum.
//!   It is first order: hundreds of iterations on a large pose graph, so not for those.
//!
//! ```
//! use nalgebra::DMatrix;
//! use rhopt::objective::Objective;
//! use rhopt::prelude::*;
//! use rhopt::loss::MseLoss;
//!
//! // Least-squares line z = m·x + c through (0, 1), (1, 3), (2, 5): F = Σ(z − t)².
//! let design = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 1.0, 2.0, 1.0]);
//! let mut problem = Problem::new();
//! let k = problem.add_variable(Euclidean::<2>::zeros());
//! problem
//!     .add_loss(LinearModel::new(k, design), MseLoss::new(Reduction::Sum), vec![1.0, 3.0, 5.0])
//!     .unwrap();
//! let objective = Objective::new(&problem);
//! assert_eq!(objective.dim(), 2);
//! assert_eq!(objective.cost(&[0.0, 0.0]), 35.0);
//! // ∂F/∂m = Σ 2(z − t)x = −26, ∂F/∂c = Σ 2(z − t) = −18 at the start.
//! assert_eq!(objective.gradient(&[0.0, 0.0]), vec![-26.0, -18.0]);
//! assert!(objective.cost(&[2.0, 1.0]) < 1e-20);
//! ```

use std::sync::Mutex;

use nalgebra::DMatrix;

use crate::problem::{Key, Problem, Values};
use crate::solver::{retract_all, Linearizer, Weighting};

/// F(x₀ ⊞ δ) of a problem as a function of δ ∈ Rⁿ, n the free degrees of freedom, in the order
/// the variables were added (fixed variables take no entries).
///
/// Evaluation reuses one linearizer behind a mutex, so an `Objective` is `Sync` and can be
/// handed to argmin as is; concurrent calls are serialised.
#[derive(Debug)]
pub struct Objective {
    problem: Problem,
    state: Mutex<State>,
    /// The free variables, in the order they were added.
    free: Vec<FreeVariable>,
    dim: usize,
}

/// Where a free variable's entries sit: in δ, which follows the order the variables were
/// added, and in the solver's system, which follows the elimination order.
#[derive(Debug, Clone, Copy)]
struct FreeVariable {
    key: Key,
    offset: usize,
    system: usize,
    dof: usize,
}

#[derive(Debug)]
struct State {
    lin: Linearizer,
    trial: Values,
    /// δ in the system's order.
    step: Vec<f64>,
}

impl Objective {
    /// The objective of `problem` around its current values x₀ (the problem is copied; its
    /// factors are shared).
    pub fn new(problem: &Problem) -> Self {
        let lin = Linearizer::new(problem);
        let mut free = Vec::new();
        let mut offset = 0;
        for (i, block) in lin.var_block.iter().enumerate() {
            if let Some(b) = *block {
                let dof = lin.pattern.block_dims[b];
                let system = lin.pattern.block_offsets[b];
                free.push(FreeVariable {
                    key: Key(i),
                    offset,
                    system,
                    dof,
                });
                offset += dof;
            }
        }
        Self {
            problem: problem.clone(),
            dim: lin.pattern.dim,
            free,
            state: Mutex::new(State {
                trial: problem.values().clone(),
                step: vec![0.0; lin.pattern.dim],
                lin,
            }),
        }
    }

    /// Number of entries of δ.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The values x₀ ⊞ δ.
    ///
    /// # Panics
    /// If `delta.len() != self.dim()`.
    pub fn values_at(&self, delta: &[f64]) -> Values {
        let mut state = self.lock(delta);
        self.retract(&mut state, delta);
        state.trial.clone()
    }

    /// Writes x₀ ⊞ δ into `problem` (which must have this objective's structure, e.g. the
    /// problem it was built from), e.g. to continue with rhopt's solver after a minimiser.
    ///
    /// # Panics
    /// If `delta.len() != self.dim()` or `problem` has other variables.
    pub fn apply(&self, delta: &[f64], problem: &mut Problem) {
        let values = self.values_at(delta);
        assert_eq!(
            values.len(),
            problem.num_variables(),
            "apply: other problem"
        );
        *problem.values_mut() = values;
    }

    /// F(x₀ ⊞ δ) = Σρ(s); NaN where a loss factor rejects its model's outputs.
    ///
    /// # Panics
    /// If `delta.len() != self.dim()`.
    pub fn cost(&self, delta: &[f64]) -> f64 {
        let mut state = self.lock(delta);
        self.retract(&mut state, delta);
        let State { lin, trial, .. } = &mut *state;
        lin.evaluate(self.problem.factors(), trial);
        lin.totals().1
    }

    /// ∂F(x₀ ⊞ δ)/∂δ, exact (the factors' Jacobians chained with the right Jacobian of ⊞).
    ///
    /// # Panics
    /// If `delta.len() != self.dim()`.
    pub fn gradient(&self, delta: &[f64]) -> Vec<f64> {
        let state = self.linearize(delta);
        // The solver's b is half the gradient with respect to a right perturbation at x₀ ⊞ δ.
        let b = &state.lin.gradient;
        let mut out = vec![0.0; self.dim];
        for (v, jr) in self.right_jacobians(delta) {
            for c in 0..v.dof {
                out[v.offset + c] = 2.0
                    * (0..v.dof)
                        .map(|r| jr[(r, c)] * b[v.system + r])
                        .sum::<f64>();
            }
        }
        out
    }

    /// The solver's curvature of F at x₀ ⊞ δ as a dense n × n matrix: 2·Σρ'JᵀĈJ (the
    /// Gauss-Newton Hessian for least-squares factors, the losses' PSD curvatures for loss
    /// factors), chained with the right Jacobians of ⊞. PSD, and exact only where the factors
    /// are linear and the losses' curvatures exact. Dense, so for small problems.
    ///
    /// # Panics
    /// If `delta.len() != self.dim()`.
    pub fn hessian(&self, delta: &[f64]) -> DMatrix<f64> {
        // Where each entry of δ sits in the system.
        let system_index: Vec<usize> = self
            .free
            .iter()
            .flat_map(|v| v.system..v.system + v.dof)
            .collect();
        let state = self.linearize(delta);
        let mut h_system = DMatrix::zeros(self.dim, self.dim);
        state
            .lin
            .pattern
            .for_each_upper(&state.lin.hessian, |i, j, v| {
                h_system[(i, j)] = 2.0 * v;
                h_system[(j, i)] = 2.0 * v;
            });
        drop(state);
        let h = DMatrix::from_fn(self.dim, self.dim, |i, j| {
            h_system[(system_index[i], system_index[j])]
        });
        // H_δ = Jrᵀ H_ε Jr with Jr block diagonal.
        let mut jr = DMatrix::zeros(self.dim, self.dim);
        for (v, block) in self.right_jacobians(delta) {
            jr.view_mut((v.offset, v.offset), block.shape())
                .copy_from(&block);
        }
        jr.transpose() * h * jr
    }

    fn lock(&self, delta: &[f64]) -> std::sync::MutexGuard<'_, State> {
        assert_eq!(delta.len(), self.dim, "Objective: δ has the wrong length");
        // A panic in another caller cannot leave the state inconsistent: every call rewrites
        // what it reads.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn retract(&self, state: &mut State, delta: &[f64]) {
        let State { lin, trial, step } = state;
        for v in &self.free {
            step[v.system..v.system + v.dof].copy_from_slice(&delta[v.offset..v.offset + v.dof]);
        }
        retract_all(
            self.problem.values(),
            &lin.var_block,
            &lin.pattern.block_offsets,
            step,
            trial,
        );
    }

    fn linearize(&self, delta: &[f64]) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.lock(delta);
        self.retract(&mut state, delta);
        let State { lin, trial, .. } = &mut *state;
        lin.linearize(self.problem.factors(), trial, Weighting::Irls);
        lin.assemble();
        state
    }

    /// Every free variable with its right Jacobian Jr(δₖ).
    fn right_jacobians<'a>(
        &'a self,
        delta: &'a [f64],
    ) -> impl Iterator<Item = (FreeVariable, DMatrix<f64>)> + 'a {
        let values = self.problem.values();
        self.free.iter().map(move |v| {
            let jr = values
                .kind(v.key)
                .right_jacobian(&delta[v.offset..v.offset + v.dof]);
            (*v, jr)
        })
    }
}

#[cfg(feature = "argmin")]
mod argmin_traits {
    //! argmin's problem traits on `Vec<f64>` parameters (argmin-math's `vec` backend, which
    //! L-BFGS, the line searches and Newton's method support).

    use super::Objective;
    use argmin::core::{CostFunction, Error, Gradient, Hessian};

    impl CostFunction for Objective {
        type Param = Vec<f64>;
        type Output = f64;

        fn cost(&self, param: &Vec<f64>) -> Result<f64, Error> {
            check_len(self, param)?;
            Ok(Objective::cost(self, param))
        }
    }

    impl Gradient for Objective {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;

        fn gradient(&self, param: &Vec<f64>) -> Result<Vec<f64>, Error> {
            check_len(self, param)?;
            Ok(Objective::gradient(self, param))
        }
    }

    impl Hessian for Objective {
        type Param = Vec<f64>;
        type Hessian = Vec<Vec<f64>>;

        /// [`Objective::hessian`] as rows.
        fn hessian(&self, param: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
            check_len(self, param)?;
            let h = Objective::hessian(self, param);
            Ok(h.row_iter().map(|r| r.iter().copied().collect()).collect())
        }
    }

    /// argmin hands over whatever parameter vector it was given: a wrong length is an error,
    /// not a panic.
    fn check_len(objective: &Objective, param: &[f64]) -> Result<(), Error> {
        if param.len() == objective.dim() {
            Ok(())
        } else {
            Err(argmin::core::ArgminError::InvalidParameter {
                text: format!(
                    "the parameter vector has {} entries but the problem has {} free degrees of freedom",
                    param.len(),
                    objective.dim()
                ),
            }
            .into())
        }
    }
}
