//! The two small list readers of `rhopt eval`: edge weights (`from to weight`,
//! `rhopt::eval::parse_weights`) and the outlier sidecar of `rhopt corrupt` (one edge index
//! per line, `rhopt::corrupt::parse_sidecar`). Both run on every input; like their `read_*`
//! functions, non-UTF-8 input is rejected whole before parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhopt::corrupt::{parse_sidecar, write_sidecar};
use rhopt::eval::parse_weights;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(weights) = parse_weights(text) {
        assert!(weights.iter().all(|w| w.weight.is_finite()));
    }
    if let Ok(added) = parse_sidecar(text) {
        // The writer's output must read back to the same indices.
        let mut out = Vec::new();
        write_sidecar(&added, &mut out).expect("writing to memory cannot fail");
        let text = String::from_utf8(out).expect("the writer emits UTF-8");
        assert_eq!(parse_sidecar(&text).expect("the writer's output must parse"), added);
    }
});
