//! The path of `rhopt solve` from its input file to a solved problem: g2o bytes →
//! `parse_g2o_bytes` (what `read_g2o` does) → `build_problem` (g2o error definition, as the
//! CLI's default) → a 3-iteration Levenberg-Marquardt solve → the estimate written back as g2o.
//!
//! Size cap: inputs over 64 KiB are skipped, so one solve stays well under libFuzzer's
//! `-timeout=10` (the hang criterion); the g2o target covers the reader on any size.
//! The solve runs on a one-thread rayon pool built once (the CLI's default `threads: None`
//! uses the global pool), so no thread pool is built per input.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use rhopt::factor::BetweenError;
use rhopt::io::{build_problem, parse_g2o_bytes, write_g2o};
use rhopt::solver::{Solver, SolverOptions};

/// Largest input solved, in bytes.
const MAX_INPUT: usize = 64 * 1024;

static POOL: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    POOL.call_once(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global()
            .expect("the global pool is built once, before any other use");
    });
    let Ok(graph) = parse_g2o_bytes(data) else {
        return;
    };
    let mut pose_graph = build_problem(graph, BetweenError::G2o);
    let _ = pose_graph.loop_closures();
    let solver = Solver::new(SolverOptions {
        max_iterations: 3,
        ..SolverOptions::default()
    });
    // A solver error (e.g. a numerical failure) is a result, not a bug; only panics are.
    let _ = solver.solve(&mut pose_graph.problem);
    // The CLI writes the estimate; non-finite estimates are an I/O error there, not a panic.
    let _ = write_g2o(&pose_graph.to_g2o(), std::io::sink());
});
