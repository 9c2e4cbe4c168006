//! Results do not depend on the thread count or the run: the same input gives byte-identical
//! output files with 1 and 2 worker threads, and twice in a row.

mod common;

use std::path::Path;
use std::process::Command;

fn solve(input: &Path, output: &Path, threads: &str, extra: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_rhopt"))
        .args([
            "solve",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "-q",
        ])
        .args(["--threads", threads])
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success());
}

fn check(relative: &str, extra: &[&str]) {
    let Some(input) = common::dataset(relative) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("rhopt-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = relative.replace('/', "-");
    let outputs: Vec<_> = [("1", "a"), ("2", "b"), ("2", "c")]
        .iter()
        .map(|(threads, tag)| {
            let out = dir.join(format!("{name}-{threads}-{tag}.g2o"));
            solve(&input, &out, threads, extra);
            std::fs::read(&out).unwrap()
        })
        .collect();
    assert!(
        outputs[0] == outputs[1],
        "{relative}: 1 and 2 threads differ"
    );
    assert!(outputs[1] == outputs[2], "{relative}: two runs differ");
}

#[test]
fn intel_is_bit_identical_across_threads_and_runs() {
    check("2d/intel.g2o", &[]);
}

#[test]
fn sphere2500_is_bit_identical_across_threads_and_runs() {
    check("3d/sphere2500.g2o", &[]);
}

#[test]
fn robust_default_is_bit_identical_across_threads_and_runs() {
    check("2d/manhattanOlson3500.g2o", &["--robust"]);
}
