//! Shared helpers of the integration tests: locating the public datasets.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;

/// Folder of the public datasets: `$RHOPT_DATASETS`, else `../shared/datasets` from the crate.
pub fn datasets_dir() -> PathBuf {
    match std::env::var_os("RHOPT_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"),
    }
}

/// Path of a dataset file, or `None` when it is missing outside CI.
///
/// # Panics
/// When the file is missing and `CI=true`: CI must fail rather than skip.
pub fn dataset(relative: &str) -> Option<PathBuf> {
    let path = datasets_dir().join(relative);
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!("dataset {} is missing (set RHOPT_DATASETS)", path.display());
    }
    eprintln!(
        "skipping: dataset {} is missing (set RHOPT_DATASETS)",
        path.display()
    );
    None
}

/// Whether this run is CI's, where missing data must fail rather than skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}
