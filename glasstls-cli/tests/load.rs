//! Load on loopback: many concurrent glasstls clients, TLS 1.3 and TLS 1.2, full and resumed
//! handshakes, each echoing data through one `glasstls serve --echo`. No connection may fail,
//! no byte may come back wrong, and the server's memory must come back down afterwards.
//!
//! The figures (connections per second, the server's RSS) print with `--nocapture`; measure
//! them on a release build: `cargo test --release -p glasstls-cli --test load -- --nocapture`.

mod common;

use common::*;
use glasstls::ClientConfig;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

const THREADS: usize = 16;
const CONNECTIONS_PER_THREAD: usize = 25;
const ECHO_BYTES: usize = 32 * 1024;

/// Resident and peak resident memory of a process, in KiB (Linux `/proc`).
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[derive(Default)]
struct Tally {
    full: usize,
    resumed: usize,
    failures: Vec<String>,
}

/// One connection: handshake, `ECHO_BYTES` there and back compared, close_notify.
fn one_connection(config: &Arc<ClientConfig>, addr: &str, seed: u64) -> Result<bool, String> {
    let mut tls = tls_client(Arc::clone(config), addr).map_err(|e| format!("connect: {e}"))?;
    tls.handshake().map_err(|e| format!("handshake: {e}"))?;
    let resumed = tls.conn().info().resumed.is_some();
    let data = hex_lines(seed, ECHO_BYTES / 64);
    let mut back = vec![0u8; data.len()];
    // In 4 KiB pieces, each read back before the next, so neither side's buffers fill.
    for (mine, theirs) in data.chunks(4096).zip(back.chunks_mut(4096)) {
        tls.write_all(mine).map_err(|e| format!("write: {e}"))?;
        tls.read_exact(theirs).map_err(|e| format!("read: {e}"))?;
    }
    if back != data {
        return Err("the echo came back corrupted".into());
    }
    tls.close().map_err(|e| format!("close: {e}"))?;
    // The server answers our close_notify with its own.
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .map_err(|e| format!("after close: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} unexpected bytes after the echo", rest.len()));
    }
    Ok(resumed)
}

/// One round: `THREADS` clients, `CONNECTIONS_PER_THREAD` connections each, against `addr`.
/// Returns the tally, how long it took, and the server's peak RSS seen meanwhile.
fn round(pki: &Pki, addr: &str, pid: u32, seed: usize) -> (Tally, Duration, u64) {
    let start = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let addr = addr.to_string();
            // Each thread has its own client (and session cache): the first connection is a
            // full handshake, the rest resume. Half speak TLS 1.2, half TLS 1.3.
            let mut config = client_config(pki);
            if t % 2 == 1 {
                config.common.versions = vec![glasstls::Version::Tls12];
            }
            let config = Arc::new(config);
            // Every fifth connection goes without a session cache: a full handshake.
            let mut fresh = (*config).clone();
            fresh.session_cache = None;
            let fresh = Arc::new(fresh);
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                for i in 0..CONNECTIONS_PER_THREAD {
                    let which = if i % 5 == 4 { &fresh } else { &config };
                    match one_connection(which, &addr, (seed + t * 1000 + i) as u64) {
                        Ok(true) => tally.resumed += 1,
                        Ok(false) => tally.full += 1,
                        Err(e) => tally
                            .failures
                            .push(format!("thread {t} connection {i}: {e}")),
                    }
                }
                tally
            })
        })
        .collect();
    let mut peak_rss = 0;
    // Sample the server's memory while the clients run.
    while workers.iter().any(|h| !h.is_finished()) {
        peak_rss = peak_rss.max(rss_kib(pid).0);
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut total = Tally::default();
    for h in workers {
        let tally = h.join().unwrap();
        total.full += tally.full;
        total.resumed += tally.resumed;
        total.failures.extend(tally.failures);
    }
    (total, start.elapsed(), peak_rss)
}

#[test]
fn concurrent_full_and_resumed_handshakes_lose_nothing() {
    let pki = Pki::new();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--echo",
    ]);
    let pid = server.child.id();
    let (rss_start, _) = rss_kib(pid);
    let connections = THREADS * CONNECTIONS_PER_THREAD;
    let mut after = Vec::new();
    for r in 0..3 {
        let (total, elapsed, peak_rss) = round(&pki, &addr, pid, r * 100_000);
        // Give the server's threads a moment to finish their closes.
        std::thread::sleep(Duration::from_millis(300));
        let rss_end = rss_kib(pid).0;
        after.push(rss_end);
        println!(
            "load round {}: {connections} connections ({} full, {} resumed) from {THREADS} \
             clients in {:.2} s: {:.0} connections/s, {} MiB echoed; server RSS {rss_start} KiB \
             at start, peak {} KiB, {rss_end} KiB after",
            r + 1,
            total.full,
            total.resumed,
            elapsed.as_secs_f64(),
            connections as f64 / elapsed.as_secs_f64(),
            connections * ECHO_BYTES * 2 / (1 << 20),
            peak_rss.max(rss_end),
        );
        assert!(
            total.failures.is_empty(),
            "{} failed connections:\n{}",
            total.failures.len(),
            total.failures.join("\n")
        );
        // TLS 1.2 threads resume by ticket, TLS 1.3 by PSK: every connection but each
        // thread's first and those without a cache.
        let full = THREADS * (1 + CONNECTIONS_PER_THREAD / 5);
        assert_eq!(
            (total.full, total.resumed),
            (full, connections - full),
            "(full, resumed) handshakes"
        );
    }
    // Per-connection state goes when the connection does: after the first round has warmed
    // the allocator, more rounds do not grow the server.
    assert!(
        after[2] <= after[0] + 2 * 1024,
        "server RSS after each round: {after:?} KiB (start {rss_start} KiB)"
    );
    assert!(
        after[2] < rss_start + 16 * 1024,
        "server RSS went from {rss_start} KiB to {} KiB",
        after[2]
    );
    let log = server.stderr();
    assert!(
        !log.contains("failed"),
        "the server logged failures:\n{log}"
    );
}
