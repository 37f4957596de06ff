//! The bench's flags: `--help` prints usage and runs nothing; an unknown flag is an error.

use std::process::Command;
use std::time::Instant;

const BENCH: &str = env!("CARGO_BIN_EXE_glasstls-bench");

#[test]
fn help_prints_the_flags_and_runs_nothing() {
    let started = Instant::now();
    let out = Command::new(BENCH).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--quick", "--json", "--only", "--lib", "--profile"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    assert!(!help.contains("handshakes/s"), "no table: {help}");
    assert!(started.elapsed().as_secs() < 20, "it ran the suite");
}

#[test]
fn an_unknown_flag_is_refused_by_name() {
    let out = Command::new(BENCH).arg("--qiuck").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--qiuck") && err.contains("--quick"), "{err}");
    let out = Command::new(BENCH)
        .args(["--lib", "boringssl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("glasstls"));
}
