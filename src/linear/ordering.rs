//! The fill-reducing elimination order of the normal equations, chosen on the block graph.
//!
//! The order is approximate minimum degree (faer's AMD) on the *block* graph, one node per free
//! variable: 3–6× smaller than the scalar graph, so cheaper to order, and keeping each
//! variable's unknowns together gives the supernodal factorisation dense blocks. The blocks are
//! then numbered in that order before the scalar pattern is built, so H is assembled already
//! permuted and the factorisation never has to permute it (see [`super::SparseCholesky`]).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::amd;
use faer::sparse::SymbolicSparseColMatRef;

/// `position[b]`: where block `b` comes in the AMD elimination order of the block graph whose
/// upper pattern is `block_rows` (see [`super::HessianPattern::block_adjacency`]).
///
/// Falls back to the natural order if AMD cannot run (it fails only when its workspace cannot
/// be allocated): the order changes the speed, never the result.
pub fn block_elimination_positions(block_rows: &[Vec<usize>]) -> Vec<usize> {
    amd_positions(block_rows).unwrap_or_else(|| (0..block_rows.len()).collect())
}

fn amd_positions(block_rows: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = block_rows.len();
    let mut col_ptr = Vec::with_capacity(n + 1);
    let mut row_idx = Vec::new();
    col_ptr.push(0);
    for rows in block_rows {
        row_idx.extend_from_slice(rows);
        col_ptr.push(row_idx.len());
    }
    let graph = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
    let mut order = vec![0usize; n];
    let mut positions = vec![0usize; n];
    let mut mem = MemBuffer::try_new(amd::order_scratch::<usize>(n, row_idx.len())).ok()?;
    amd::order(
        &mut order,
        &mut positions,
        graph,
        amd::Control::default(),
        MemStack::new(&mut mem),
    )
    .ok()?;
    Some(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_a_permutation_that_eliminates_a_star_centre_last() {
        // A star: block 0 coupled with 1..=5. Eliminating the centre first would fill the
        // leaves' 5×5 block completely; minimum degree takes it last.
        let mut block_rows: Vec<Vec<usize>> = (0..6).map(|c| vec![c]).collect();
        for rows in &mut block_rows[1..] {
            rows.insert(0, 0);
        }
        let positions = block_elimination_positions(&block_rows);
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        assert_eq!(positions[0], 5, "{positions:?}");
    }
}
