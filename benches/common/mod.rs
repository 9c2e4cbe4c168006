//! Data shared by the benchmarks: a generated graph that is always available, plus public
//! datasets when they are present under `$RHOPT_DATASETS` (default `../shared/datasets`).

use rhopt::generate::{manhattan_world, ManhattanOptions};
use rhopt::io::{read_g2o, G2oGraph};

// The integration tests' locator of the public datasets, so that benches look where tests do.
#[path = "../../tests/common/mod.rs"]
mod test_data;

/// A generated 5000-pose Manhattan world, then each of `files` (paths relative to the dataset
/// directory) that can be read, named by its file stem.
pub fn datasets(files: &[&str]) -> Vec<(String, G2oGraph)> {
    let generated = manhattan_world(&ManhattanOptions {
        poses: 5000,
        ..Default::default()
    });
    let mut out = vec![("manhattan5000-generated".to_string(), generated.graph)];
    let dir = test_data::datasets_dir();
    for file in files {
        let path = dir.join(file);
        if let Ok(graph) = read_g2o(&path) {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            out.push((name.into_owned(), graph));
        }
    }
    out
}
