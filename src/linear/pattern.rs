//! Block sparsity of the normal equations, analysed once per problem.
//!
//! The Hessian approximation H = JᵀWJ of a factor graph is block sparse: block (r, c) is non-zero
//! exactly when some factor touches both free variables r and c. [`HessianPattern`] turns that
//! block graph into the scalar lower-triangular CSC pattern that the sparse Cholesky consumes, and
//! records for every factor where each of its blocks lands, so that numeric assembly is a plain
//! scatter-add into preallocated storage with no searching and no allocation.
//!
//! Lower, not upper: faer's supernodal factorisation, the one used on all but the smallest
//! graphs, works on the lower triangle and would otherwise transpose H before every
//! factorisation (about 30 % of the factorisation phase on parking-garage in `perf`).

use nalgebra::{Const, Dim, Dyn};

/// Where one block of a factor's local Hessian lands in the global CSC values.
///
/// The local block is rows `local_row..local_row + rows` and columns
/// `local_col..local_col + cols` of the factor's dense local Hessian. Its column `j` lands in
/// global column `col + j`: an off-diagonal block (row block after the column block) at the rows
/// starting `row_pos` entries before the end of that column, `col_ptr[col + j + 1] - row_pos`;
/// within a block column every scalar column ends with the same off-diagonal block rows in the
/// same order, so one `row_pos` serves all columns of the block. A diagonal block keeps only its
/// lower triangle, which opens each of its columns: column `j`'s rows `j..rows` start at
/// `col_ptr[col + j]` (`row_pos` unused).
#[derive(Debug, Clone, Copy)]
pub struct BlockTarget {
    /// First row of the block in the factor's local Hessian.
    pub local_row: u32,
    /// First column of the block in the factor's local Hessian.
    pub local_col: u32,
    /// Tangent dimension of the row variable.
    pub rows: u32,
    /// Tangent dimension of the column variable.
    pub cols: u32,
    /// First global scalar column of the block.
    pub col: u32,
    /// Off-diagonal blocks: entries from the block's first row to the end of each of its CSC
    /// columns.
    pub row_pos: u32,
    /// Whether this is a diagonal block (only its lower triangle is stored).
    pub diagonal: bool,
    /// An off-diagonal block that lies above the diagonal of the local Hessian
    /// (`local_row < local_col`): it is read as the transpose of its mirror below the diagonal,
    /// so that only the local Hessian's lower triangle is ever read.
    pub transposed: bool,
}

/// A factor's dense local Hessian, column-major `n × n`.
#[derive(Clone, Copy)]
struct LocalHessian<'a> {
    values: &'a [f64],
    n: usize,
}

/// Where one free variable of a factor lands in the global gradient.
#[derive(Debug, Clone, Copy)]
pub struct GradientTarget {
    /// First entry in the factor's local gradient.
    pub local: u32,
    /// First entry in the global gradient.
    pub global: u32,
    /// Tangent dimension of the variable.
    pub dim: u32,
}

/// Description of one factor for [`HessianPattern::analyse`]: the system block (or `None` when the
/// variable is held fixed) and tangent dimension of each variable, in the factor's order.
pub type FactorBlocks<'a> = &'a [(Option<usize>, usize)];

/// Scalar lower-triangular CSC pattern of H plus per-factor scatter plans.
#[derive(Debug, Clone)]
pub struct HessianPattern {
    /// Tangent dimension of each system block (free variable).
    pub block_dims: Vec<usize>,
    /// First scalar index of each system block.
    pub block_offsets: Vec<usize>,
    /// Total number of scalar unknowns.
    pub dim: usize,
    /// CSC column pointers of the lower triangle (length `dim + 1`).
    pub col_ptr: Vec<usize>,
    /// CSC row indices of the lower triangle, sorted within each column (the diagonal first).
    pub row_idx: Vec<usize>,
    /// Position of every diagonal entry in the values array.
    pub diag_pos: Vec<usize>,
    /// Block-level upper pattern: for each block column, its block rows in ascending order.
    pub block_rows: Vec<Vec<usize>>,
    block_targets: Vec<BlockTarget>,
    block_target_ptr: Vec<usize>,
    gradient_targets: Vec<GradientTarget>,
    gradient_target_ptr: Vec<usize>,
}

impl HessianPattern {
    /// Analyses the block structure of a problem.
    ///
    /// `block_dims[b]` is the tangent dimension of system block `b`; `factors` yields, for every
    /// factor, the system block (or `None` for a fixed variable) and dimension of each variable.
    pub fn analyse<'a>(
        block_dims: &[usize],
        factors: impl Iterator<Item = FactorBlocks<'a>> + Clone,
    ) -> Self {
        let n_blocks = block_dims.len();
        let mut block_offsets = Vec::with_capacity(n_blocks);
        let mut dim = 0;
        for &d in block_dims {
            block_offsets.push(dim);
            dim += d;
        }
        let block_rows = Self::block_adjacency(n_blocks, factors.clone());
        // The transpose: for each block column c, the block rows r > c coupled with it.
        let mut lower_rows: Vec<Vec<usize>> = vec![Vec::new(); n_blocks];
        for (c, rows) in block_rows.iter().enumerate() {
            for &r in rows.iter().filter(|&&r| r < c) {
                lower_rows[r].push(c);
            }
        }

        // Scalar CSC: every scalar column j of block column c lists the diagonal block's rows
        // from j on, then the rows of all block rows r > c in full.
        let mut col_ptr = Vec::with_capacity(dim + 1);
        let mut row_idx = Vec::new();
        let mut diag_pos = Vec::with_capacity(dim);
        col_ptr.push(0);
        for (c, rows) in lower_rows.iter().enumerate() {
            let offset = block_offsets[c];
            for j in 0..block_dims[c] {
                diag_pos.push(row_idx.len());
                row_idx.extend(offset + j..offset + block_dims[c]);
                for &r in rows {
                    row_idx.extend(block_offsets[r]..block_offsets[r] + block_dims[r]);
                }
                col_ptr.push(row_idx.len());
            }
        }

        // Entries from block row r's first row to the end of each column of block column c.
        let row_pos_of = |r: usize, c: usize| -> usize {
            lower_rows[c]
                .iter()
                .skip_while(|&&x| x < r)
                .map(|&x| block_dims[x])
                .sum()
        };

        let mut block_targets = Vec::new();
        let mut block_target_ptr = vec![0];
        let mut gradient_targets = Vec::new();
        let mut gradient_target_ptr = vec![0];
        for vars in factors {
            let mut local_offsets = Vec::with_capacity(vars.len());
            let mut acc = 0;
            for &(_, d) in vars {
                local_offsets.push(acc);
                acc += d;
            }
            for (a, &(ba, da)) in vars.iter().enumerate() {
                let Some(ba) = ba else { continue };
                gradient_targets.push(GradientTarget {
                    local: local_offsets[a] as u32,
                    global: block_offsets[ba] as u32,
                    dim: da as u32,
                });
                for (b, &(bb, db)) in vars.iter().enumerate().skip(a) {
                    let Some(bb) = bb else { continue };
                    // Orient the pair so that the row block follows the column block.
                    let (r, c, lr, lc, dr, dc) = if ba >= bb {
                        (ba, bb, local_offsets[a], local_offsets[b], da, db)
                    } else {
                        (bb, ba, local_offsets[b], local_offsets[a], db, da)
                    };
                    block_targets.push(BlockTarget {
                        local_row: lr as u32,
                        local_col: lc as u32,
                        rows: dr as u32,
                        cols: dc as u32,
                        col: block_offsets[c] as u32,
                        row_pos: if r == c { 0 } else { row_pos_of(r, c) as u32 },
                        diagonal: r == c,
                        transposed: r != c && lr < lc,
                    });
                }
            }
            block_target_ptr.push(block_targets.len());
            gradient_target_ptr.push(gradient_targets.len());
        }

        Self {
            block_dims: block_dims.to_vec(),
            block_offsets,
            dim,
            col_ptr,
            row_idx,
            diag_pos,
            block_rows,
            block_targets,
            block_target_ptr,
            gradient_targets,
            gradient_target_ptr,
        }
    }

    /// The block-level upper pattern of H: for each block column, the block rows that some
    /// factor couples with it, ascending, the diagonal included (see
    /// [`HessianPattern::block_rows`]). Cheap: what a fill-reducing ordering needs before the
    /// scalar pattern is built.
    pub fn block_adjacency<'a>(
        n_blocks: usize,
        factors: impl Iterator<Item = FactorBlocks<'a>>,
    ) -> Vec<Vec<usize>> {
        let mut block_rows: Vec<Vec<usize>> = (0..n_blocks).map(|c| vec![c]).collect();
        for vars in factors {
            for (a, &(ba, _)) in vars.iter().enumerate() {
                for &(bb, _) in &vars[a + 1..] {
                    if let (Some(ba), Some(bb)) = (ba, bb) {
                        let (r, c) = if ba <= bb { (ba, bb) } else { (bb, ba) };
                        block_rows[c].push(r);
                    }
                }
            }
        }
        for rows in &mut block_rows {
            rows.sort_unstable();
            rows.dedup();
        }
        block_rows
    }

    /// Number of stored (upper-triangular) non-zeros.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }

    /// Calls `f(i, j, value)` with i ≤ j for every stored entry of the symmetric matrix with
    /// this pattern and the given CSC `values` (each stored lower entry (j, i) as its upper
    /// mirror (i, j)).
    pub fn for_each_upper(&self, values: &[f64], mut f: impl FnMut(usize, usize, f64)) {
        for (col, range) in self.col_ptr.windows(2).enumerate() {
            let (rows, entries) = (
                &self.row_idx[range[0]..range[1]],
                &values[range[0]..range[1]],
            );
            for (&row, &value) in rows.iter().zip(entries) {
                f(col, row, value);
            }
        }
    }

    /// Scatter plan of factor `k`'s local Hessian blocks.
    pub fn block_targets(&self, k: usize) -> &[BlockTarget] {
        &self.block_targets[self.block_target_ptr[k]..self.block_target_ptr[k + 1]]
    }

    /// Scatter plan of factor `k`'s local gradient.
    pub fn gradient_targets(&self, k: usize) -> &[GradientTarget] {
        &self.gradient_targets[self.gradient_target_ptr[k]..self.gradient_target_ptr[k + 1]]
    }

    /// Adds factor `k`'s dense local Hessian (column-major, `n × n`, only its lower triangle
    /// read) and local gradient into the global CSC values and gradient.
    #[inline]
    pub fn scatter(
        &self,
        k: usize,
        local_hessian: &[f64],
        local_gradient: &[f64],
        n: usize,
        values: &mut [f64],
        gradient: &mut [f64],
    ) {
        for t in self.block_targets(k) {
            self.add_block(t, local_hessian, n, values, 0);
        }
        for t in self.gradient_targets(k) {
            add_gradient(t, local_gradient, gradient, 0);
        }
    }

    /// Adds the block of a local Hessian (column-major, `n × n`, only its lower triangle read)
    /// that `t` describes into `values`, which holds the CSC values from global position `base`
    /// on.
    #[inline]
    pub(crate) fn add_block(
        &self,
        t: &BlockTarget,
        local_hessian: &[f64],
        n: usize,
        values: &mut [f64],
        base: usize,
    ) {
        let local = LocalHessian {
            values: local_hessian,
            n,
        };
        // Pose blocks get sizes known at compile time, so that their loops unroll.
        match (t.rows, t.cols) {
            (3, 3) => self.add_sized_block(t, local, values, base, Const::<3>, Const::<3>),
            (6, 6) => self.add_sized_block(t, local, values, base, Const::<6>, Const::<6>),
            (r, c) => {
                self.add_sized_block(t, local, values, base, Dyn(r as usize), Dyn(c as usize))
            }
        }
    }

    /// [`add_block`](Self::add_block) for a `rows × cols` block, the same as `t.rows × t.cols`.
    #[inline(always)]
    fn add_sized_block<R: Dim, C: Dim>(
        &self,
        t: &BlockTarget,
        local: LocalHessian<'_>,
        values: &mut [f64],
        base: usize,
        rows: R,
        cols: C,
    ) {
        let (lr, lc) = (t.local_row as usize, t.local_col as usize);
        let (block_rows, n) = (rows.value(), local.n);
        for j in 0..cols.value() {
            let column = t.col as usize + j;
            // (first global position, first local row, rows) of this column's part.
            let (start, first, rows) = if t.diagonal {
                (self.col_ptr[column], lr + j, block_rows - j)
            } else {
                (
                    self.col_ptr[column + 1] - t.row_pos as usize,
                    lr,
                    block_rows,
                )
            };
            let dst = &mut values[start - base..start - base + rows];
            if t.transposed {
                // Entry (lr + i, lc + j) read as its mirror (lc + j, lr + i).
                for (i, d) in dst.iter_mut().enumerate() {
                    *d += local.values[(first + i) * n + lc + j];
                }
            } else {
                let src = &local.values[(lc + j) * n + first..(lc + j) * n + first + rows];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
    }

    /// Number of factors the pattern was analysed for.
    pub fn factor_count(&self) -> usize {
        self.block_target_ptr.len() - 1
    }
}

/// Adds the part of a local gradient that `t` describes into `gradient`, which holds the global
/// gradient from position `base` on.
#[inline]
pub(crate) fn add_gradient(
    t: &GradientTarget,
    local_gradient: &[f64],
    gradient: &mut [f64],
    base: usize,
) {
    let (l, g, d) = (t.local as usize, t.global as usize - base, t.dim as usize);
    // Pose sizes known at compile time, so that the adds unroll, as for the blocks.
    match d {
        3 => add_slice::<3>(&mut gradient[g..g + 3], &local_gradient[l..l + 3]),
        6 => add_slice::<6>(&mut gradient[g..g + 6], &local_gradient[l..l + 6]),
        _ => {
            for (dst, s) in gradient[g..g + d].iter_mut().zip(&local_gradient[l..l + d]) {
                *dst += s;
            }
        }
    }
}

/// `dst += src` for slices of length `N` (the callers slice them so).
#[inline(always)]
fn add_slice<const N: usize>(dst: &mut [f64], src: &[f64]) {
    let dst: &mut [f64; N] = dst.try_into().expect("a slice of N entries");
    let src: &[f64; N] = src.try_into().expect("a slice of N entries");
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    /// Dense reference: builds H from the factors' local Hessians by direct indexing.
    fn dense_reference(
        block_dims: &[usize],
        factors: &[Vec<(Option<usize>, usize)>],
        locals: &[DMatrix<f64>],
    ) -> DMatrix<f64> {
        let offsets: Vec<usize> = block_dims
            .iter()
            .scan(0, |acc, d| {
                let o = *acc;
                *acc += d;
                Some(o)
            })
            .collect();
        let dim: usize = block_dims.iter().sum();
        let mut h = DMatrix::zeros(dim, dim);
        for (vars, local) in factors.iter().zip(locals) {
            let mut lo = 0;
            let local_offsets: Vec<usize> = vars
                .iter()
                .map(|&(_, d)| {
                    let o = lo;
                    lo += d;
                    o
                })
                .collect();
            for (a, &(ba, da)) in vars.iter().enumerate() {
                for (b, &(bb, db)) in vars.iter().enumerate() {
                    if let (Some(ba), Some(bb)) = (ba, bb) {
                        for i in 0..da {
                            for j in 0..db {
                                h[(offsets[ba] + i, offsets[bb] + j)] +=
                                    local[(local_offsets[a] + i, local_offsets[b] + j)];
                            }
                        }
                    }
                }
            }
        }
        h
    }

    #[test]
    fn scatter_matches_dense_assembly() {
        // Mixed block sizes, a fixed variable, reversed variable order and a repeated pair.
        let block_dims = [3, 6, 3, 2];
        let factors: Vec<Vec<(Option<usize>, usize)>> = vec![
            vec![(Some(0), 3), (Some(2), 3)],
            vec![(Some(2), 3), (Some(0), 3)],
            vec![(Some(1), 6), (None, 6)],
            vec![(Some(3), 2), (Some(1), 6), (Some(0), 3)],
            vec![(Some(3), 2)],
        ];
        let locals: Vec<DMatrix<f64>> = factors
            .iter()
            .enumerate()
            .map(|(k, vars)| {
                let n: usize = vars.iter().map(|v| v.1).sum();
                let a = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3 + k) % 11) as f64 - 5.0);
                &a + a.transpose()
            })
            .collect();
        let pattern = HessianPattern::analyse(&block_dims, factors.iter().map(|v| v.as_slice()));
        let mut values = vec![0.0; pattern.nnz()];
        let mut gradient = vec![0.0; pattern.dim];
        for (k, local) in locals.iter().enumerate() {
            let g = vec![1.0; local.nrows()];
            pattern.scatter(
                k,
                local.as_slice(),
                &g,
                local.nrows(),
                &mut values,
                &mut gradient,
            );
        }
        let reference = dense_reference(&block_dims, &factors, &locals);
        for c in 0..pattern.dim {
            let mut rows_seen = vec![];
            #[allow(clippy::needless_range_loop)] // p indexes both row_idx and values
            for p in pattern.col_ptr[c]..pattern.col_ptr[c + 1] {
                let r = pattern.row_idx[p];
                assert!(r >= c, "only the lower triangle is stored");
                assert_eq!(values[p], reference[(r, c)], "entry ({r}, {c})");
                rows_seen.push(r);
            }
            assert!(rows_seen.windows(2).all(|w| w[0] < w[1]), "rows sorted");
            assert_eq!(pattern.row_idx[pattern.diag_pos[c]], c);
        }
        // Every structurally non-zero upper entry of the reference is in the pattern.
        let stored: usize = (0..pattern.dim)
            .map(|c| {
                (c..pattern.dim)
                    .filter(|&r| reference[(r, c)] != 0.0)
                    .count()
            })
            .sum();
        assert!(stored <= pattern.nnz());
        // Gradient: each free variable gets one contribution per factor touching it.
        assert_eq!(&gradient[0..3], &[3.0; 3]);
        assert_eq!(&gradient[3..9], &[2.0; 6]);
    }
}
