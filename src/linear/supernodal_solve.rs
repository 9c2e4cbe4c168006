//! Triangular solves with a supernodal Cholesky factor from faer: L y = b, then Lᵀ x = y, with
//! one right-hand side, in place.
//!
//! Supernode `s` of faer's storage is a column-major block of its columns, the diagonal block on
//! top, then the rows of its pattern; every pattern row lies in an ancestor of `s` in the
//! elimination tree. Two disjoint subtrees therefore never touch each other's entries of x, and
//! the solves treat two groups of subtrees at once ([`SupernodalSolver`]).

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::sparse::linalg::cholesky::supernodal::SymbolicSupernodalCholesky;
use faer::{Accum, MatMut, MatRef, Par};

/// Supernodes whose off-diagonal block (columns × pattern rows) has at most this many entries
/// are solved with plain loops, larger ones with faer's dense kernels (see
/// [`SupernodalSolver`]).
const SMALL_SUPERNODE_ENTRIES: usize = 256;

/// Whether a supernode of `width` columns with `pattern` rows below them is solved by
/// [`SupernodalSolver`]'s plain loops. A supernode with no rows below (a root of the
/// elimination forest) counts as having one, so it takes the loops up to 256 columns: on the
/// public graphs that was within noise of faer's kernels (sphere2500, torus3D).
pub(super) fn is_small_supernode(width: usize, pattern: usize) -> bool {
    width * pattern.max(1) <= SMALL_SUPERNODE_ENTRIES
}

/// One supernode of L and the parts of x it touches.
struct Supernode<'a> {
    /// Number of columns.
    width: usize,
    /// Rows of its block: `width` plus the pattern's.
    rows: usize,
    /// Rows below the diagonal block, all after the supernode's last column.
    pattern: &'a [usize],
    /// The `rows × width` block, column-major, diagonal block on top.
    values: &'a [f64],
    /// x at the supernode's columns.
    top: &'a mut [f64],
    /// x after the supernode's last column, where all rows of `pattern` lie.
    below: &'a mut [f64],
    /// The row of x where `below` starts.
    below_start: usize,
}

impl<'a> Supernode<'a> {
    fn new(
        symbolic: &'a SymbolicSupernodalCholesky<usize>,
        l: &'a [f64],
        x: &'a mut [f64],
        s: usize,
    ) -> Self {
        let begin = symbolic.supernode_begin()[s];
        let width = symbolic.supernode_end()[s] - begin;
        let pattern = &symbolic.row_idx()
            [symbolic.col_ptr_for_row_idx()[s]..symbolic.col_ptr_for_row_idx()[s + 1]];
        let values = &l[symbolic.col_ptr_for_val()[s]..symbolic.col_ptr_for_val()[s + 1]];
        let (head, below) = x.split_at_mut(begin + width);
        Self {
            width,
            rows: width + pattern.len(),
            pattern,
            values,
            top: &mut head[begin..],
            below,
            below_start: begin + width,
        }
    }

    /// The diagonal (lower-triangular) and off-diagonal blocks, for faer's dense kernels.
    fn blocks(&self) -> (MatRef<'a, f64>, MatRef<'a, f64>) {
        MatRef::from_column_major_slice(self.values, self.rows, self.width).split_at_row(self.width)
    }
}

/// The fewest supernodes for which [`SupernodalSolver`] looks for two groups of subtrees: below
/// that a solve takes microseconds and the split would not pay for itself.
const MIN_SUPERNODES_TO_SPLIT: usize = 32;

/// The most of L, in entries, that the supernodes above the two groups may hold for the split
/// to be used: they are solved on one thread.
const MAX_TOP_SHARE: f64 = 0.25;

/// The least of L, in entries, that each group must hold for the split to be used.
const MIN_GROUP_SHARE: f64 = 0.2;

/// Solves L Lᵀ x = b for a supernodal factor L, on up to two threads.
///
/// At analysis it looks for two groups of disjoint subtrees of the supernodal elimination tree
/// of similar size, with the rest (the supernodes above them, `top`) small. The forward solve
/// then runs the two groups at once: the first on x, the second on its own copy, where the
/// entries of the top supernodes start at zero and collect the second group's updates; those are
/// added into x before the top is solved. The backward solve runs the top first, then the two
/// groups at once, each reading the top's solved entries. Which group runs where and in which
/// order their updates reach x is fixed by the structure alone, so the result is the same for any
/// number of threads.
///
/// faer's own solve treats every supernode as a dense triangular solve plus a matrix product
/// through its general kernels. Most supernodes of a pose graph are one to a few poses wide with
/// a short pattern, where setting up those calls costs more than the arithmetic, so small
/// supernodes ([`SMALL_SUPERNODE_ENTRIES`]) are solved here with plain loops over the same
/// storage (supernode `s`: a column-major block of its columns, the diagonal block on top, then
/// the rows of its pattern). Larger ones go through faer's vectorised kernels exactly as in
/// faer's solve. Measured with `cargo bench --bench solve -- iteration` (one thread, two
/// alternating runs): the triangular solves 30 % faster on manhattanOlson3500 and the generated
/// Manhattan world, 15 % on city10000, 5–9 % on parking-garage, within noise on sphere2500 and
/// torus3D. Splitting by width alone (loops below 16 columns) was 30 % slower on torus3D, whose
/// narrow supernodes have long patterns.
#[derive(Debug, Clone)]
pub(super) struct SupernodalSolver {
    /// Supernodes of the two groups of subtrees, ascending (both empty without a split).
    groups: [Vec<usize>; 2],
    /// The remaining supernodes, ascending: every supernode when there is no split.
    top: Vec<usize>,
    /// Room for one supernode's pattern, one per group.
    buffers: [Vec<f64>; 2],
    /// The second group's copy of x (its own columns and the top's are used).
    second_x: Vec<f64>,
}

impl SupernodalSolver {
    /// Plans the solves for `symbolic`'s elimination tree and allocates their buffers.
    pub(super) fn new(symbolic: &SymbolicSupernodalCholesky<usize>) -> Self {
        let longest_pattern = symbolic
            .col_ptr_for_row_idx()
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0);
        let (groups, top) = match split_subtrees(symbolic) {
            Some((groups, top)) => (groups, top),
            None => (
                [Vec::new(), Vec::new()],
                (0..symbolic.n_supernodes()).collect(),
            ),
        };
        let split = !groups[0].is_empty();
        Self {
            groups,
            top,
            buffers: [vec![0.0; longest_pattern], vec![0.0; longest_pattern]],
            second_x: vec![0.0; if split { symbolic.nrows() } else { 0 }],
        }
    }

    /// Whether the solves run two groups of subtrees at once.
    #[cfg(test)]
    pub(super) fn is_split(&self) -> bool {
        !self.groups[0].is_empty()
    }

    /// Solves L Lᵀ x = b in place, `x` holding b on entry; `l` holds L's values.
    pub(super) fn solve_in_place(
        &mut self,
        symbolic: &SymbolicSupernodalCholesky<usize>,
        l: &[f64],
        x: &mut [f64],
    ) {
        let Self {
            groups: [first, second],
            top,
            buffers: [buffer, second_buffer],
            second_x,
        } = self;
        let columns = |s: usize| symbolic.supernode_begin()[s]..symbolic.supernode_end()[s];
        let copy = |from: &[f64], to: &mut [f64], supernodes: &[usize]| {
            for &s in supernodes {
                to[columns(s)].copy_from_slice(&from[columns(s)]);
            }
        };
        // L y = b: the groups at once, the second collecting its updates of the top's entries
        // from zero; then those updates into x and the top.
        if !first.is_empty() {
            copy(x, second_x, second);
            for &s in top.iter() {
                second_x[columns(s)].fill(0.0);
            }
            rayon::join(
                || forward(symbolic, l, x, first, buffer),
                || forward(symbolic, l, second_x, second, second_buffer),
            );
            copy(second_x, x, second);
            for &s in top.iter() {
                for (x, update) in x[columns(s)].iter_mut().zip(&second_x[columns(s)]) {
                    *x += update;
                }
            }
        }
        forward(symbolic, l, x, top, buffer);
        // Lᵀ x = y: the top, then the groups at once, both reading the top's solution. The
        // second group's own entries of its copy still hold its part of y: the top's solves
        // touch only the top's entries.
        backward(symbolic, l, x, top, buffer);
        if !first.is_empty() {
            copy(x, second_x, top);
            rayon::join(
                || backward(symbolic, l, x, first, buffer),
                || backward(symbolic, l, second_x, second, second_buffer),
            );
            copy(second_x, x, second);
        }
    }
}

/// Two groups of disjoint subtrees of the supernodal elimination tree, each holding at least
/// [`MIN_GROUP_SHARE`] of L, and the supernodes above them (at most [`MAX_TOP_SHARE`] of L);
/// `None` when the tree has no such split. Every list is ascending.
///
/// Starting from the roots, the subtree that holds more than half of all the subtrees under
/// consideration is replaced by its children (its root joins the top) until none does; the
/// subtrees are then dealt, largest first, to the lighter group.
fn split_subtrees(
    symbolic: &SymbolicSupernodalCholesky<usize>,
) -> Option<([Vec<usize>; 2], Vec<usize>)> {
    let n = symbolic.n_supernodes();
    if n < MIN_SUPERNODES_TO_SPLIT {
        return None;
    }
    let begin = symbolic.supernode_begin();
    let entries = |s: usize| symbolic.col_ptr_for_val()[s + 1] - symbolic.col_ptr_for_val()[s];
    let pattern_ptr = symbolic.col_ptr_for_row_idx();
    // The parent is the supernode holding the pattern's first (smallest) row; it comes later.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    let mut subtree: Vec<usize> = (0..n).map(entries).collect();
    for s in 0..n {
        match symbolic.row_idx()[pattern_ptr[s]..pattern_ptr[s + 1]]
            .iter()
            .min()
        {
            Some(&row) => {
                let parent = begin[..n].partition_point(|&b| b <= row) - 1;
                children[parent].push(s);
                subtree[parent] += subtree[s];
            }
            None => roots.push(s),
        }
    }
    let total: usize = roots.iter().map(|&r| subtree[r]).sum();
    let mut frontier = roots;
    let mut top = Vec::new();
    let mut top_entries = 0;
    loop {
        let frontier_entries: usize = frontier.iter().map(|&s| subtree[s]).sum();
        let (i, &largest) = frontier
            .iter()
            .enumerate()
            .max_by_key(|&(_, &s)| subtree[s])?;
        if 2 * subtree[largest] <= frontier_entries {
            break;
        }
        top.push(largest);
        top_entries += entries(largest);
        if top_entries as f64 > MAX_TOP_SHARE * total as f64 {
            return None;
        }
        frontier.swap_remove(i);
        frontier.extend_from_slice(&children[largest]);
    }
    frontier.sort_by_key(|&s| std::cmp::Reverse(subtree[s]));
    let mut groups: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    let mut group_entries = [0, 0];
    for root in frontier {
        let g = usize::from(group_entries[1] < group_entries[0]);
        group_entries[g] += subtree[root];
        // The whole subtree under `root`.
        let mut stack = vec![root];
        while let Some(s) = stack.pop() {
            groups[g].push(s);
            stack.extend_from_slice(&children[s]);
        }
    }
    if group_entries
        .iter()
        .any(|&e| (e as f64) < MIN_GROUP_SHARE * total as f64)
    {
        return None;
    }
    for list in groups.iter_mut().chain(std::iter::once(&mut top)) {
        list.sort_unstable();
    }
    Some((groups, top))
}

/// L y = b over `supernodes` (ascending), in place in `x`; `buffer` holds at least as many
/// entries as the longest pattern among them.
fn forward(
    symbolic: &SymbolicSupernodalCholesky<usize>,
    l: &[f64],
    x: &mut [f64],
    supernodes: &[usize],
    buffer: &mut [f64],
) {
    for &s in supernodes {
        let node = Supernode::new(symbolic, l, x, s);
        let (width, pattern) = (node.width, node.pattern);
        if !is_small_supernode(width, pattern.len()) {
            let (diagonal, off_diagonal) = node.blocks();
            let mut top = MatMut::from_column_major_slice_mut(node.top, width, 1);
            solve_lower_triangular_in_place(diagonal, top.rb_mut(), Par::Seq);
            let product = &mut buffer[..pattern.len()];
            matmul(
                MatMut::from_column_major_slice_mut(&mut *product, pattern.len(), 1),
                Accum::Replace,
                off_diagonal,
                top.rb(),
                1.0,
                Par::Seq,
            );
            for (&r, p) in pattern.iter().zip(product.iter()) {
                node.below[r - node.below_start] -= p;
            }
            continue;
        }
        let (top, below, below_start) = (node.top, node.below, node.below_start);
        for j in 0..width {
            let column = &node.values[j * node.rows..(j + 1) * node.rows];
            let xj = top[j] / column[j];
            top[j] = xj;
            for (t, l_ij) in top[j + 1..].iter_mut().zip(&column[j + 1..width]) {
                *t -= l_ij * xj;
            }
            for (&r, l_rj) in pattern.iter().zip(&column[width..]) {
                below[r - below_start] -= l_rj * xj;
            }
        }
    }
}

/// Lᵀ x = y over `supernodes` (ascending; they are visited in reverse), in place in `x`;
/// `buffer` as for [`forward`].
fn backward(
    symbolic: &SymbolicSupernodalCholesky<usize>,
    l: &[f64],
    x: &mut [f64],
    supernodes: &[usize],
    buffer: &mut [f64],
) {
    for &s in supernodes.iter().rev() {
        let node = Supernode::new(symbolic, l, x, s);
        let (width, pattern) = (node.width, node.pattern);
        if !is_small_supernode(width, pattern.len()) {
            let (diagonal, off_diagonal) = node.blocks();
            let gathered = &mut buffer[..pattern.len()];
            for (g, &r) in gathered.iter_mut().zip(pattern) {
                *g = node.below[r - node.below_start];
            }
            let mut top = MatMut::from_column_major_slice_mut(node.top, width, 1);
            matmul(
                top.rb_mut(),
                Accum::Add,
                off_diagonal.transpose(),
                MatRef::from_column_major_slice(&*gathered, pattern.len(), 1),
                -1.0,
                Par::Seq,
            );
            solve_upper_triangular_in_place(diagonal.transpose(), top, Par::Seq);
            continue;
        }
        let (top, below, below_start) = (node.top, &*node.below, node.below_start);
        for j in (0..width).rev() {
            let column = &node.values[j * node.rows..(j + 1) * node.rows];
            let mut sum = top[j];
            for (t, l_ij) in top[j + 1..].iter().zip(&column[j + 1..width]) {
                sum -= l_ij * t;
            }
            for (&r, l_rj) in pattern.iter().zip(&column[width..]) {
                sum -= l_rj * below[r - below_start];
            }
            top[j] = sum / column[j];
        }
    }
}
