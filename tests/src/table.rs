//! Test tables as data: each test binary with `harness = false` (tests/Cargo.toml) lists its rows
//! × `Function::ALL` as [`Trial`]s, so each row and function is still one named test that
//! `cargo test` runs, filters (`-- not_json::dialog`) and reports like any other.

use std::future::Future;

pub use libtest_mimic::Trial;

/// A test named `name` that runs `test` to completion on its own current-thread runtime, as
/// `#[tokio::test]` does; a panic fails it.
pub fn trial<F, Fut>(name: impl Into<String>, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    Trial::test(name, move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(test());
        Ok(())
    })
}

/// Runs the trials with the command line `cargo test` passed, and exits with their verdict.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit()
}
