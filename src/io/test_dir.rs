//! A self-deleting temporary directory for the tests of this module.
//!
//! Kept local (instead of the `tempfile` crate) so that `src/io` carries no dev-dependency.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under the system temporary directory, removed with its content on drop.
pub(crate) struct TestDir(PathBuf);

impl TestDir {
    /// Creates a directory whose name is unique per process and per call, so tests running in
    /// parallel (threads) or concurrently (processes) never share one.
    pub(crate) fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rhopt-io-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("cannot create test directory");
        TestDir(path)
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
