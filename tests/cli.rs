//! The `rhopt` command line as scripts use it: exit codes, one-line errors, JSON summary, output
//! files and the refusal to overwrite the input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Asserts that a run exited 0, showing its stderr otherwise.
fn assert_success(run: &Output) {
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn rhopt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rhopt"))
        .args(args)
        .output()
        .expect("rhopt runs")
}

/// A fresh scratch folder per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rhopt-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A fresh scratch folder for `test` holding the square graph: (folder, `square.g2o`).
fn square_graph(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let input = write(&dir, "square.g2o", SQUARE);
    (dir, input)
}

/// The iteration rows of `rhopt solve -v` output (each starts with the iteration number).
fn iteration_rows(stdout: &str) -> impl Iterator<Item = &str> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(char::is_numeric))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SQUARE: &str = "\
# four poses around a unit square, noisy initial guess
VERTEX_SE2 10 0 0 0
VERTEX_SE2 11 1.1 0.1 1.6
VERTEX_SE2 13 0.9 1.2 3.0
VERTEX_SE2 17 -0.1 0.8 -1.5
EDGE_SE2 10 11 1 0 1.5707963 100 0 0 100 0 1000
EDGE_SE2 11 13 1 0 1.5707963 100 0 0 100 0 1000
EDGE_SE2 13 17 1 0 1.5707963 100 0 0 100 0 1000
EDGE_SE2 17 10 1 0 1.5707963 100 0 0 100 0 1000
EDGE_SE2 10 13 1 1 1.5707963 50 0 0 50 0 500
";

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn solve_writes_summary_and_output_that_reads_back() {
    let (dir, input) = square_graph("summary");
    let output = dir.join("out.g2o");
    let summary = dir.join("summary.json");
    let run = rhopt(&[
        "solve",
        s(&input),
        "-o",
        s(&output),
        "--json",
        s(&summary),
        "-q",
    ]);
    assert_success(&run);
    assert!(run.stdout.is_empty(), "-q prints nothing");

    let j = json(&summary);
    assert_eq!(j["vertices"], 4);
    assert_eq!(j["edges"], 5);
    assert_eq!(j["converged"], true);
    assert!(j["final_chi2"].as_f64().unwrap() < j["initial_chi2"].as_f64().unwrap());
    for key in [
        "total",
        "linearize",
        "assemble",
        "factorize_solve",
        "evaluate",
    ] {
        assert!(j["time_s"][key].as_f64().unwrap() >= 0.0, "time_s.{key}");
    }
    assert!(j["iterations"].as_u64().unwrap() > 0);
    assert!(j["termination"].is_string());

    // Solving the output again starts at the optimum: its initial chi2 is the final one.
    let again = dir.join("again.json");
    let run = rhopt(&[
        "solve",
        s(&output),
        "--json",
        s(&again),
        "--max-iterations",
        "0",
        "-q",
    ]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "0 iterations is not convergence"
    );
    let final_chi2 = j["final_chi2"].as_f64().unwrap();
    let reread = json(&again)["initial_chi2"].as_f64().unwrap();
    assert!(
        (reread - final_chi2).abs() <= 1e-9 * final_chi2.max(1e-12),
        "{reread} vs {final_chi2}"
    );

    // Ids, edge order and information survive.
    let text = std::fs::read_to_string(&output).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("VERTEX_SE2"))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(ids, ["10", "11", "13", "17"]);
    let edges: Vec<&str> = text.lines().filter(|l| l.starts_with("EDGE_SE2")).collect();
    assert_eq!(edges.len(), 5);
    assert!(
        edges[4].starts_with("EDGE_SE2 10 13 1 1 1.5707963 50 0 0 50 0 500"),
        "{}",
        edges[4]
    );
}

#[test]
fn gauss_newton_and_levenberg_marquardt_agree() {
    let (dir, input) = square_graph("gn");
    let chi2 = |algorithm: &str| {
        let out = dir.join(format!("{algorithm}.json"));
        let run = rhopt(&[
            "solve",
            s(&input),
            "--algorithm",
            algorithm,
            "--json",
            s(&out),
            "-q",
        ]);
        assert_eq!(run.status.code(), Some(0));
        json(&out)["final_chi2"].as_f64().unwrap()
    };
    let (gn, lm) = (chi2("gn"), chi2("lm"));
    assert!((gn - lm).abs() <= 1e-8 * lm, "GN {gn} vs LM {lm}");
}

#[test]
fn verbose_prints_one_line_per_iteration() {
    let (dir, input) = square_graph("verbose");
    let summary = dir.join("summary.json");
    let run = rhopt(&["solve", s(&input), "-v", "--json", s(&summary)]);
    let stdout = String::from_utf8(run.stdout).unwrap();
    let iterations = json(&summary)["iterations"].as_u64().unwrap() as usize;
    let rows = iteration_rows(&stdout).count();
    assert_eq!(rows, iterations, "{stdout}");
    assert!(stdout.contains("lambda") && stdout.contains("|gradient|"));
}

#[test]
fn initial_lambda_sets_the_first_damping_and_refuses_nonsense() {
    let (_dir, input) = square_graph("initial_lambda");
    let first_lambda = |extra: &[&str]| -> String {
        let mut args = vec!["solve", s(&input), "-v"];
        args.extend_from_slice(extra);
        let run = rhopt(&args);
        assert!(run.status.success(), "{run:?}");
        let stdout = String::from_utf8(run.stdout).unwrap();
        let first = iteration_rows(&stdout)
            .next()
            .expect("a first iteration row");
        // Columns: iter cost cost_change |gradient| |step| lambda time_s step.
        first.split_whitespace().nth(5).unwrap().to_string()
    };
    assert_eq!(first_lambda(&[]), "1.00e-8");
    assert_eq!(first_lambda(&["--initial-lambda", "0.5"]), "5.00e-1");
    for bad in ["0", "-1", "nan", "inf", "x"] {
        let flag = format!("--initial-lambda={bad}");
        let run = rhopt(&["solve", s(&input), &flag]);
        assert_eq!(run.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert!(stderr.contains("--initial-lambda"), "{bad}: {stderr}");
    }
}

/// Runs a solve on `text` and returns (exit code, stderr).
fn solve_text(test: &str, text: &str) -> (Option<i32>, String, PathBuf) {
    let dir = scratch(test);
    let input = write(&dir, "bad.g2o", text);
    let run = rhopt(&["solve", s(&input)]);
    (
        run.status.code(),
        String::from_utf8(run.stderr).unwrap(),
        input,
    )
}

#[test]
fn bad_input_is_one_line_with_file_and_line_and_exit_code_2() {
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "truncated",
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0\n",
            2,
            "field",
        ),
        (
            "non_numeric",
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 zero 0\n",
            2,
            "zero",
        ),
        (
            "unknown_vertex",
            "VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 5 1 0 0 1 0 0 1 0 1\n",
            2,
            "5",
        ),
        (
            "duplicate_vertex",
            "VERTEX_SE2 0 0 0 0\n\nVERTEX_SE2 0 1 0 0\n",
            3,
            "duplicate",
        ),
        (
            "not_spd",
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 1 0 0 -1 0 1\n",
            3,
            "positive definite",
        ),
        ("nan", "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 NaN 0 0\n", 2, ""),
        ("inf", "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 inf 0 0\n", 2, ""),
    ];
    for &(name, text, line, gist) in cases {
        let (code, stderr, input) = solve_text(name, text);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        let location = format!("{}:{line}:", input.display());
        assert!(
            stderr.contains(&location),
            "{name}: expected {location} in {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains(gist),
            "{name}: expected '{gist}' in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}");
    }
}

#[test]
fn empty_and_missing_files_are_clear_errors() {
    let (code, stderr, input) = solve_text("empty", "");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&input.display().to_string()) && stderr.lines().count() == 1,
        "{stderr}"
    );

    let run = rhopt(&["solve", "/nonexistent/graph.g2o"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("/nonexistent/graph.g2o"));
}

#[test]
fn unknown_tags_are_warned_about_and_counted() {
    let dir = scratch("unknown");
    let text = format!("{SQUARE}LANDMARK_XY 99 1 2\n");
    let input = write(&dir, "square.g2o", &text);
    let summary = dir.join("summary.json");
    let run = rhopt(&["solve", s(&input), "--json", s(&summary)]);
    assert_eq!(run.status.code(), Some(0));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("LANDMARK_XY") && stderr.contains(":11:"),
        "{stderr}"
    );
    assert_eq!(json(&summary)["warnings"], 1);
}

#[test]
fn output_never_overwrites_the_input() {
    let (dir, input) = square_graph("overwrite");
    let run = rhopt(&["solve", s(&input), "-o", s(&input)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("input"));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), SQUARE);

    // An output path that cannot be written is a runtime error, and nothing is left behind.
    let blocked = dir.join("no-such-dir").join("out.g2o");
    let run = rhopt(&["solve", s(&input), "-o", s(&blocked), "-q"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(!blocked.exists());
}

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn corrupt_solve_eval_round_trip() {
    let dir = scratch("corrupt");
    let input = repo_file("datasets/manhattan1000.g2o");
    let truth = repo_file("datasets/manhattan1000_ground_truth.tum");
    let corrupted = dir.join("corrupted.g2o");
    let again = dir.join("again.g2o");
    for out in [&corrupted, &again] {
        let run = rhopt(&[
            "corrupt",
            s(&input),
            "-o",
            s(out),
            "--outliers",
            "100",
            "--seed",
            "3",
        ]);
        assert_success(&run);
    }
    assert_eq!(
        std::fs::read(&corrupted).unwrap(),
        std::fs::read(&again).unwrap(),
        "same seed"
    );
    let sidecar = std::fs::read_to_string(dir.join("corrupted.g2o.outliers")).unwrap();
    assert_eq!(sidecar.lines().filter(|l| !l.starts_with('#')).count(), 100);

    let optimised = dir.join("optimised.g2o");
    let weights = dir.join("weights.txt");
    let run = rhopt(&[
        "solve",
        s(&corrupted),
        "--robust",
        "-o",
        s(&optimised),
        "--weights",
        s(&weights),
        "-q",
    ]);
    assert_success(&run);
    let report = dir.join("eval.json");
    let run = rhopt(&[
        "eval",
        s(&optimised),
        "--reference",
        s(&truth),
        "--weights",
        s(&weights),
        "--outliers",
        s(&corrupted),
        "--json",
        s(&report),
        "-q",
    ]);
    assert_success(&run);
    let j = json(&report);
    assert_eq!(j["poses"], 1000);
    for key in ["rmse", "mean", "median", "max"] {
        assert!(j["ate"][key].as_f64().unwrap() >= 0.0);
    }
    // Precision and recall recomputed here from the two files eval read.
    let added: Vec<usize> = sidecar
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let declared: Vec<usize> = std::fs::read_to_string(&weights)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.split_whitespace().nth(2).unwrap().parse::<f64>().unwrap() < 0.5)
        .map(|(i, _)| i)
        .collect();
    let hits = declared.iter().filter(|i| added.contains(i)).count() as f64;
    let precision = if declared.is_empty() {
        1.0
    } else {
        hits / declared.len() as f64
    };
    let recall = hits / added.len() as f64;
    assert_eq!(j["precision"].as_f64().unwrap(), precision);
    assert_eq!(j["recall"].as_f64().unwrap(), recall);

    // The corruptor refuses to overwrite its input.
    let run = rhopt(&[
        "corrupt",
        s(&corrupted),
        "-o",
        s(&corrupted),
        "--outliers",
        "1",
    ]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn tum_export_of_a_2d_graph_has_yaw_only_unit_quaternions() {
    let (dir, input) = square_graph("tum");
    let tum = dir.join("out.tum");
    let run = rhopt(&["solve", s(&input), "--tum", s(&tum), "-q"]);
    assert_eq!(run.status.code(), Some(0));
    let text = std::fs::read_to_string(&tum).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
        [10.0, 11.0, 13.0, 17.0]
    );
    for r in &rows {
        assert_eq!(r.len(), 8);
        assert_eq!(
            (r[3], r[4], r[5]),
            (0.0, 0.0, 0.0),
            "z, qx, qy of a planar pose"
        );
        let norm = (r[6] * r[6] + r[7] * r[7]).sqrt();
        assert!((norm - 1.0).abs() < 1e-12, "unit quaternion: {norm}");
    }
}

#[test]
fn plot_writes_an_svg_with_the_estimate_and_its_outliers() {
    let dir = scratch("plot");
    let corrupted = dir.join("corrupted.g2o");
    let input = repo_file("datasets/manhattan1000.g2o");
    let run = rhopt(&[
        "corrupt",
        s(&input),
        "-o",
        s(&corrupted),
        "--outliers",
        "50",
        "--seed",
        "9",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let svg = dir.join("result.svg");
    let truth = repo_file("datasets/manhattan1000_ground_truth.tum");
    let run = rhopt(&[
        "solve",
        s(&corrupted),
        "--robust",
        "--plot",
        s(&svg),
        "--reference",
        s(&truth),
        "-q",
    ]);
    assert_success(&run);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "an SVG document");
    assert!(text.contains("result: chi2"), "the title");
    assert!(
        text.contains("judged outlier") && text.contains("reference"),
        "legend entries"
    );
    assert!(text.contains("iteration"), "cost panel");
}

/// Every file in `dir`, sorted, to show that a failed run left nothing behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn empty_unwritable_or_clashing_output_paths_are_refused_before_solving() {
    let (dir, input) = square_graph("outputs");
    let before = listing(&dir);
    let out = dir.join("out.g2o");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["-o", ""], 2, "output"),
        (&["--json", ""], 2, "json"),
        (
            &["-o", "/nonexistent/dir/x.g2o"],
            1,
            "/nonexistent/dir does not exist",
        ),
        (&["-o", s(&input)], 2, "refusing to overwrite an input file"),
        (
            &["--json", s(&input)],
            2,
            "refusing to overwrite an input file",
        ),
        (
            &["--weights", s(&input)],
            2,
            "refusing to overwrite an input file",
        ),
        (&["-o", s(&dir)], 2, "is a directory"),
        (
            &["-o", s(&out), "--tum", s(&out)],
            2,
            "named for both -o and --tum",
        ),
    ];
    for &(extra, code, gist) in cases {
        let mut args = vec!["solve", s(&input)];
        args.extend_from_slice(extra);
        let run = rhopt(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(code), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(gist),
            "{extra:?}: expected {gist:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{extra:?}");
        assert!(run.stdout.is_empty(), "{extra:?}: refused before solving");
        assert_eq!(
            std::fs::read_to_string(&input).unwrap(),
            SQUARE,
            "{extra:?}"
        );
        assert_eq!(listing(&dir), before, "{extra:?}: nothing written");
    }
    // The other subcommands check their outputs the same way.
    let run = rhopt(&["generate", "-o", "/nonexistent/dir/x.g2o"]);
    assert_eq!(run.status.code(), Some(1));
    let run = rhopt(&["corrupt", s(&input), "-o", s(&dir), "--outliers", "1"]);
    assert_eq!(run.status.code(), Some(2));
    let run = rhopt(&[
        "eval",
        s(&input),
        "--reference",
        s(&input),
        "--json",
        s(&input),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), SQUARE);
    assert_eq!(listing(&dir), before);
}

#[test]
fn a_solve_that_does_not_converge_says_so_and_still_writes_its_estimate() {
    let (dir, input) = square_graph("not-converged");
    let output = dir.join("out.g2o");
    let summary = dir.join("summary.json");
    let run = rhopt(&[
        "solve",
        s(&input),
        "--max-iterations",
        "1",
        "-o",
        s(&output),
        "--json",
        s(&summary),
    ]);
    assert_eq!(run.status.code(), Some(3), "exit code 3: not converged");
    let j = json(&summary);
    assert_eq!(j["converged"], false);
    assert_eq!(j["termination"], "max_iterations");
    assert_eq!(j["iterations"], 1);
    let final_chi2 = j["final_chi2"].as_f64().unwrap();
    assert!(final_chi2 < j["initial_chi2"].as_f64().unwrap());
    // The output holds the estimate after that one iteration: it starts where the run stopped.
    let again = dir.join("again.json");
    let run = rhopt(&[
        "solve",
        s(&output),
        "--max-iterations",
        "0",
        "--json",
        s(&again),
    ]);
    assert_eq!(run.status.code(), Some(3));
    let reread = json(&again)["initial_chi2"].as_f64().unwrap();
    assert!(
        (reread - final_chi2).abs() <= 1e-9 * final_chi2,
        "{reread} vs {final_chi2}"
    );
}

const NOT_SPD: &str = "\
VERTEX_SE2 0 0 0 0
VERTEX_SE2 1 1.1 0 0
EDGE_SE2 0 1 1 0 0 1 2 0 1 0 1
";

#[test]
fn information_repair_is_opt_in_and_reported() {
    let dir = scratch("repair");
    let input = write(&dir, "bad.g2o", NOT_SPD);
    let run = rhopt(&["solve", s(&input)]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(":3: information matrix") && stderr.contains("--repair-information"),
        "{stderr}"
    );

    let summary = dir.join("summary.json");
    let run = rhopt(&[
        "solve",
        s(&input),
        "--repair-information",
        "--json",
        s(&summary),
    ]);
    assert_success(&run);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let location = format!("{}:3:", input.display());
    assert!(
        stderr.contains(&location)
            && stderr.contains("smallest eigenvalue -1e0")
            && stderr.contains("smallest eigenvalue 3e-6"),
        "{stderr}"
    );
    assert_eq!(json(&summary)["information_repairs"], 1);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), NOT_SPD);

    // A matrix with nothing positive in it cannot be repaired.
    let zero = write(
        &dir,
        "zero.g2o",
        &NOT_SPD.replace("1 2 0 1 0 1", "0 0 0 0 0 0"),
    );
    let run = rhopt(&["solve", s(&zero), "--repair-information"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot be repaired"));
}

#[test]
fn disconnected_components_and_isolated_vertices_are_warned_about_and_counted() {
    let dir = scratch("components");
    // Three components: {0, 1}, {5, 6} and the isolated vertex 9.
    let text = "\
VERTEX_SE2 0 0 0 0
VERTEX_SE2 1 1.1 0.1 0
VERTEX_SE2 5 3 0 0
VERTEX_SE2 6 4.2 0 0.1
VERTEX_SE2 9 0 7 0
EDGE_SE2 0 1 1 0 0 1 0 0 1 0 1
EDGE_SE2 5 6 1 0 0 1 0 0 1 0 1
";
    let input = write(&dir, "parts.g2o", text);
    for algorithm in ["gn", "lm"] {
        let summary = dir.join(format!("{algorithm}.json"));
        let output = dir.join(format!("{algorithm}.g2o"));
        let run = rhopt(&[
            "solve",
            s(&input),
            "--algorithm",
            algorithm,
            "--json",
            s(&summary),
            "-o",
            s(&output),
        ]);
        assert_success(&run);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("3 disconnected components") && stderr.contains(": 0, 5, 9"),
            "{stderr}"
        );
        assert!(stderr.contains("1 vertex has no edges"), "{stderr}");
        let j = json(&summary);
        assert_eq!(j["components"], 3);
        assert_eq!(j["gauge_vertices"], 3);
        assert_eq!(j["isolated_vertices"], 1);
        assert_eq!(j["converged"], true);
        // The gauge vertices are written as they were read.
        let written = std::fs::read_to_string(&output).unwrap();
        for line in [
            "VERTEX_SE2 0 0 0 0",
            "VERTEX_SE2 5 3 0 0",
            "VERTEX_SE2 9 0 7 0",
        ] {
            assert!(written.contains(line), "{line} in {written}");
        }
    }
    let run = rhopt(&["solve", s(&input), "-q"]);
    assert!(run.stderr.is_empty(), "-q silences warnings");
}
