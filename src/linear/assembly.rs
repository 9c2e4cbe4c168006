//! Deterministic parallel assembly of the normal equations.
//!
//! H's CSC values are stored block column after block column, so the values of a run of block
//! columns form one contiguous slice, and so do their entries of the gradient. The plan cuts the
//! block columns into chunks of similar work and lists, for each chunk, every factor block that
//! lands in it, in factor order. Chunks are assembled in parallel, each by one thread into its
//! own slices. Within a chunk every entry receives its contributions in factor order, exactly as
//! the sequential [`HessianPattern::scatter`] adds them, so the result is bit-identical for any
//! thread count and any chunking.

use super::pattern::{add_gradient, BlockTarget, GradientTarget, HessianPattern};

/// Chunks per plan. Measured with `cargo bench --bench solve -- assemble` on two threads: 64
/// chunks against 8 are 4–17 % faster on the public graphs, as small chunks keep their part of
/// H in cache. (On one thread the solver does not use the plan: the sequential scatter reads
/// each factor's local system once, where the plan reads it once per chunk it lands in, and is
/// up to 45 % faster there.)
const CHUNKS: usize = 64;

/// One factor block landing in a chunk.
#[derive(Debug, Clone, Copy)]
struct HessianItem {
    factor: u32,
    target: BlockTarget,
}

/// One factor's gradient part landing in a chunk.
#[derive(Debug, Clone, Copy)]
struct GradientItem {
    factor: u32,
    target: GradientTarget,
}

/// A run of block columns: where its values and gradient entries start, and its items.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    values_start: usize,
    gradient_start: usize,
    hessian_items: (usize, usize),
    gradient_items: (usize, usize),
}

/// The assembly of H and b cut into independent chunks; built once per pattern.
#[derive(Debug, Clone)]
pub struct AssemblyPlan {
    chunks: Vec<Chunk>,
    hessian_items: Vec<HessianItem>,
    gradient_items: Vec<GradientItem>,
    values_len: usize,
    gradient_len: usize,
}

impl AssemblyPlan {
    /// Cuts the assembly of `pattern` into about [`CHUNKS`] chunks of similar work (scalar
    /// entries added).
    pub fn new(pattern: &HessianPattern) -> Self {
        Self::with_chunks(pattern, CHUNKS)
    }

    /// [`AssemblyPlan::new`] with about `chunks` chunks.
    fn with_chunks(pattern: &HessianPattern, chunks: usize) -> Self {
        let n_blocks = pattern.block_dims.len();
        let block_of = |scalar: u32| -> usize {
            pattern
                .block_offsets
                .partition_point(|&o| o <= scalar as usize)
                - 1
        };
        // Work per block column: the entries every contribution adds there.
        let mut work = vec![0usize; n_blocks];
        for k in 0..pattern.factor_count() {
            for t in pattern.block_targets(k) {
                let entries = if t.diagonal {
                    (t.cols * (t.cols + 1) / 2) as usize
                } else {
                    (t.rows * t.cols) as usize
                };
                work[block_of(t.col)] += entries;
            }
            for t in pattern.gradient_targets(k) {
                work[block_of(t.global)] += t.dim as usize;
            }
        }
        let total: usize = work.iter().sum();
        let per_chunk = total.div_ceil(chunks.max(1)).max(1);
        let mut chunk_of_block = Vec::with_capacity(n_blocks);
        let (mut chunk, mut filled) = (0, 0);
        for &w in &work {
            if filled >= per_chunk {
                chunk += 1;
                filled = 0;
            }
            chunk_of_block.push(chunk);
            filled += w;
        }
        let n_chunks = if n_blocks == 0 { 0 } else { chunk + 1 };

        // Bucket the items by chunk; visiting factors in order keeps each bucket in factor
        // order.
        let mut hessian_buckets: Vec<Vec<HessianItem>> = vec![Vec::new(); n_chunks];
        let mut gradient_buckets: Vec<Vec<GradientItem>> = vec![Vec::new(); n_chunks];
        for k in 0..pattern.factor_count() {
            let factor = k as u32;
            for &target in pattern.block_targets(k) {
                hessian_buckets[chunk_of_block[block_of(target.col)]]
                    .push(HessianItem { factor, target });
            }
            for &target in pattern.gradient_targets(k) {
                gradient_buckets[chunk_of_block[block_of(target.global)]]
                    .push(GradientItem { factor, target });
            }
        }
        let mut chunks = Vec::with_capacity(n_chunks);
        let (mut hessian_items, mut gradient_items) = (Vec::new(), Vec::new());
        for (c, (h, g)) in hessian_buckets
            .into_iter()
            .zip(gradient_buckets)
            .enumerate()
        {
            let first_block = chunk_of_block.partition_point(|&x| x < c);
            let first_column = pattern.block_offsets[first_block];
            chunks.push(Chunk {
                values_start: pattern.col_ptr[first_column],
                gradient_start: first_column,
                hessian_items: (hessian_items.len(), hessian_items.len() + h.len()),
                gradient_items: (gradient_items.len(), gradient_items.len() + g.len()),
            });
            hessian_items.extend(h);
            gradient_items.extend(g);
        }
        Self {
            chunks,
            hessian_items,
            gradient_items,
            values_len: pattern.nnz(),
            gradient_len: pattern.dim,
        }
    }

    /// Overwrites `values` (H's CSC values) and `gradient` with the sum of every factor's local
    /// system, chunks in parallel on the current rayon pool. `local(k)` gives factor `k`'s local
    /// Hessian (column-major, `n × n`), its local gradient and `n`.
    ///
    /// # Panics
    /// If `values` or `gradient` do not have the pattern's sizes.
    pub fn assemble<'a>(
        &self,
        pattern: &HessianPattern,
        local: &(impl Fn(usize) -> (&'a [f64], &'a [f64], usize) + Sync),
        values: &mut [f64],
        gradient: &mut [f64],
    ) {
        assert_eq!(values.len(), self.values_len, "H values of another pattern");
        assert_eq!(
            gradient.len(),
            self.gradient_len,
            "gradient of another size"
        );
        self.assemble_chunks(&self.chunks, pattern, local, values, 0, gradient, 0);
    }

    /// Assembles `chunks`, whose values start at global position `values_base` and gradient
    /// entries at `gradient_base`, splitting them in halves for rayon.
    #[allow(clippy::too_many_arguments)] // one recursion step: the slices and their offsets
    fn assemble_chunks<'a>(
        &self,
        chunks: &[Chunk],
        pattern: &HessianPattern,
        local: &(impl Fn(usize) -> (&'a [f64], &'a [f64], usize) + Sync),
        values: &mut [f64],
        values_base: usize,
        gradient: &mut [f64],
        gradient_base: usize,
    ) {
        match chunks {
            [] => {}
            [chunk] => {
                values.fill(0.0);
                gradient.fill(0.0);
                let (from, to) = chunk.hessian_items;
                for item in &self.hessian_items[from..to] {
                    let (h, _, n) = local(item.factor as usize);
                    pattern.add_block(&item.target, h, n, values, values_base);
                }
                let (from, to) = chunk.gradient_items;
                for item in &self.gradient_items[from..to] {
                    let (_, g, _) = local(item.factor as usize);
                    add_gradient(&item.target, g, gradient, gradient_base);
                }
            }
            _ => {
                let (left, right) = chunks.split_at(chunks.len() / 2);
                let (values_mid, gradient_mid) = (right[0].values_start, right[0].gradient_start);
                let (values_left, values_right) = values.split_at_mut(values_mid - values_base);
                let (gradient_left, gradient_right) =
                    gradient.split_at_mut(gradient_mid - gradient_base);
                rayon::join(
                    || {
                        self.assemble_chunks(
                            left,
                            pattern,
                            local,
                            values_left,
                            values_base,
                            gradient_left,
                            gradient_base,
                        )
                    },
                    || {
                        self.assemble_chunks(
                            right,
                            pattern,
                            local,
                            values_right,
                            values_mid,
                            gradient_right,
                            gradient_mid,
                        )
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain with loop closures, mixed block sizes, a fixed variable and a repeated pair.
    fn pattern_and_locals() -> (HessianPattern, Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let block_dims: Vec<usize> = (0..40).map(|b| if b % 3 == 0 { 6 } else { 3 }).collect();
        let mut factors: Vec<Vec<(Option<usize>, usize)>> = (0..39)
            .map(|b| vec![(Some(b), block_dims[b]), (Some(b + 1), block_dims[b + 1])])
            .collect();
        factors.push(vec![(Some(30), 6), (Some(2), 3)]);
        factors.push(vec![(Some(2), 3), (Some(30), 6)]);
        factors.push(vec![(None, 6), (Some(17), 3), (Some(5), 3)]);
        factors.push(vec![(Some(39), 3)]);
        let pattern = HessianPattern::analyse(&block_dims, factors.iter().map(|v| v.as_slice()));
        let (mut hessians, mut gradients) = (Vec::new(), Vec::new());
        for (k, vars) in factors.iter().enumerate() {
            let n: usize = vars.iter().map(|v| v.1).sum();
            // Values with many significant bits, so a different summation order would show.
            hessians.push(
                (0..n * n)
                    .map(|i| ((i * 31 + k * 17) as f64).sin() / 3.0)
                    .collect(),
            );
            gradients.push((0..n).map(|i| ((i + 7 * k) as f64).cos() / 7.0).collect());
        }
        (pattern, hessians, gradients)
    }

    #[test]
    fn parallel_assembly_is_bit_identical_to_the_sequential_scatter() {
        let (pattern, hessians, gradients) = pattern_and_locals();
        let mut expected_values = vec![0.0; pattern.nnz()];
        let mut expected_gradient = vec![0.0; pattern.dim];
        for k in 0..hessians.len() {
            pattern.scatter(
                k,
                &hessians[k],
                &gradients[k],
                gradients[k].len(),
                &mut expected_values,
                &mut expected_gradient,
            );
        }
        let plan = AssemblyPlan::with_chunks(&pattern, 8);
        assert!(
            plan.chunks.len() > 1,
            "the test must exercise several chunks"
        );
        let local = |k: usize| {
            (
                hessians[k].as_slice(),
                gradients[k].as_slice(),
                gradients[k].len(),
            )
        };
        for threads in [1, 2, 3] {
            // Stale contents must be overwritten, not added to.
            let mut values = vec![f64::NAN; pattern.nnz()];
            let mut gradient = vec![f64::NAN; pattern.dim];
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| plan.assemble(&pattern, &local, &mut values, &mut gradient));
            assert_eq!(
                values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                expected_values
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
                "{threads} threads"
            );
            assert_eq!(gradient, expected_gradient, "{threads} threads");
        }
    }

    #[test]
    fn an_empty_pattern_assembles_nothing() {
        let pattern = HessianPattern::analyse(&[], std::iter::empty());
        let plan = AssemblyPlan::new(&pattern);
        let local = |_: usize| -> (&[f64], &[f64], usize) { unreachable!() };
        plan.assemble(&pattern, &local, &mut [], &mut []);
    }
}
