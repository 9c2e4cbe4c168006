//! The sparse factorisation of the normal equations under faer's alternatives, side by side:
//! the fill-reducing ordering (AMD on the block graph, as rhopt does, or faer's AMD on the
//! scalar graph) and the simplicial or supernodal algorithm (faer's own choice, rhopt's
//! [`SUPERNODAL_THRESHOLD`], or forced).
//!
//! Run with `cargo bench --bench factorization`. For each dataset (a generated graph, plus the
//! public ones under `$RHOPT_DATASETS`) it prints a markdown table: nnz(L), the symbolic
//! analysis time and the median of 21 numeric factorisations and triangular solves, one thread.

mod common;

use std::time::{Duration, Instant};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use rhopt::factor::BetweenError;
use rhopt::io::build_problem;
use rhopt::linear::{HessianPattern, SUPERNODAL_THRESHOLD};
use rhopt::solver::{Linearizer, Weighting};

const DATASETS: &[&str] = &[
    "2d/intel.g2o",
    "2d/manhattanOlson3500.g2o",
    "2d/city10000.g2o",
    "3d/parking-garage.g2o",
    "3d/sphere2500.g2o",
    "3d/torus3D.g2o",
];

const RUNS: usize = 21;

/// One way of factorising: the ordering applied on top of the pattern's block-AMD numbering
/// and the supernodal threshold.
struct Variant {
    name: &'static str,
    ordering: SymmetricOrdering<'static, usize>,
    threshold: SupernodalThreshold,
}

const VARIANTS: [Variant; 5] = [
    Variant {
        name: "block AMD, rhopt's threshold (rhopt)",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold(SUPERNODAL_THRESHOLD),
    },
    Variant {
        name: "block AMD, faer's threshold",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::AUTO,
    },
    Variant {
        name: "block AMD, simplicial",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::FORCE_SIMPLICIAL,
    },
    Variant {
        name: "block AMD, supernodal",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::FORCE_SUPERNODAL,
    },
    Variant {
        name: "scalar AMD (faer), rhopt's threshold",
        ordering: SymmetricOrdering::Amd,
        threshold: SupernodalThreshold(SUPERNODAL_THRESHOLD),
    },
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Symbolic analysis, then the median numeric factorisation and solve of `hessian`.
fn measure(
    pattern: &HessianPattern,
    hessian: &[f64],
    rhs: &[f64],
    variant: &Variant,
) -> (SymbolicCholesky<usize>, Duration, Duration, Duration) {
    let n = pattern.dim;
    let structure =
        SymbolicSparseColMatRef::new_checked(n, n, &pattern.col_ptr, None, &pattern.row_idx);
    let start = Instant::now();
    let symbolic = factorize_symbolic_cholesky(
        structure,
        Side::Upper,
        variant.ordering,
        CholeskySymbolicParams {
            supernodal_flop_ratio_threshold: variant.threshold,
            ..Default::default()
        },
    )
    .expect("symbolic analysis");
    let analyse = start.elapsed();
    let mut l_values = vec![0.0; symbolic.len_val()];
    let mut factor_mem =
        MemBuffer::new(symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()));
    let mut solve_mem = MemBuffer::new(symbolic.solve_in_place_scratch::<f64>(1, Par::Seq));
    let matrix = SparseColMatRef::new(structure, hessian);
    let factorize = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                symbolic
                    .factorize_numeric_llt::<f64>(
                        &mut l_values,
                        matrix,
                        Side::Upper,
                        Default::default(),
                        Par::Seq,
                        MemStack::new(&mut factor_mem),
                        Default::default(),
                    )
                    .expect("positive definite");
                start.elapsed()
            })
            .collect(),
    );
    let mut x = rhs.to_vec();
    let solve = median(
        (0..RUNS)
            .map(|_| {
                x.copy_from_slice(rhs);
                let start = Instant::now();
                LltRef::<'_, usize, f64>::new(&symbolic, &l_values).solve_in_place_with_conj(
                    Conj::No,
                    MatMut::from_column_major_slice_mut(&mut x, n, 1),
                    Par::Seq,
                    MemStack::new(&mut solve_mem),
                );
                start.elapsed()
            })
            .collect(),
    );
    (symbolic, analyse, factorize, solve)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for (name, graph) in common::datasets(DATASETS) {
        let pg = build_problem(graph, BetweenError::G2o);
        let problem = &pg.problem;
        let mut lin = Linearizer::new(problem);
        lin.linearize(problem.factors(), problem.values(), Weighting::Irls);
        lin.assemble();
        // Damp lightly so the gauge-fixed but far-from-optimal H is safely positive definite.
        for &p in &lin.pattern.diag_pos {
            lin.hessian[p] *= 1.0 + 1e-6;
        }
        println!(
            "\n{name}: {} unknowns, {} stored entries of H",
            lin.pattern.dim,
            lin.pattern.nnz()
        );
        println!("| variant | algorithm | nnz(L) | symbolic ms | factorise ms | solve ms |");
        println!("|---|---|---|---|---|---|");
        for variant in &VARIANTS {
            let (symbolic, analyse, factorize, solve) =
                measure(&lin.pattern, &lin.hessian, &lin.gradient, variant);
            let algorithm = match symbolic.raw() {
                SymbolicCholeskyRaw::Simplicial(_) => "simplicial",
                SymbolicCholeskyRaw::Supernodal(_) => "supernodal",
            };
            println!(
                "| {} | {algorithm} | {} | {:.2} | {:.2} | {:.2} |",
                variant.name,
                symbolic.len_val(),
                ms(analyse),
                ms(factorize),
                ms(solve)
            );
        }
    }
}
