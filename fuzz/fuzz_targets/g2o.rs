//! The g2o reader, from raw bytes as `read_g2o` sees them (invalid UTF-8 included).
//!
//! Oracles: no panic, no hang, bounded memory; and every graph that parses must survive
//! write → parse unchanged (up to line numbers and warnings), with writing idempotent, as the
//! writer documents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhopt::io::{parse_g2o, parse_g2o_bytes, write_g2o, G2oGraph};

fn written(graph: &G2oGraph) -> String {
    let mut out = Vec::new();
    write_g2o(graph, &mut out).expect("a parsed graph must be writable");
    String::from_utf8(out).expect("the writer emits UTF-8")
}

/// What a round trip legitimately changes: line numbers, and warnings (comments and unknown
/// lines are not written).
fn without_provenance(mut graph: G2oGraph) -> G2oGraph {
    graph.vertices.iter_mut().for_each(|v| v.line = 0);
    graph.edges.iter_mut().for_each(|e| e.line = 0);
    graph.warnings.clear();
    graph
}

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = parse_g2o_bytes(data) else {
        return;
    };
    // Accessors used by the CLI and the evaluation code.
    let _ = graph.dimension();
    let _ = graph.has_vertices();
    let text = written(&graph);
    let again = parse_g2o(&text).expect("the writer's output must parse");
    assert_eq!(
        without_provenance(graph),
        without_provenance(again.clone()),
        "parse → write → parse changed the graph"
    );
    assert_eq!(written(&again), text, "writing is not idempotent");
});
