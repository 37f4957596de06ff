//! The fuzz targets' checks (`fuzz/checks.rs`) over the committed seeds in `fuzz/seeds/`, the
//! inputs that once failed in `fuzz/regressions/`, and a local `fuzz/corpus/` when one exists:
//! a smoke run of every target in the ordinary test suite, without cargo-fuzz.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut seen = 0;
    for dir in ["seeds", "regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                path.display()
            );
            seen += 1;
        }
    }
    let committed = std::fs::read_dir(root.join("seeds").join(target))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(committed > 0, "{target} has no committed seeds");
    assert!(seen >= committed);
}

#[test]
fn every_fuzz_target_holds_on_its_seeds() {
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 5] = [
        ("codec", checks::codec),
        ("deframer", checks::deframer),
        ("ticket", checks::ticket),
        ("server", checks::server),
        ("client", checks::client),
    ];
    for (target, check) in targets {
        replay(target, check);
    }
}
