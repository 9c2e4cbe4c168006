//! Factors: residual functions of one or more variables.
//!
//! A factor returns its plain residual e(x) ∈ Rᵈ and, when asked, the Jacobian of e with respect
//! to a right perturbation x ⊞ δ of each of its variables (see [`crate::manifold`]). Whitening by
//! the information matrix Ω and the robust kernel live outside the factor, in the
//! [`crate::problem::FactorEntry`], so a factor only describes geometry.

mod between;
mod linear;
mod prior;

pub use between::{Between, BetweenError, BetweenSe2, BetweenSe3, PoseGroup};
pub use linear::LinearModel;
pub use prior::{Prior, PriorSe2, PriorSe3};

use nalgebra::{DMatrixViewMut, SMatrix};

use crate::problem::{Key, Values};

/// Output buffer for a factor's Jacobians: one `d × dof(k)` block per variable, stored
/// column-major side by side in one `d × Σdof` matrix.
#[derive(Debug)]
pub struct Jacobians<'a> {
    data: &'a mut [f64],
    rows: usize,
    col_offsets: &'a [usize],
}

impl<'a> Jacobians<'a> {
    /// Wraps a column-major `rows × col_offsets.last()` buffer; `col_offsets[k]..col_offsets[k+1]`
    /// are the columns of variable `k`.
    pub fn new(data: &'a mut [f64], rows: usize, col_offsets: &'a [usize]) -> Self {
        debug_assert_eq!(data.len(), rows * col_offsets.last().copied().unwrap_or(0));
        Self {
            data,
            rows,
            col_offsets,
        }
    }

    /// The block of variable `k`, as a `d × dof(k)` matrix view.
    #[inline]
    pub fn block_mut(&mut self, k: usize) -> DMatrixViewMut<'_, f64> {
        let (c0, c1) = (self.col_offsets[k], self.col_offsets[k + 1]);
        DMatrixViewMut::from_slice(
            &mut self.data[c0 * self.rows..c1 * self.rows],
            self.rows,
            c1 - c0,
        )
    }

    /// Copies a matrix into the block of variable `k`.
    #[inline]
    pub fn set_block<const R: usize, const C: usize>(&mut self, k: usize, m: &SMatrix<f64, R, C>) {
        self.block_mut(k).copy_from(m);
    }
}

/// A residual function of one or more variables. Implement it for your own measurements.
///
/// ```
/// use rhopt::prelude::*;
/// use rhopt::factor::{Factor, Jacobians};
/// use nalgebra::Vector2;
///
/// /// A GPS-like measurement of a 2D pose's position.
/// #[derive(Debug)]
/// struct Position { key: [Key; 1], measured: Vector2<f64> }
///
/// impl Factor for Position {
///     fn keys(&self) -> &[Key] { &self.key }
///     fn residual_dim(&self) -> usize { 2 }
///     fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
///         let x: Se2 = values.get(self.key[0]);
///         let e = x.translation() - self.measured;
///         residual.copy_from_slice(e.as_slice());
///         if let Some(j) = jacobians {
///             // Right perturbation: t ← t + R δt, so ∂e/∂δ = [R, 0].
///             let mut block = j.block_mut(0);
///             block.fill(0.0);
///             block.view_mut((0, 0), (2, 2)).copy_from(&x.rotation_matrix());
///         }
///     }
/// }
/// let mut problem = Problem::new();
/// let k = problem.add_variable(Se2::new(1.0, 2.0, 0.5));
/// problem.add_factor(Position { key: [k], measured: Vector2::new(3.0, 4.0) }, None, None).unwrap();
/// Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
/// let x: Se2 = problem.values().get(k);
/// assert!((x.translation() - Vector2::new(3.0, 4.0)).norm() < 1e-6);
/// ```
pub trait Factor: Send + Sync + std::fmt::Debug {
    /// The variables this factor connects, in the order of its Jacobian blocks.
    fn keys(&self) -> &[Key];

    /// Dimension d of the residual.
    fn residual_dim(&self) -> usize;

    /// Writes e(x) into `residual` (length d) and, when `jacobians` is given, ∂e/∂δₖ for every
    /// variable k into its block (every entry must be written).
    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>);

    /// Checks, when the factor is added to a problem, that its variables are of the kinds and
    /// sizes it expects (`values` holds every key of [`Factor::keys`]); the reason it gives
    /// becomes [`crate::problem::ProblemError::BadFactor`]. The default accepts everything;
    /// factors whose `evaluate` would otherwise panic on a mismatch override it.
    fn validate(&self, values: &Values) -> Result<(), String> {
        let _ = values;
        Ok(())
    }

    /// The 3 × 3 blocks of the Jacobian that may be non-zero, for a factor with a residual of
    /// translation and rotation on two 3D poses. The linearizer then forms the local system from
    /// those blocks alone (when Ω does not correlate translation with rotation), so the blocks it
    /// declares zero must be zero at every estimate. The default, `None`, declares nothing.
    fn pose_pair_blocks(&self) -> Option<PosePairBlocks> {
        None
    }
}

/// Which 3 × 3 blocks of the 6 × 12 Jacobian of a factor on two 3D poses may be non-zero.
///
/// Rows are the residual's translation (0) and rotation (1) parts; columns the translation (0)
/// and rotation (1) of the first pose and those of the second (2, 3). Rotation residuals of
/// relative poses, for instance, never depend on translations.
///
/// ```
/// use rhopt::factor::{BetweenSe3, Factor, PosePairBlocks};
/// use rhopt::manifold::{LieGroup, Se3};
/// use rhopt::problem::Key;
///
/// let odometry = BetweenSe3::new(Key(0), Key(1), Se3::identity());
/// assert_eq!(odometry.pose_pair_blocks(), Some(PosePairBlocks::RELATIVE_G2O));
/// // The rotation rows (1) do not depend on the first pose's translation (column block 0).
/// assert!(!PosePairBlocks::RELATIVE_G2O.nonzero[1][0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosePairBlocks {
    /// `nonzero[r][c]`: whether rows `3r..3r + 3` may depend on columns `3c..3c + 3`.
    pub nonzero: [[bool; 4]; 2],
}

impl PosePairBlocks {
    /// g2o's relative-pose error ([`BetweenError::G2o`] on SE(3)): E's rotation, R_z⁻¹·Rᵢᵀ·Rⱼ,
    /// depends on no translation, and its translation, R_z⁻¹·Rᵢᵀ(tⱼ − tᵢ) + t_z⁻¹, not on Rⱼ.
    pub const RELATIVE_G2O: Self = Self {
        nonzero: [[true, true, true, false], [false, true, false, true]],
    };

    /// The log-map relative-pose error ([`BetweenError::LogMap`] on SE(3)): its rotation part
    /// depends on no translation; its translation part, V(ω)⁻¹·t, depends on everything else.
    pub const RELATIVE_LOG_MAP: Self = Self {
        nonzero: [[true, true, true, true], [false, true, false, true]],
    };
}

#[cfg(test)]
pub(crate) mod testing {
    //! Finite-difference check of any factor's Jacobians, shared by the factor tests.
    use super::*;
    use crate::problem::Values;
    use nalgebra::DMatrix;

    /// Analytic Jacobian of `factor` at `values` as one dense `d × Σdof` matrix.
    pub fn analytic_jacobian(factor: &dyn Factor, values: &Values) -> DMatrix<f64> {
        let d = factor.residual_dim();
        let offsets = column_offsets(factor, values);
        let mut data = vec![f64::NAN; d * offsets.last().unwrap()];
        let mut e = vec![0.0; d];
        factor.evaluate(
            values,
            &mut e,
            Some(&mut Jacobians::new(&mut data, d, &offsets)),
        );
        DMatrix::from_vec(d, *offsets.last().unwrap(), data)
    }

    fn column_offsets(factor: &dyn Factor, values: &Values) -> Vec<usize> {
        let mut offsets = vec![0];
        for k in factor.keys() {
            offsets.push(offsets.last().unwrap() + values.kind(*k).dof());
        }
        offsets
    }

    /// Central finite differences along right perturbations of every variable.
    pub fn numeric_jacobian(factor: &dyn Factor, values: &Values, h: f64) -> DMatrix<f64> {
        let d = factor.residual_dim();
        let offsets = column_offsets(factor, values);
        let mut jac = DMatrix::zeros(d, *offsets.last().unwrap());
        for (slot, key) in factor.keys().iter().enumerate() {
            let kind = values.kind(*key);
            for i in 0..kind.dof() {
                let eval = |sign: f64| {
                    let mut delta = vec![0.0; kind.dof()];
                    delta[i] = sign * h;
                    let mut v = values.clone();
                    let x = v.params(*key).to_vec();
                    kind.retract(&x, &delta, v.params_mut(*key));
                    let mut e = vec![0.0; d];
                    factor.evaluate(&v, &mut e, None);
                    e
                };
                let (ep, em) = (eval(1.0), eval(-1.0));
                for r in 0..d {
                    jac[(r, offsets[slot] + i)] = (ep[r] - em[r]) / (2.0 * h);
                }
            }
        }
        jac
    }

    /// Asserts analytic and numeric Jacobians agree to `tol` (absolute, scaled by magnitude),
    /// and that both vanish on the blocks [`Factor::pose_pair_blocks`] declares zero.
    pub fn assert_jacobians_match(factor: &dyn Factor, values: &Values, tol: f64) {
        let a = analytic_jacobian(factor, values);
        let n = numeric_jacobian(factor, values, 1e-6);
        let err = (&a - &n).amax();
        assert!(
            err <= tol * (1.0 + n.amax()),
            "Jacobian mismatch {err:e}\nanalytic {a}\nnumeric {n}"
        );
        if let Some(blocks) = factor.pose_pair_blocks() {
            assert_eq!(
                a.shape(),
                (6, 12),
                "pose-pair blocks on a non-6 × 12 Jacobian"
            );
            for (r, row) in blocks.nonzero.iter().enumerate() {
                for (c, _) in row.iter().enumerate().filter(|(_, nonzero)| !**nonzero) {
                    for m in [&a, &n] {
                        let block = m.view((3 * r, 3 * c), (3, 3)).amax();
                        assert!(
                            block <= tol * (1.0 + n.amax()),
                            "block ({r}, {c}) declared zero is {block:e}\nanalytic {a}\nnumeric {n}"
                        );
                    }
                }
            }
        }
    }
}
