//! glasstls-bench: glasstls against rustls (aws-lc-rs provider) and OpenSSL (the system's
//! libssl), in one process, in memory, interleaved, so that ratios hold on a noisy machine.
//!
//! Each side's work is timed separately: a "client" row counts only the time spent in client
//! calls, a "server" row only the server's. A "bound" column gives the time of the public-key
//! operations (handshakes) or the raw AEAD (bulk) alone, through aws-lc-rs, in the same run.
//!
//! ```sh
//! cargo run --release -p glasstls-bench -- --help
//! ```

// One unsafe call, allowed where it is made (`peers.rs`, OpenSSL's `SslRef::set_session`, with
// its safety condition beside it); everything else is safe code.
#![deny(unsafe_code)]

mod bound;
mod peers;
mod tokio_rows;

use peers::{Lib, Scenario};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// One line of the result.
pub struct Row {
    pub row: String,
    pub unit: &'static str,
    pub glasstls: f64,
    /// rustls through its buffered API.
    pub rustls: Option<f64>,
    /// rustls through its unbuffered API.
    pub rustls_unbuffered: Option<f64>,
    pub openssl: Option<f64>,
    pub bound: Option<f64>,
    /// glasstls ÷ rustls at its best (the one of its two APIs with the higher median on the
    /// row; for memory, rustls ÷ glasstls: above 1 is better either way), the median of the
    /// trials' own ratios.
    pub vs_rustls: Option<f64>,
    pub vs_openssl: Option<f64>,
    /// glasstls ÷ bound, the median of the trials' own ratios.
    pub of_bound: Option<f64>,
    pub note: &'static str,
}

/// glasstls against rustls (aws-lc-rs provider) and OpenSSL (the system's libssl), in one
/// process, in memory, interleaved trial by trial; prints a table (BENCHMARKS.md explains it).
/// A full run takes a few minutes and shows its progress on stderr.
#[derive(clap::Parser, Debug)]
#[command(name = "glasstls-bench")]
struct Args {
    /// One trial with smaller counts (seconds): checks that every row runs, resumes when it
    /// should and loses no byte; its figures mean little.
    #[arg(long)]
    quick: bool,
    /// Also write the rows as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
    /// Only the rows whose name contains SUBSTRING ("TLS1.3 ECDSA", "resumed", "tokio",
    /// "memory", "traced").
    #[arg(long, value_name = "SUBSTRING")]
    only: Option<String>,
    /// Run one library only.
    #[arg(long, value_enum)]
    lib: Option<LibName>,
    /// One library alone (glasstls, or the one --lib names) on the first scenario whose name
    /// contains SUBSTRING, for a profiler (PROFILE_HANDSHAKES or PROFILE_MIB set how much).
    #[arg(long, value_name = "SUBSTRING")]
    profile: Option<String>,
}

/// `--lib`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LibName {
    Glasstls,
    Rustls,
    RustlsUnbuffered,
    Openssl,
}

impl LibName {
    fn lib(self) -> Lib {
        match self {
            Self::Glasstls => Lib::Glasstls,
            Self::Rustls => Lib::Rustls,
            Self::RustlsUnbuffered => Lib::RustlsUnbuffered,
            Self::Openssl => Lib::Openssl,
        }
    }
}

/// The run's progress on stderr: a bar on a terminal, a line per row otherwise.
struct Progress {
    bar: indicatif::ProgressBar,
    terminal: bool,
}

impl Progress {
    fn new(steps: u64) -> Self {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal {
            let bar = indicatif::ProgressBar::new(steps);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} trials  {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Self { bar, terminal }
    }

    /// Trial `k` of `n` of `row` begins.
    fn trial(&self, row: &str, k: usize, n: usize) {
        if self.terminal {
            self.bar.set_message(format!("{row}: trial {k} of {n}"));
        } else if k == 1 {
            eprintln!(
                "glasstls-bench: {row} ({n} trial{})",
                if n == 1 { "" } else { "s" }
            );
        }
    }

    fn done(&self) {
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

static PROGRESS: std::sync::OnceLock<Progress> = std::sync::OnceLock::new();

fn progress_trial(row: &str, k: usize, n: usize) {
    if let Some(p) = PROGRESS.get() {
        p.trial(row, k, n);
    }
}

fn progress_done() {
    if let Some(p) = PROGRESS.get() {
        p.done();
    }
}

struct Settings {
    trials: usize,
    handshakes: usize,
    bulk_bytes: usize,
    /// Calls per operation when timing the crypto bound.
    bound_reps: usize,
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let settings = if args.quick {
        Settings {
            trials: 1,
            handshakes: 30,
            bulk_bytes: 8 << 20,
            bound_reps: 40,
        }
    } else {
        // Many short trials, the libraries taking turns: this machine's speed drifts by tens
        // of percent over seconds (other tenants), so libraries measured close together in
        // time compare better, and a median over 21 trials shrugs off the slow stretches.
        // Each trial stays long enough (tens of milliseconds) to time steadily.
        Settings {
            trials: 21,
            handshakes: 100,
            bulk_bytes: 96 << 20,
            bound_reps: 100,
        }
    };
    let only = args.only.clone();
    let libs: Vec<Lib> = Lib::ALL
        .into_iter()
        .filter(|l| args.lib.is_none_or(|n| n.lib() == *l))
        .collect();
    let wanted = |s: &&Scenario| only.as_ref().is_none_or(|o| s.name.contains(o.as_str()));
    let pki = peers::Pki::new();
    // `--profile SUBSTRING`: only glasstls handshakes (or bulk transfer) of that scenario, for a
    // few seconds, so that a profiler sees nothing else.
    if let Some(name) = &args.profile {
        profile(&pki, name, args.lib.map_or(Lib::Glasstls, LibName::lib));
        return;
    }
    let extra = |name: &str| only.as_ref().is_none_or(|o| name.contains(o.as_str()));
    let scenarios = peers::HANDSHAKES
        .iter()
        .chain(peers::ECH)
        .chain(peers::RESUMPTIONS)
        .chain(peers::BULK)
        .filter(wanted)
        .count()
        + usize::from(extra("traced"))
        + usize::from(extra("tokio"));
    let _ = PROGRESS.set(Progress::new((scenarios * settings.trials) as u64));
    let mut rows = Vec::new();
    for scenario in peers::HANDSHAKES
        .iter()
        .chain(peers::ECH)
        .chain(peers::RESUMPTIONS)
        .filter(wanted)
    {
        rows.extend(handshake_rows(&pki, scenario, &settings, &libs));
    }
    if only.as_ref().is_none_or(|o| "traced".contains(o.as_str())) {
        rows.extend(traced_rows(&pki, &settings));
    }
    // One untimed transfer per library first: the first AVX-512-heavy seconds after the
    // handshake rows ran measurably slower (clock and cache warm-up) and skewed the first row.
    if let Some(first) = peers::BULK.iter().find(wanted) {
        for &lib in &libs {
            peers::bulk(&pki, lib, first, settings.bulk_bytes);
        }
    }
    for scenario in peers::BULK.iter().filter(wanted) {
        rows.extend(bulk_rows(&pki, scenario, &settings, &libs));
    }
    if only.as_ref().is_none_or(|o| "tokio".contains(o.as_str())) {
        rows.extend(tokio_rows(&pki, &settings));
    }
    if only.as_ref().is_none_or(|o| "memory".contains(o.as_str())) {
        rows.extend(memory_rows(&pki));
    }
    if let Some(p) = PROGRESS.get() {
        p.finish();
    }
    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, to_json(&rows)).expect("cannot write the JSON file");
        eprintln!("wrote {}", path.display());
    }
}

/// `--profile SUBSTRING`: `lib` alone, on the first scenario whose name contains `name`.
fn profile(pki: &peers::Pki, name: &str, lib: Lib) {
    if let Some(scenario) = peers::BULK.iter().find(|s| s.name.contains(name)) {
        let mib = std::env::var("PROFILE_MIB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4096);
        let Some((send, receive)) = peers::bulk(pki, lib, scenario, mib << 20) else {
            eprintln!("{lib:?} does not run {}", scenario.name);
            return;
        };
        println!(
            "{}: send {send:?}, receive {receive:?} for {mib} MiB",
            scenario.name
        );
        return;
    }
    let scenario = peers::HANDSHAKES
        .iter()
        .chain(peers::RESUMPTIONS)
        .find(|s| s.name.contains(name))
        .expect("no such scenario");
    let count = std::env::var("PROFILE_HANDSHAKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let Some(times) = peers::handshakes(pki, lib, scenario, count) else {
        eprintln!("{lib:?} does not run {}", scenario.name);
        return;
    };
    println!(
        "{}: client {:?}, server {:?} for {count} handshakes",
        scenario.name, times.client, times.server
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Two figures (client and server, or send and receive) per library per trial, and the bound's
/// per trial where there is one.
struct Trials {
    libs: Vec<(Lib, Option<Vec<[f64; 2]>>)>,
    bounds: Vec<[f64; 2]>,
}

/// Runs `f` for each library in turn, `trials` times, interleaved, with the bound measured at
/// the start of each trial. A library that cannot run the scenario (`None`) has no figures.
fn interleaved(
    row: &str,
    trials: usize,
    libs: &[Lib],
    mut bound: impl FnMut() -> Option<[f64; 2]>,
    mut f: impl FnMut(Lib) -> Option<[f64; 2]>,
) -> Trials {
    let mut out = Trials {
        libs: libs.iter().map(|l| (*l, Some(Vec::new()))).collect(),
        bounds: Vec::new(),
    };
    for k in 1..=trials {
        progress_trial(row, k, trials);
        out.bounds.extend(bound());
        for (lib, samples) in &mut out.libs {
            match f(*lib) {
                Some(v) => samples.iter_mut().for_each(|s| s.push(v)),
                None => *samples = None,
            }
        }
        progress_done();
    }
    out
}

impl Trials {
    /// A library's samples for one side; none where it has no figure (NaN: not its own).
    fn side(&self, lib: Lib, side: usize) -> Option<Vec<f64>> {
        let (_, samples) = self.libs.iter().find(|(l, _)| *l == lib)?;
        let v: Vec<f64> = samples.as_ref()?.iter().map(|v| v[side]).collect();
        (!v.iter().any(|x| x.is_nan())).then_some(v)
    }

    /// One row per side: medians of each library and of the bound, and the median of the
    /// per-trial ratios (figures from the same trial were measured seconds apart at most, so
    /// their ratio drifts less with this machine's speed than a ratio of medians).
    fn rows(
        &self,
        name: &str,
        sides: [&str; 2],
        unit: &'static str,
        note: &'static str,
    ) -> Vec<Row> {
        let paired = |a: &Option<Vec<f64>>, b: &Option<Vec<f64>>| {
            let (a, b) = (a.as_ref()?, b.as_ref()?);
            (!a.is_empty() && a.len() == b.len())
                .then(|| median(a.iter().zip(b).map(|(x, y)| x / y).collect()))
        };
        sides
            .iter()
            .enumerate()
            .map(|(i, side)| {
                let glass = self.side(Lib::Glasstls, i);
                let rust = self.side(Lib::Rustls, i);
                let rust_unbuf = self.side(Lib::RustlsUnbuffered, i);
                // rustls at its best: whichever of its two APIs is the faster on this row (by
                // median), then paired trial by trial as the other libraries are. Not the faster
                // of the two in each trial: where both run the same code (every handshake row)
                // that is the larger of two noisy samples, faster than either API really is.
                let rust_best = match (&rust, &rust_unbuf) {
                    (Some(a), Some(b)) => Some(if median(a.clone()) >= median(b.clone()) {
                        a.clone()
                    } else {
                        b.clone()
                    }),
                    (a, b) => a.clone().or(b.clone()),
                };
                let ossl = self.side(Lib::Openssl, i);
                let bound =
                    (!self.bounds.is_empty()).then(|| self.bounds.iter().map(|b| b[i]).collect());
                Row {
                    row: format!("{name} ({side})"),
                    unit,
                    glasstls: glass.clone().map_or(f64::NAN, median),
                    rustls: rust.clone().map(median),
                    rustls_unbuffered: rust_unbuf.clone().map(median),
                    openssl: ossl.clone().map(median),
                    bound: bound.clone().map(median),
                    vs_rustls: paired(&glass, &rust_best),
                    vs_openssl: paired(&glass, &ossl),
                    of_bound: paired(&glass, &bound),
                    note,
                }
            })
            .collect()
    }
}

fn handshake_rows(pki: &peers::Pki, scenario: &Scenario, s: &Settings, libs: &[Lib]) -> Vec<Row> {
    // Resumptions are 5-50 times faster than full handshakes: ten times the count keeps each
    // trial long enough to time steadily.
    let count = match scenario.resume {
        peers::Resume::No => s.handshakes,
        peers::Resume::SessionId | peers::Resume::Ticket => s.handshakes * 10,
    };
    let trials = interleaved(
        scenario.name,
        s.trials,
        libs,
        || bound::handshake(scenario, &bound::measure(s.bound_reps)).map(|(c, sv)| [c, sv]),
        |lib| {
            let times = peers::handshakes(pki, lib, scenario, count)?;
            let n = count as f64;
            // rustls's ECH client runs against our server: its server figure is not rustls's.
            let server = match (lib, scenario.ech) {
                (Lib::Rustls, true) => f64::NAN,
                _ => n / times.server.as_secs_f64(),
            };
            Some([n / times.client.as_secs_f64(), server])
        },
    );
    trials.rows(
        scenario.name,
        ["client", "server"],
        "handshakes/s",
        scenario.note,
    )
}

/// What tracing costs: glasstls's TLS 1.3 ECDSA handshake with every event rendered as a JSON
/// line (`--trace=json`), trial by trial beside the same handshake untraced; the ratio column
/// is traced ÷ untraced.
fn traced_rows(pki: &peers::Pki, s: &Settings) -> Vec<Row> {
    let scenario = &peers::TLS13_ECDSA;
    let n = s.handshakes;
    let rate = |t: peers::Times| {
        [
            n as f64 / t.client.as_secs_f64(),
            n as f64 / t.server.as_secs_f64(),
        ]
    };
    let mut traced = Vec::new();
    let mut plain = Vec::new();
    for k in 1..=s.trials {
        progress_trial("traced as JSON", k, s.trials);
        plain.extend(peers::handshakes(pki, Lib::Glasstls, scenario, n).map(rate));
        traced.push(rate(peers::traced_handshakes(pki, scenario, n)));
        progress_done();
    }
    ["client", "server"]
        .iter()
        .enumerate()
        .map(|(i, side)| {
            let t: Vec<f64> = traced.iter().map(|v| v[i]).collect();
            let ratio = median(traced.iter().zip(&plain).map(|(a, b)| a[i] / b[i]).collect());
            Row {
                row: format!("{}, traced as JSON ({side})", scenario.name),
                unit: "handshakes/s",
                glasstls: median(t),
                rustls: None,
                rustls_unbuffered: None,
                openssl: None,
                bound: None,
                vs_rustls: None,
                vs_openssl: None,
                of_bound: Some(ratio),
                note: "glasstls alone, every event rendered as --trace=json does; the \"of bound\" column is traced ÷ untraced",
            }
        })
        .collect()
}

fn bulk_rows(pki: &peers::Pki, scenario: &Scenario, s: &Settings, libs: &[Lib]) -> Vec<Row> {
    // The bound runs over as many records as a transfer has.
    let trials = interleaved(
        scenario.name,
        s.trials,
        libs,
        || {
            let (seal, open) = bound::aead(scenario, s.bulk_bytes / (16 * 1024));
            Some([seal, open])
        },
        |lib| {
            let (send, receive) = peers::bulk(pki, lib, scenario, s.bulk_bytes)?;
            let mb = s.bulk_bytes as f64 / 1e6;
            Some([mb / send.as_secs_f64(), mb / receive.as_secs_f64()])
        },
    );
    trials.rows(scenario.name, ["send", "receive"], "MB/s", scenario.note)
}

/// glasstls-tokio against tokio-rustls (one runtime, one in-memory pipe, both sides together):
/// TLS 1.3 ECDSA x25519 handshakes and TLS 1.3 AES-128-GCM bulk, trial by trial.
fn tokio_rows(pki: &peers::Pki, s: &Settings) -> Vec<Row> {
    const NOTE: &str = "glasstls-tokio vs tokio-rustls: one current-thread runtime, one tokio::io::duplex pipe, client and server counted together";
    let handshake = &peers::TLS13_ECDSA;
    let Some(bulk) = peers::BULK
        .iter()
        .find(|b| b.name == "TLS1.3 AES-128-GCM 16KiB writes")
    else {
        return Vec::new();
    };
    let (mut hs, mut mb) = (Vec::new(), Vec::new());
    for k in 1..=s.trials {
        progress_trial("tokio", k, s.trials);
        let n = s.handshakes;
        if let Some((g, r)) = tokio_rows::handshakes(pki, handshake, n) {
            hs.push([n as f64 / g.as_secs_f64(), n as f64 / r.as_secs_f64()]);
        }
        let bytes = s.bulk_bytes / 4;
        if let Some((g, r)) = tokio_rows::bulk(pki, bulk, bytes) {
            let mb_ = bytes as f64 / 1e6;
            mb.push([mb_ / g.as_secs_f64(), mb_ / r.as_secs_f64()]);
        }
        progress_done();
    }
    let row = |name: String, unit: &'static str, v: &[[f64; 2]]| Row {
        row: name,
        unit,
        glasstls: median(v.iter().map(|x| x[0]).collect()),
        rustls: Some(median(v.iter().map(|x| x[1]).collect())),
        rustls_unbuffered: None,
        openssl: None,
        bound: None,
        vs_rustls: (!v.is_empty()).then(|| median(v.iter().map(|x| x[0] / x[1]).collect())),
        vs_openssl: None,
        of_bound: None,
        note: NOTE,
    };
    vec![
        row(
            format!("tokio: {} (both sides)", handshake.name),
            "handshakes/s",
            &hs,
        ),
        row(format!("tokio: {} (both sides)", bulk.name), "MB/s", &mb),
    ]
}

fn memory_rows(pki: &peers::Pki) -> Vec<Row> {
    let scenario = &peers::TLS13_ECDSA;
    let measure = |lib: Lib| peers::memory(pki, lib, scenario, GLOBAL);
    let (g, r) = (measure(Lib::Glasstls), measure(Lib::Rustls));
    let row = |name: &str, pick: fn(&peers::Memory) -> f64| {
        let (ours, theirs) = (g.as_ref().map_or(f64::NAN, pick), r.as_ref().map(pick));
        Row {
            row: format!("memory: {name} ({})", scenario.name),
            unit: "bytes",
            glasstls: ours,
            rustls: theirs,
            rustls_unbuffered: None,
            openssl: None,
            bound: None,
            vs_rustls: theirs.map(|t| t / ours),
            vs_openssl: None,
            of_bound: None,
            note: "Rust heap only: allocations inside aws-lc and libssl are not counted",
        }
    };
    vec![
        row("client retained after handshake", |m| m.client_retained),
        row("server retained after handshake", |m| m.server_retained),
        row("peak during handshake, both sides", |m| m.peak),
        row("client retained after 1 MiB each way", |m| {
            m.client_after_data
        }),
        row("server retained after 1 MiB each way", |m| {
            m.server_after_data
        }),
    ]
}

fn fmt(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() && v >= 100.0 => format!("{v:.0}"),
        Some(v) if v.is_finite() => format!("{v:.2}"),
        _ => "-".into(),
    }
}

fn ratio(r: Option<f64>) -> String {
    r.filter(|r| r.is_finite())
        .map_or("-".into(), |r| format!("{r:.2}x"))
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<52} {:>13} {:>10} {:>10} {:>12} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "row",
        "unit",
        "glasstls",
        "rustls",
        "rustls unbuf",
        "openssl",
        "bound",
        "vs rust",
        "vs ossl",
        "of bound"
    );
    for r in rows {
        println!(
            "{:<52} {:>13} {:>10} {:>10} {:>12} {:>10} {:>10} {:>8} {:>8} {:>8}",
            r.row,
            r.unit,
            fmt(Some(r.glasstls)),
            fmt(r.rustls),
            fmt(r.rustls_unbuffered),
            fmt(r.openssl),
            fmt(r.bound),
            ratio(r.vs_rustls),
            ratio(r.vs_openssl),
            r.of_bound
                .filter(|f| f.is_finite())
                .map_or("-".into(), |f| format!("{:.0}%", 100.0 * f)),
        );
    }
    let notes: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r.note)
        .filter(|n| !n.is_empty())
        .collect();
    for note in notes {
        println!("  note: {note}");
    }
}

fn to_json(rows: &[Row]) -> String {
    let num = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map_or("null".to_string(), |v| format!("{v:.3}"))
    };
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "  {{\"row\": {:?}, \"unit\": {:?}, \"glasstls\": {}, \"rustls\": {}, \"rustls_unbuffered\": {}, \"openssl\": {}, \"bound\": {}, \"vs_rustls\": {}, \"vs_openssl\": {}, \"of_bound\": {}}}",
                r.row,
                r.unit,
                num(Some(r.glasstls)),
                num(r.rustls),
                num(r.rustls_unbuffered),
                num(r.openssl),
                num(r.bound),
                num(r.vs_rustls),
                num(r.vs_openssl),
                num(r.of_bound)
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}
