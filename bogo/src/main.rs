//! The shim BoringSSL's BoGo runner drives glasstls through (the contract:
//! `../shared/bogo/README.md`; `scripts/bogo.sh` runs it). The runner starts one shim process
//! per test; the shim connects back to it, says which test it is, and speaks TLS as a client
//! (or, with `-server`, as a server) for `1 + -resume-count` connections in a row, keeping
//! session state between them. Exit status: 0 success (stderr empty), 1 failure (stderr names
//! the error as BoringSSL would), 89 a feature glasstls does not have.

#![forbid(unsafe_code)]

mod errors;
mod flags;
mod run;
mod settings;

use flags::{Flags, Refusal};
use settings::Settings;
use std::process::ExitCode;

/// The runner's code for "this shim does not implement the test".
const UNIMPLEMENTED: u8 = 89;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-is-handshaker-supported") {
        // BoringSSL's split handshakes ("handshaker") are BoringSSL's own API.
        println!("No");
        return ExitCode::SUCCESS;
    }
    match run_all(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Refused(refusal @ Refusal::Unimplemented(_))) => {
            eprintln!("{refusal}");
            log_unimplemented(&refusal);
            ExitCode::from(UNIMPLEMENTED)
        }
        Err(Stop::Refused(refusal)) => {
            eprintln!("{refusal}");
            ExitCode::FAILURE
        }
        Err(Stop::Failed(index, failure)) => {
            eprintln!("{} (connection {index})", failure.describe());
            ExitCode::FAILURE
        }
    }
}

/// With `BOGO_SHIM_UNIMPLEMENTED_LOG=FILE`, each refused flag is appended to FILE: the runner
/// does not print an unimplemented test's stderr, and this is how `scripts/bogo.sh` counts which
/// missing features cost the most tests.
fn log_unimplemented(refusal: &Refusal) {
    use std::io::Write;
    if let Some(path) = std::env::var_os("BOGO_SHIM_UNIMPLEMENTED_LOG") {
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{refusal}");
        }
    }
}

enum Stop {
    Refused(Refusal),
    Failed(usize, run::Failure),
}

fn run_all(args: &[String]) -> Result<(), Stop> {
    let flags = Flags::parse(args).map_err(Stop::Refused)?;
    // Every connection's settings are read first, so that a flag the shim refuses stops the
    // run before anything reaches the runner.
    let first = Settings::for_connection(&flags, 0).map_err(Stop::Refused)?;
    let mut all = vec![first];
    for index in 1..=all[0].resume_count {
        all.push(Settings::for_connection(&flags, index).map_err(Stop::Refused)?);
    }
    // One clock for the run, as BoringSSL's shim keeps: each connection is at this time plus
    // its `-resumption-delay`, so that the ages and lifetimes the runner checks are exact.
    let shared = run::Shared::new(glasstls::UnixTime::now());
    for (index, settings) in all.iter().enumerate() {
        run::connection(settings, index, &shared).map_err(|f| Stop::Failed(index, f))?;
    }
    Ok(())
}
