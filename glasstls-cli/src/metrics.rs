//! `serve --metrics-listen ADDR`: counters in the Prometheus text exposition format (version
//! 0.0.4), served at any path of a plain-HTTP listener: handshakes by version, suite and
//! resumption; failures by alert; connections open; a handshake-duration histogram; session
//! store lookups by outcome.

use glasstls::session::SessionStore;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the handshake-duration buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Everything `serve` counts.
#[derive(Debug, Default)]
pub struct Metrics {
    open: AtomicI64,
    handshakes: Mutex<BTreeMap<(String, String, String), u64>>,
    failures: Mutex<BTreeMap<String, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_us: AtomicU64,
    store_hits: AtomicU64,
    store_misses: AtomicU64,
    /// The fleet's store: hits, misses, errors (and late answers), calls skipped by the
    /// open breaker, breaker openings, sessions stored.
    store_events: Mutex<BTreeMap<&'static str, u64>>,
    /// When the ticket key that seals now was made (Unix seconds; 0: none yet).
    ticket_key_created: AtomicU64,
}

impl Metrics {
    pub fn opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A completed handshake and how long it took.
    pub fn handshake(&self, version: &str, suite: &str, resumed: &str, took: Duration) {
        if let Ok(mut map) = self.handshakes.lock() {
            *map.entry((version.into(), suite.into(), resumed.into()))
                .or_default() += 1;
        }
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// A failed connection, by the alert it ended with ("none" when no alert was involved).
    pub fn failure(&self, alert: &str) {
        if let Ok(mut map) = self.failures.lock() {
            *map.entry(alert.into()).or_default() += 1;
        }
    }

    /// Something the fleet's session store did (`hit`, `miss`, `error`, `skipped`,
    /// `breaker_opened`, `stored`).
    pub fn store_event(&self, what: &'static str) {
        if let Ok(mut map) = self.store_events.lock() {
            *map.entry(what).or_default() += 1;
        }
    }

    /// The current ticket key was made at `created` (Unix seconds).
    pub fn ticket_key(&self, created: u64) {
        self.ticket_key_created.store(created, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP glasstls_connections_open Connections being served.\n");
        out.push_str("# TYPE glasstls_connections_open gauge\n");
        out.push_str(&format!(
            "glasstls_connections_open {}\n",
            self.open.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP glasstls_handshakes_total Completed handshakes.\n");
        out.push_str("# TYPE glasstls_handshakes_total counter\n");
        if let Ok(map) = self.handshakes.lock() {
            for ((version, suite, resumed), n) in map.iter() {
                out.push_str(&format!(
                    "glasstls_handshakes_total{{version=\"{version}\",suite=\"{suite}\",resumed=\"{resumed}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP glasstls_failures_total Connections that failed, by alert.\n");
        out.push_str("# TYPE glasstls_failures_total counter\n");
        if let Ok(map) = self.failures.lock() {
            for (alert, n) in map.iter() {
                out.push_str(&format!(
                    "glasstls_failures_total{{alert=\"{alert}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP glasstls_handshake_seconds Handshake duration.\n");
        out.push_str("# TYPE glasstls_handshake_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            out.push_str(&format!(
                "glasstls_handshake_seconds_bucket{{le=\"{bound}\"}} {}\n",
                bucket.load(Ordering::Relaxed)
            ));
        }
        let count = self.duration_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "glasstls_handshake_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "glasstls_handshake_seconds_sum {}\n",
            self.duration_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!("glasstls_handshake_seconds_count {count}\n"));
        out.push_str("# HELP glasstls_session_store_lookups_total Session store lookups.\n");
        out.push_str("# TYPE glasstls_session_store_lookups_total counter\n");
        for (outcome, n) in [("hit", &self.store_hits), ("miss", &self.store_misses)] {
            out.push_str(&format!(
                "glasstls_session_store_lookups_total{{outcome=\"{outcome}\"}} {}\n",
                n.load(Ordering::Relaxed)
            ));
        }
        out.push_str(
            "# HELP glasstls_session_store_events_total The shared session store (Redis): \
             hits, misses, errors and late answers, calls skipped while its breaker is open, \
             breaker openings, sessions stored.\n",
        );
        out.push_str("# TYPE glasstls_session_store_events_total counter\n");
        if let Ok(map) = self.store_events.lock() {
            for (what, n) in map.iter() {
                out.push_str(&format!(
                    "glasstls_session_store_events_total{{event=\"{what}\"}} {n}\n"
                ));
            }
        }
        let created = self.ticket_key_created.load(Ordering::Relaxed);
        if created > 0 {
            let now = glasstls::UnixTime::now().as_secs();
            out.push_str(
                "# HELP glasstls_ticket_key_age_seconds Age of the ticket key that seals now.\n",
            );
            out.push_str("# TYPE glasstls_ticket_key_age_seconds gauge\n");
            out.push_str(&format!(
                "glasstls_ticket_key_age_seconds {}\n",
                now.saturating_sub(created)
            ));
        }
        out
    }
}

/// A session store that counts its lookups into `Metrics`.
pub struct CountingStore {
    pub inner: std::sync::Arc<dyn SessionStore>,
    pub metrics: std::sync::Arc<Metrics>,
}

impl SessionStore for CountingStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.inner.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let found = self.inner.get(key);
        self.count(found.is_some());
        found
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let found = self.inner.take(key);
        self.count(found.is_some());
        found
    }

    fn len(&self) -> usize {
        self.inner.len()
    }
}

impl CountingStore {
    fn count(&self, hit: bool) {
        let counter = match hit {
            true => &self.metrics.store_hits,
            false => &self.metrics.store_misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Answers every request on `listener` with the exposition, one connection at a time (a
/// scraper's few requests a minute need no more), each bounded by a short timeout.
pub fn serve(listener: TcpListener, metrics: std::sync::Arc<Metrics>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
            match stream.read(&mut buf) {
                Ok(n) if n > 0 => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
                _ => break,
            }
        }
        let body = metrics.render();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}
