//! Evaluation of all factors and assembly of the normal equations, with every buffer allocated
//! once per solve.
//!
//! Each factor's local system (Jᵀ W J, Jᵀ W e) is computed in parallel into its own slot; the
//! slots are then added into the global CSC storage in parallel over runs of block columns
//! ([`AssemblyPlan`]), every entry receiving its contributions in factor order. Because no two
//! threads ever add into the same number, the result is bit-identical for any thread count.

use std::cell::RefCell;

use nalgebra::{Const, DMatrixView, DMatrixViewMut, Dim, Dyn, MatrixView, MatrixViewMut, U1};
use rayon::prelude::*;

use crate::factor::Jacobians;
use crate::kernel::KernelValue;
use crate::linear::{block_elimination_positions, AssemblyPlan, FactorBlocks, HessianPattern};
use crate::loss::LossCost;
use crate::problem::{FactorEntry, Problem, Values};
use crate::solver::Weighting;

use super::pose_pair::PosePairSystem;

thread_local! {
    /// Per-thread scratch for residuals and Jacobians; grows to the largest factor once and is
    /// reused by every later iteration.
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Per-factor results of the last evaluation.
#[derive(Debug, Clone, Copy)]
struct FactorCost {
    chi2: f64,
    kernel: KernelValue,
}

impl Default for FactorCost {
    fn default() -> Self {
        Self {
            chi2: 0.0,
            kernel: KernelValue {
                rho: 0.0,
                d1: 1.0,
                d2: 0.0,
            },
        }
    }
}

/// Evaluates factors and assembles H and b for one problem structure.
///
/// The solver uses it internally; it is public for benchmarks and for users who want the normal
/// equations of a problem at some estimate.
#[derive(Debug)]
pub struct Linearizer {
    /// Block pattern of H and the per-factor scatter plans.
    pub pattern: HessianPattern,
    /// Parallel assembly; built only when the rayon pool the linearizer is created on has
    /// several threads (one thread assembles by the sequential scatter).
    assembly: Option<AssemblyPlan>,
    /// System block of each variable, `None` when fixed.
    pub var_block: Vec<Option<usize>>,
    col_offsets: Vec<usize>,
    col_offsets_ptr: Vec<usize>,
    local_dims: Vec<usize>,
    stride: usize,
    slots: Vec<f64>,
    costs: Vec<FactorCost>,
    /// Each factor's block form of its local system, where it has one; empty when no factor
    /// does, so that graphs without 3D relative poses pay no memory for it.
    pose_pairs: Vec<Option<PosePairSystem>>,
    /// Upper-triangular CSC values of H.
    pub hessian: Vec<f64>,
    /// b = Σ ρ' Jᵀ Ω e (half the gradient of F).
    pub gradient: Vec<f64>,
}

impl Linearizer {
    /// Analyses the structure of `problem` and allocates all storage.
    pub fn new(problem: &Problem) -> Self {
        let values = problem.values();
        let mut var_block = Vec::with_capacity(values.len());
        let mut block_dims = Vec::new();
        for i in 0..values.len() {
            let key = crate::problem::Key(i);
            if problem.is_fixed(key) {
                var_block.push(None);
            } else {
                var_block.push(Some(block_dims.len()));
                block_dims.push(values.kind(key).dof());
            }
        }

        let factors = problem.factors();
        let mut col_offsets = Vec::new();
        let mut col_offsets_ptr = vec![0];
        let mut local_dims = Vec::with_capacity(factors.len());
        let mut factor_blocks: Vec<(Option<usize>, usize)> = Vec::new();
        let mut factor_blocks_ptr = vec![0];
        for entry in factors {
            let mut acc = 0;
            col_offsets.push(0);
            for key in entry.factor.keys() {
                let dof = values.kind(*key).dof();
                acc += dof;
                col_offsets.push(acc);
                factor_blocks.push((var_block[key.0], dof));
            }
            col_offsets_ptr.push(col_offsets.len());
            factor_blocks_ptr.push(factor_blocks.len());
            local_dims.push(acc);
        }
        // Renumber the blocks in their fill-reducing elimination order, so that H is assembled
        // already permuted for the sparse factorisation.
        let positions = block_elimination_positions(&HessianPattern::block_adjacency(
            block_dims.len(),
            per_factor(&factor_blocks, &factor_blocks_ptr),
        ));
        for block in var_block
            .iter_mut()
            .flatten()
            .chain(factor_blocks.iter_mut().filter_map(|(b, _)| b.as_mut()))
        {
            *block = positions[*block];
        }
        let mut ordered_dims = vec![0; block_dims.len()];
        for (natural, &position) in positions.iter().enumerate() {
            ordered_dims[position] = block_dims[natural];
        }

        let pattern = HessianPattern::analyse(
            &ordered_dims,
            per_factor(&factor_blocks, &factor_blocks_ptr),
        );
        let stride = local_dims.iter().map(|&n| n * n + n).max().unwrap_or(0);
        let mut pose_pairs: Vec<_> = factors
            .iter()
            .zip(&local_dims)
            .map(|(entry, &n)| PosePairSystem::for_factor(entry, n))
            .collect();
        if pose_pairs.iter().all(Option::is_none) {
            pose_pairs = Vec::new();
        }
        Self {
            hessian: vec![0.0; pattern.nnz()],
            gradient: vec![0.0; pattern.dim],
            assembly: (rayon::current_num_threads() > 1).then(|| AssemblyPlan::new(&pattern)),
            pattern,
            var_block,
            col_offsets,
            col_offsets_ptr,
            slots: vec![0.0; stride * factors.len()],
            costs: vec![FactorCost::default(); factors.len()],
            pose_pairs,
            local_dims,
            stride,
        }
    }

    /// Evaluates residuals, Jacobians, kernel weights and every factor's local system at `values`.
    pub fn linearize(&mut self, factors: &[FactorEntry], values: &Values, weighting: Weighting) {
        let Self {
            slots,
            costs,
            local_dims,
            col_offsets,
            col_offsets_ptr,
            stride,
            pose_pairs,
            ..
        } = self;
        let (local_dims, col_offsets, col_offsets_ptr, pose_pairs) =
            (&*local_dims, &*col_offsets, &*col_offsets_ptr, &*pose_pairs);
        slots
            .par_chunks_mut((*stride).max(1))
            .zip(costs.par_iter_mut())
            .enumerate()
            .for_each(|(k, (slot, cost))| {
                let n = local_dims[k];
                let (h, g) = slot.split_at_mut(n * n);
                let offsets = &col_offsets[col_offsets_ptr[k]..col_offsets_ptr[k + 1]];
                *cost = linearize_factor(
                    &factors[k],
                    pose_pair(pose_pairs, k),
                    values,
                    offsets,
                    weighting,
                    h,
                    &mut g[..n],
                );
            });
    }

    /// Sums the local systems into [`Linearizer::hessian`] and [`Linearizer::gradient`], in
    /// parallel when the current rayon pool has several threads, with the same result for any
    /// thread count.
    pub fn assemble(&mut self) {
        let Self {
            pattern,
            assembly,
            local_dims,
            stride,
            slots,
            hessian,
            gradient,
            ..
        } = self;
        let (stride, slots, local_dims) = (*stride, &*slots, &*local_dims);
        let local = |k: usize| {
            let n = local_dims[k];
            let (h, g) = slots[k * stride..k * stride + n * n + n].split_at(n * n);
            (h, g, n)
        };
        match assembly {
            Some(plan) if rayon::current_num_threads() > 1 => {
                plan.assemble(pattern, &local, hessian, gradient)
            }
            _ => {
                // One pass in factor order: each local system is read once (see `AssemblyPlan`).
                hessian.fill(0.0);
                gradient.fill(0.0);
                for k in 0..local_dims.len() {
                    let (h, g, n) = local(k);
                    pattern.scatter(k, h, g, n, hessian, gradient);
                }
            }
        }
    }

    /// Evaluates every factor's cost at `values` without Jacobians; keeps the results so that
    /// [`Linearizer::totals`] reports them.
    pub fn evaluate(&mut self, factors: &[FactorEntry], values: &Values) {
        let pose_pairs = &self.pose_pairs;
        self.costs
            .par_iter_mut()
            .zip(factors.par_iter())
            .enumerate()
            .for_each(|(k, (cost, entry))| {
                *cost = evaluate_factor(entry, pose_pair(pose_pairs, k), values)
            });
    }

    /// (Σ s, Σ ρ(s)) of the last evaluation, summed in factor order so the totals are
    /// independent of the thread count.
    pub fn totals(&self) -> (f64, f64) {
        self.costs
            .iter()
            .fold((0.0, 0.0), |(c, f), x| (c + x.chi2, f + x.kernel.rho))
    }

    /// s = eᵀΩe of every factor at the last evaluation.
    pub fn chi2_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.costs.iter().map(|c| c.chi2)
    }

    /// Kernel weight ρ'(s) of every factor at the last evaluation.
    pub fn weights(&self) -> Vec<f64> {
        self.costs.iter().map(|c| c.kernel.d1).collect()
    }
}

/// Factor `k`'s block form, if it has one; `pose_pairs` is empty when no factor does.
fn pose_pair(pose_pairs: &[Option<PosePairSystem>], k: usize) -> Option<&PosePairSystem> {
    pose_pairs.get(k).and_then(Option::as_ref)
}

/// The blocks of each factor, from the flat list and its per-factor start pointers.
fn per_factor<'a>(
    blocks: &'a [(Option<usize>, usize)],
    ptr: &'a [usize],
) -> impl Iterator<Item = FactorBlocks<'a>> + Clone + 'a {
    ptr.windows(2).map(move |w| &blocks[w[0]..w[1]])
}

/// Runs `f` with this thread's scratch buffer grown to at least `len`.
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        f(&mut buf[..len])
    })
}

/// A factor's cost s without derivatives: eᵀΩe, or the loss value L(e, t) (NaN where the loss
/// rejects the model's outputs, so that the solver rejects the step). s is computed as
/// [`linearize_factor`] computes it, by blocks for a `pose_pair` factor, so that the two agree
/// to the last bit. `scratch` holds d values.
fn cost_value(
    entry: &FactorEntry,
    pose_pair: Option<&PosePairSystem>,
    e: &[f64],
    scratch: &mut [f64],
) -> f64 {
    match (&entry.loss, pose_pair) {
        (None, Some(system)) => system.whiten(e).0,
        (None, None) => whiten(entry, e, scratch, Dyn(e.len())),
        (Some(loss), _) => loss.value(e).unwrap_or(f64::NAN),
    }
}

/// A loss factor's cost s = L(e, t) and its derivatives with respect to the model output e,
/// halved to match b and H (half the gradient and Hessian of F): ĝ = ½∂L/∂e into
/// `half_gradient`, ĈJ = ½CJ (C the loss's PSD curvature) into `half_curvature_jacobian`.
/// Returns NaN, with zero derivatives, where the loss rejects the outputs.
fn loss_derivatives(
    loss: &LossCost,
    e: &[f64],
    half_gradient: &mut [f64],
    jacobian: DMatrixView<'_, f64>,
    mut half_curvature_jacobian: DMatrixViewMut<'_, f64>,
) -> f64 {
    match loss.evaluate(e) {
        Ok(evaluation) => {
            for (h, g) in half_gradient.iter_mut().zip(&evaluation.gradient) {
                *h = 0.5 * g;
            }
            evaluation
                .curvature
                .mul_mat_into(jacobian, 0.5, half_curvature_jacobian);
            evaluation.value
        }
        Err(_) => {
            // Zeros keep the local system finite; the NaN cost makes the solver discard it.
            half_gradient.fill(0.0);
            half_curvature_jacobian.fill(0.0);
            f64::NAN
        }
    }
}

/// Whitened residual Ωe into `out`, returning s = eᵀΩe; `rows` is the residual dimension,
/// static where the caller knows it so that the product is unrolled.
fn whiten<R: Dim>(entry: &FactorEntry, e: &[f64], out: &mut [f64], rows: R) -> f64 {
    match &entry.information {
        Some(info) => {
            MatrixViewMut::from_slice_generic(out, rows, U1).gemv(
                1.0,
                &MatrixView::from_slice_generic(info.as_slice(), rows, rows),
                &MatrixView::from_slice_generic(e, rows, U1),
                0.0,
            );
        }
        None => out.copy_from_slice(e),
    }
    e.iter().zip(out.iter()).map(|(a, b)| a * b).sum()
}

fn kernel_at(entry: &FactorEntry, s: f64) -> KernelValue {
    match &entry.kernel {
        Some(k) => k.evaluate(s),
        None => KernelValue {
            rho: s,
            d1: 1.0,
            d2: 0.0,
        },
    }
}

fn evaluate_factor(
    entry: &FactorEntry,
    pose_pair: Option<&PosePairSystem>,
    values: &Values,
) -> FactorCost {
    let d = entry.factor.residual_dim();
    with_scratch(2 * d, |buf| {
        let (e, oe) = buf.split_at_mut(d);
        entry.factor.evaluate(values, e, None);
        factor_cost(entry, cost_value(entry, pose_pair, e, oe))
    })
}

/// The kernel applied to s; a NaN s (outputs a loss rejects) stays NaN so the step is rejected.
fn factor_cost(entry: &FactorEntry, chi2: f64) -> FactorCost {
    let kernel = if chi2.is_nan() {
        KernelValue {
            rho: f64::NAN,
            d1: 0.0,
            d2: 0.0,
        }
    } else {
        kernel_at(entry, chi2)
    };
    FactorCost { chi2, kernel }
}

/// Local system of one factor: H = ρ' JᵀĈJ (column-major `n × n`, plus the second-order term
/// when [`Weighting`] asks for it) and g = ρ' Jᵀĝ, where ĝ = Ωe and Ĉ = Ω for a Mahalanobis
/// cost, and as [`loss_derivatives`] says for a loss factor; from the Jacobian's non-zero blocks
/// when the factor has a `pose_pair` form.
fn linearize_factor(
    entry: &FactorEntry,
    pose_pair: Option<&PosePairSystem>,
    values: &Values,
    col_offsets: &[usize],
    weighting: Weighting,
    h: &mut [f64],
    g: &mut [f64],
) -> FactorCost {
    let d = entry.factor.residual_dim();
    let n = g.len();
    with_scratch(2 * d + 2 * d * n, |buf| {
        let (e, rest) = buf.split_at_mut(d);
        let (oe, rest) = rest.split_at_mut(d);
        let (jac, oj) = rest.split_at_mut(d * n);
        entry
            .factor
            .evaluate(values, e, Some(&mut Jacobians::new(jac, d, col_offsets)));
        if let Some(system) = pose_pair {
            let (chi2, whitened) = system.whiten(e);
            let cost = factor_cost(entry, chi2);
            let v = system.system(jac, &whitened, cost.kernel.d1, h);
            let mut g = MatrixViewMut::from_slice_generic(g, Const::<12>, U1);
            g.copy_from(&v);
            let h = MatrixViewMut::from_slice_generic(h, Const::<12>, Const::<12>);
            weight_gradient(h, g, &cost, chi2, weighting);
            return cost;
        }
        let local = Local {
            entry,
            weighting,
            e,
            oe,
            jac,
            oj,
            h,
            g,
        };
        // Pose-graph factors get sizes known at compile time, so that the small products below
        // are unrolled instead of looping over runtime dimensions.
        match (d, n, entry.loss.is_none()) {
            (3, 6, true) => local.system(Const::<3>, Const::<6>),
            (6, 12, true) => local.system(Const::<6>, Const::<12>),
            (3, 3, true) => local.system(Const::<3>, Const::<3>),
            (6, 6, true) => local.system(Const::<6>, Const::<6>),
            _ => local.system(Dyn(d), Dyn(n)),
        }
    })
}

/// One factor's buffers while its local system is formed: residual e, ĝ, Jacobian J (d × n),
/// ĈJ, and the outputs H and g.
struct Local<'a> {
    entry: &'a FactorEntry,
    weighting: Weighting,
    e: &'a [f64],
    oe: &'a mut [f64],
    jac: &'a [f64],
    oj: &'a mut [f64],
    h: &'a mut [f64],
    g: &'a mut [f64],
}

impl Local<'_> {
    /// Forms H and g with d × n given as `rows` × `cols` (static or dynamic dimensions).
    fn system<R: Dim, C: Dim>(self, rows: R, cols: C) -> FactorCost {
        let Local {
            entry,
            weighting,
            e,
            oe,
            jac,
            oj,
            h,
            g,
        } = self;
        let (d, n) = (rows.value(), cols.value());
        let chi2 = match &entry.loss {
            None => {
                let chi2 = whiten(entry, e, oe, rows);
                let jac = MatrixView::from_slice_generic(jac, rows, cols);
                let mut oj = MatrixViewMut::from_slice_generic(oj, rows, cols);
                match &entry.information {
                    Some(info) => {
                        let info = MatrixView::from_slice_generic(info.as_slice(), rows, rows);
                        oj.gemm(1.0, &info, &jac, 0.0);
                    }
                    None => oj.copy_from(&jac),
                }
                chi2
            }
            Some(loss) => loss_derivatives(
                loss,
                e,
                oe,
                DMatrixView::from_slice(jac, d, n),
                DMatrixViewMut::from_slice(oj, d, n),
            ),
        };
        let cost = factor_cost(entry, chi2);
        let w = cost.kernel.d1;
        let jac = MatrixView::from_slice_generic(jac, rows, cols);
        let oj = MatrixView::from_slice_generic(oj, rows, cols);
        let mut h = MatrixViewMut::from_slice_generic(h, cols, cols);
        // Only the lower triangle of H = w·JᵀĈJ: assembly reads nothing else (see
        // `BlockTarget::transposed`), and it is about half the work of the full product.
        for c in 0..n {
            let oj_c = oj.column(c);
            for r in c..n {
                h[(r, c)] = w * jac.column(r).dot(&oj_c);
            }
        }
        let mut g = MatrixViewMut::from_slice_generic(g, cols, U1);
        g.gemv_tr(
            1.0,
            &jac,
            &MatrixView::from_slice_generic(oe, rows, U1),
            0.0,
        );
        weight_gradient(h, g, &cost, chi2, weighting);
        cost
    }
}

/// Completes a local system whose `g` holds v = Jᵀĝ: the gradient is ρ'v, and the second-order
/// term adds 2ρ'' vvᵀ to H's lower triangle.
fn weight_gradient<C: Dim>(
    mut h: MatrixViewMut<'_, f64, C, C, U1, C>,
    mut g: MatrixViewMut<'_, f64, C, U1, U1, C>,
    cost: &FactorCost,
    chi2: f64,
    weighting: Weighting,
) {
    let KernelValue { d1: w, d2, .. } = cost.kernel;
    // The correction changes one whitened eigenvalue, along the residual, to ρ' + 2ρ''s; it is
    // applied only where that stays positive (see Weighting::SecondOrder).
    if weighting == Weighting::SecondOrder && w + 2.0 * d2 * chi2 > 0.0 {
        h.syger(2.0 * d2, &g, &g, 1.0);
    }
    g *= w;
}
