//! Shared by the examples (each includes it with `#[macro_use] mod common;`).

/// `println!` that ignores a closed stdout (`... | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
