//! Local systems of factors on two 3D poses, formed from the non-zero 3 × 3 blocks of their
//! Jacobians.
//!
//! A factor with a translation-and-rotation residual on two SE(3) poses has a 6 × 12 Jacobian of
//! eight 3 × 3 blocks, and some are zero at every estimate ([`PosePairBlocks`]): three for g2o's
//! relative-pose error, two for the log map's. When Ω does not correlate translation with rotation
//! either (true of every public 3D g2o dataset), the lower triangle of JᵀΩJ needs only the products
//! of non-zero blocks: for g2o's error 5 blocks of ΩJ and 9 block products, about 380
//! multiply-adds against 900 for the dense 6 × 12 product. That product dominates the
//! linearisation of 3D pose graphs.

use nalgebra::{DMatrix, Matrix3, SVector, Vector3};

use crate::factor::PosePairBlocks;
use crate::problem::FactorEntry;

/// Residual rows and Jacobian columns of a pose pair, in blocks of three.
const ROW_BLOCKS: usize = 2;
const COLUMN_BLOCKS: usize = 4;

/// How one factor's local system is formed from its Jacobian's non-zero blocks.
#[derive(Debug, Clone)]
pub(super) struct PosePairSystem {
    /// The non-zero blocks, as [`bits`].
    nonzero: u8,
    /// Ω's diagonal blocks (translation, rotation); the others are zero. Copied beside the
    /// structure so that the loop over factors reads them in order, not through each entry's
    /// heap-allocated matrix.
    information: [Matrix3<f64>; ROW_BLOCKS],
}

impl PosePairSystem {
    /// The block form for a factor with `columns` Jacobian columns, when its factor declares its
    /// zero blocks, its cost is Mahalanobis and Ω is block-diagonal; `None` otherwise.
    pub fn for_factor(entry: &FactorEntry, columns: usize) -> Option<Self> {
        let blocks = entry.factor.pose_pair_blocks()?;
        if entry.loss.is_some() || entry.factor.residual_dim() != 6 || columns != 12 {
            return None;
        }
        let information = match &entry.information {
            None => [Matrix3::identity(); ROW_BLOCKS],
            Some(info) if is_block_diagonal(info) => [
                info.fixed_view::<3, 3>(0, 0).into_owned(),
                info.fixed_view::<3, 3>(3, 3).into_owned(),
            ],
            Some(_) => return None,
        };
        Some(Self {
            nonzero: bits(&blocks),
            information,
        })
    }

    /// s = eᵀΩe and the whitened residual Ωe, by blocks.
    pub fn whiten(&self, e: &[f64]) -> (f64, [Vector3<f64>; ROW_BLOCKS]) {
        let e = [
            Vector3::new(e[0], e[1], e[2]),
            Vector3::new(e[3], e[4], e[5]),
        ];
        let whitened = [
            mul(&self.information[0], &e[0]),
            mul(&self.information[1], &e[1]),
        ];
        let chi2 = e[0].dot(&whitened[0]) + e[1].dot(&whitened[1]);
        (chi2, whitened)
    }

    /// Writes the lower triangle of H = w·JᵀΩJ (12 × 12, column-major; the zero blocks
    /// included) into `h`, from the column-major 6 × 12 Jacobian `jac`, and returns v = JᵀΩe
    /// from the `whitened` residual.
    pub fn system(
        &self,
        jac: &[f64],
        whitened: &[Vector3<f64>; ROW_BLOCKS],
        w: f64,
        h: &mut [f64],
    ) -> SVector<f64, 12> {
        // The structures of the relative-pose errors get code in which the zero blocks are known
        // at compile time; any other is formed as if all blocks were non-zero, which is still
        // right (its zero blocks only add zeros) and still uses Ω's block structure.
        const G2O: u8 = bits(&PosePairBlocks::RELATIVE_G2O);
        const LOG_MAP: u8 = bits(&PosePairBlocks::RELATIVE_LOG_MAP);
        match self.nonzero {
            G2O => self.form::<G2O>(jac, whitened, w, h),
            LOG_MAP => self.form::<LOG_MAP>(jac, whitened, w, h),
            _ => self.form::<{ u8::MAX }>(jac, whitened, w, h),
        }
    }

    /// [`system`](Self::system) for the blocks that `NONZERO` has bits for (see [`bits`]).
    // Indices name the blocks of J, ΩJ and H alike, as the formulas do.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn form<const NONZERO: u8>(
        &self,
        jac: &[f64],
        whitened: &[Vector3<f64>; ROW_BLOCKS],
        w: f64,
        h: &mut [f64],
    ) -> SVector<f64, 12> {
        let nz = |r: usize, c: usize| NONZERO >> block(r, c) & 1 == 1;
        // J and w·Ω·J block by block, block (r, c) at `block(r, c)`; zero blocks stay zero and
        // are never read. Flat arrays: nested ones were built by copying a zeroed row
        // through `memcpy`, 13 % of parking-garage's linearisation in `perf`.
        let mut j = [Matrix3::zeros(); ROW_BLOCKS * COLUMN_BLOCKS];
        let mut wj = [Matrix3::zeros(); ROW_BLOCKS * COLUMN_BLOCKS];
        for r in 0..ROW_BLOCKS {
            let weighted = self.information[r] * w;
            for c in 0..COLUMN_BLOCKS {
                if nz(r, c) {
                    let b = block(r, c);
                    j[b] = Matrix3::from_fn(|i, k| jac[(3 * c + k) * 6 + 3 * r + i]);
                    wj[b] = mul(&weighted, &j[b]);
                }
            }
        }
        for c in 0..COLUMN_BLOCKS {
            for r in c..COLUMN_BLOCKS {
                // Block (r, c) of H: Σ over residual blocks k of J[k][r]ᵀ·wΩ·J[k][c].
                let mut sum = Matrix3::zeros();
                for k in 0..ROW_BLOCKS {
                    if nz(k, r) && nz(k, c) {
                        sum += tr_mul(&j[block(k, r)], &wj[block(k, c)]);
                    }
                }
                for jj in 0..3 {
                    let start = (3 * c + jj) * 12 + 3 * r;
                    h[start..start + 3].copy_from_slice(sum.column(jj).as_slice());
                }
            }
        }
        let mut v = SVector::<f64, 12>::zeros();
        for c in 0..COLUMN_BLOCKS {
            let mut sum = Vector3::zeros();
            for k in 0..ROW_BLOCKS {
                if nz(k, c) {
                    sum += tr_mul(&j[block(k, c)], &whitened[k]);
                }
            }
            v.fixed_rows_mut::<3>(3 * c).copy_from(&sum);
        }
        v
    }
}

/// Index of the Jacobian's block (r, c) in row-major order: its bit in [`bits`] and its place
/// in [`PosePairSystem::form`]'s block arrays.
const fn block(r: usize, c: usize) -> usize {
    COLUMN_BLOCKS * r + c
}

/// The non-zero blocks as bits, block (r, c) at bit [`block`]`(r, c)`.
const fn bits(blocks: &PosePairBlocks) -> u8 {
    let mut bits = 0;
    let mut r = 0;
    while r < ROW_BLOCKS {
        let mut c = 0;
        while c < COLUMN_BLOCKS {
            if blocks.nonzero[r][c] {
                bits |= 1 << block(r, c);
            }
            c += 1;
        }
        r += 1;
    }
    bits
}

/// Whether Ω's translation-rotation blocks are zero.
fn is_block_diagonal(info: &DMatrix<f64>) -> bool {
    (0..3).all(|c| (3..6).all(|r| info[(r, c)] == 0.0 && info[(c, r)] == 0.0))
}

// The 3 × 3 products by hand: nalgebra's `Mul` is not inlined here, and a call per product
// costs as much as the product.

/// A·B for a 3 × 3 A and a 3 × C B.
#[inline(always)]
fn mul<const C: usize>(
    a: &Matrix3<f64>,
    b: &nalgebra::SMatrix<f64, 3, C>,
) -> nalgebra::SMatrix<f64, 3, C> {
    nalgebra::SMatrix::from_fn(|i, j| {
        a[(i, 0)] * b[(0, j)] + a[(i, 1)] * b[(1, j)] + a[(i, 2)] * b[(2, j)]
    })
}

/// Aᵀ·B for a 3 × 3 A and a 3 × C B.
#[inline(always)]
fn tr_mul<const C: usize>(
    a: &Matrix3<f64>,
    b: &nalgebra::SMatrix<f64, 3, C>,
) -> nalgebra::SMatrix<f64, 3, C> {
    nalgebra::SMatrix::from_fn(|i, j| {
        a[(0, i)] * b[(0, j)] + a[(1, i)] * b[(1, j)] + a[(2, i)] * b[(2, j)]
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nalgebra::{DMatrix, Matrix3, Vector6};

    use super::PosePairSystem;
    use crate::factor::{BetweenError, BetweenSe3, Factor, Jacobians, PosePairBlocks};
    use crate::generate::Rng;
    use crate::kernel::Cauchy;
    use crate::manifold::{LieGroup, Se3};
    use crate::problem::{Key, Problem, Values};
    use crate::solver::{Linearizer, Weighting};

    /// The same factor with other declared blocks: none, so that the linearizer forms its local
    /// system by the dense product, or all eight, a structure without compiled-in zeros.
    #[derive(Debug)]
    struct Declared(BetweenSe3, Option<PosePairBlocks>);

    impl Factor for Declared {
        fn keys(&self) -> &[Key] {
            self.0.keys()
        }
        fn residual_dim(&self) -> usize {
            self.0.residual_dim()
        }
        fn evaluate(
            &self,
            values: &Values,
            residual: &mut [f64],
            jacobians: Option<&mut Jacobians>,
        ) {
            self.0.evaluate(values, residual, jacobians)
        }
        fn pose_pair_blocks(&self) -> Option<PosePairBlocks> {
            self.1
        }
    }

    fn random_pose(rng: &mut Rng, scale: f64) -> Se3 {
        Se3::exp(&Vector6::from_fn(|_, _| scale * rng.normal()))
    }

    /// A random SPD 3 × 3 matrix.
    fn random_spd(rng: &mut Rng) -> Matrix3<f64> {
        let a = Matrix3::from_fn(|_, _| rng.normal());
        a * a.transpose() + Matrix3::identity()
    }

    /// Ω with translation and rotation blocks, coupled by `coupling` when it is non-zero.
    fn information(rng: &mut Rng, coupling: f64) -> DMatrix<f64> {
        let mut info = DMatrix::zeros(6, 6);
        info.view_mut((0, 0), (3, 3))
            .copy_from(&(random_spd(rng) * 10.0));
        info.view_mut((3, 3), (3, 3))
            .copy_from(&(random_spd(rng) * 100.0));
        info[(0, 4)] = coupling;
        info[(4, 0)] = coupling;
        info
    }

    /// Builds the same pose graph three times: with the relative-pose factors, with them
    /// declaring no blocks, and with them declaring all blocks non-zero.
    fn problems(rng: &mut Rng) -> [Problem; 3] {
        let poses: Vec<Se3> = (0..5).map(|_| random_pose(rng, 1.0)).collect();
        let (mut blocks, mut dense, mut all) = (Problem::new(), Problem::new(), Problem::new());
        let keys: Vec<Key> = poses.iter().map(|p| blocks.add_variable(*p)).collect();
        for p in &poses {
            dense.add_variable(*p);
            all.add_variable(*p);
        }
        let all_blocks = PosePairBlocks {
            nonzero: [[true; 4]; 2],
        };
        let edges = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 3), (1, 4), (0, 4)];
        for (n, &(i, j)) in edges.iter().enumerate() {
            // A noisy measurement, so that the residuals and the kernel weights are not trivial.
            let measured = poses[i].between(&poses[j]).compose(&random_pose(rng, 0.3));
            let error = if n % 2 == 0 {
                BetweenError::G2o
            } else {
                BetweenError::LogMap
            };
            let factor = BetweenSe3::with_error(keys[i], keys[j], measured, error);
            // The last edge's Ω couples translation and rotation: the dense product again.
            let info = (n != 3).then(|| information(rng, if n == 6 { 0.5 } else { 0.0 }));
            let kernel = (n % 3 != 0).then(|| Arc::new(Cauchy::new(1.0).unwrap()) as _);
            dense
                .add_factor(Declared(factor.clone(), None), info.clone(), kernel.clone())
                .unwrap();
            all.add_factor(
                Declared(factor.clone(), Some(all_blocks)),
                info.clone(),
                kernel.clone(),
            )
            .unwrap();
            blocks.add_factor(factor, info, kernel).unwrap();
        }
        [blocks, dense, all]
    }

    /// H and b of `problem` at its values; checks on the way that evaluating the cost alone
    /// gives the same totals to the bit, as the solver's acceptance test needs.
    fn normal_equations(problem: &Problem, weighting: Weighting) -> (Vec<f64>, Vec<f64>) {
        let mut lin = Linearizer::new(problem);
        lin.linearize(problem.factors(), problem.values(), weighting);
        let linearized = lin.totals();
        lin.evaluate(problem.factors(), problem.values());
        assert_eq!(lin.totals(), linearized);
        lin.assemble();
        (lin.hessian, lin.gradient)
    }

    #[test]
    fn block_local_systems_match_the_dense_product() {
        let mut rng = Rng::new(7);
        for _ in 0..10 {
            let [blocks, dense, all] = problems(&mut rng);
            let block_forms = |problem: &Problem| -> Vec<bool> {
                let factors = problem.factors().iter();
                factors
                    .map(|f| PosePairSystem::for_factor(f, 12).is_some())
                    .collect()
            };
            let expected = [true, true, true, true, true, true, false];
            assert_eq!(block_forms(&blocks), expected);
            assert_eq!(block_forms(&all), expected);
            assert_eq!(block_forms(&dense), [false; 7]);
            for weighting in [Weighting::Irls, Weighting::SecondOrder] {
                let (h_dense, g_dense) = normal_equations(&dense, weighting);
                for problem in [&blocks, &all] {
                    let (h, g) = normal_equations(problem, weighting);
                    for (a, b) in h.iter().zip(&h_dense).chain(g.iter().zip(&g_dense)) {
                        assert!((a - b).abs() <= 1e-11 * (1.0 + b.abs()), "{a} against {b}");
                    }
                }
            }
        }
    }
}
