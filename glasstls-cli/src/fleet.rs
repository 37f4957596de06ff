//! `serve --session-store redis://HOST:PORT[/DB]`: a fleet of servers that resume each
//! other's sessions. Two things live in Redis:
//!
//! - **sessions** (TLS 1.2 session IDs; TLS 1.3 PSKs when tickets are off) under
//!   `glasstls:session:<hex key>`, each with a TTL of the session lifetime (`SET … PX`);
//! - **the ticket-key ring** under `glasstls:ticket-keys` (the keys themselves: Redis must be
//!   as private as the servers), so that a ticket sealed by one node opens on every other.
//!   Every node reads the ring each second and installs it; when its current key is older
//!   than the rotation interval, whichever node takes `glasstls:ticket-keys:lock` first
//!   (`SET NX PX`) rotates it ([`TicketKeySecret::rotate`]), or an operator does
//!   (`glasstls ticket-keys rotate`).
//!
//! Redis failing is never a client's problem: every call has a deadline (`--store-timeout`,
//! 50 ms by default) and on a timeout or an error the handshake goes on as a full one; after
//! [`BREAKER_TRIPS_AFTER`] failures in a row the store stops calling Redis for
//! [`BREAKER_COOLDOWN`] (a breaker), then lets one call through to see whether it is back.
//! The connection manager reconnects by itself, with backoff. Everything is counted in the
//! metrics; no key ever reaches a log.
//!
//! What is looked up is what the outer ClientHello names (`glasstls::peek`): with Encrypted
//! Client Hello accepted, a stateful TLS 1.3 PSK inside the inner hello is not seen in time and
//! that handshake is a full one (tickets, the default, need no lookup and resume as ever).

use crate::metrics::Metrics;
use glasstls::UnixTime;
use glasstls::session::{TicketKeySecret, TicketKeys};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker.
pub const BREAKER_TRIPS_AFTER: u32 = 3;
/// How long an open breaker keeps calls from Redis.
pub const BREAKER_COOLDOWN: Duration = Duration::from_secs(1);

const SESSION_PREFIX: &str = "glasstls:session:";
const RING_KEY: &str = "glasstls:ticket-keys";
const LOCK_KEY: &str = "glasstls:ticket-keys:lock";
/// How long a rotation lock is held at most (a node that dies holding it delays the next
/// rotation by this much, no more).
const LOCK_MS: u64 = 5_000;

/// Stops calling a Redis that keeps failing, for a while.
#[derive(Debug)]
struct Breaker {
    failures: AtomicU32,
    /// Milliseconds since `epoch` before which no call is made.
    open_until: AtomicU64,
    epoch: Instant,
}

impl Breaker {
    fn new() -> Self {
        Self {
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn allows(&self) -> bool {
        self.now_ms() >= self.open_until.load(Ordering::Relaxed)
    }

    fn succeeded(&self) {
        self.failures.store(0, Ordering::Relaxed);
    }

    /// Returns whether this failure opened the breaker.
    fn failed(&self) -> bool {
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= BREAKER_TRIPS_AFTER {
            let until = self.now_ms() + BREAKER_COOLDOWN.as_millis() as u64;
            self.open_until.store(until, Ordering::Relaxed);
            return true;
        }
        false
    }
}

/// The fleet's Redis: sessions, the ticket-key ring, a deadline on every call, a breaker.
pub struct Fleet {
    redis: ConnectionManager,
    deadline: Duration,
    breaker: Breaker,
    metrics: Arc<Metrics>,
    /// Where the URL pointed, without any password, for the startup line.
    pub shown: String,
}

/// `redis://user:secret@host` → `redis://host`: the startup line never shows a password.
fn without_password(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{host}"),
        _ => url.to_string(),
    }
}

impl Fleet {
    /// A store on the Redis at `url`, connected lazily (a Redis that is down at startup is
    /// one that is down later: the server starts and serves full handshakes).
    pub fn open(url: &str, deadline: Duration, metrics: Arc<Metrics>) -> Result<Self, String> {
        let shown = without_password(url);
        let client = redis::Client::open(url).map_err(|e| format!("{shown}: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(deadline.max(Duration::from_millis(200))))
            .set_response_timeout(Some(deadline))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("{shown}: {e}"))?;
        Ok(Self {
            redis,
            deadline,
            breaker: Breaker::new(),
            metrics,
            shown,
        })
    }

    /// Opens the connection before the first client (the first call also says hello to Redis,
    /// which takes longer than a handshake's deadline allows): waits up to `wait`, says
    /// whether Redis answered.
    pub async fn warm_up(&self, wait: Duration) -> bool {
        let mut redis = self.redis.clone();
        let ping = redis::cmd("PING");
        matches!(
            tokio::time::timeout(wait, ping.query_async::<String>(&mut redis)).await,
            Ok(Ok(_))
        )
    }

    /// Runs one command within the deadline, through the breaker; `None` when it was not
    /// made, failed or was late (each counted).
    async fn call<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        if !self.breaker.allows() {
            self.metrics.store_event("skipped");
            return None;
        }
        let mut redis = self.redis.clone();
        match tokio::time::timeout(self.deadline, cmd.query_async::<T>(&mut redis)).await {
            Ok(Ok(value)) => {
                self.breaker.succeeded();
                Some(value)
            }
            Ok(Err(_)) | Err(_) => {
                self.metrics.store_event("error");
                if self.breaker.failed() {
                    self.metrics.store_event("breaker_opened");
                }
                None
            }
        }
    }

    async fn get(&self, key: &str) -> Option<Option<Vec<u8>>> {
        self.call(redis::cmd("GET").arg(key)).await
    }

    /// The ring Redis holds: `Some(None)` when it holds none, `None` when Redis did not
    /// answer; a value that is not a ring reads as none.
    async fn ring(&self) -> Option<Option<Vec<TicketKeySecret>>> {
        let bytes = self.get(RING_KEY).await?;
        Some(bytes.and_then(|b| TicketKeySecret::decode_ring(&b)))
    }

    async fn set_ring(&self, ring: &[TicketKeySecret], only_if_absent: bool) -> bool {
        let bytes = TicketKeySecret::encode_ring(ring);
        let mut cmd = redis::cmd("SET");
        cmd.arg(RING_KEY).arg(bytes.as_slice());
        if only_if_absent {
            cmd.arg("NX");
        }
        matches!(self.call::<Option<String>>(&cmd).await, Some(Some(_)))
    }

    /// Rotates the ring under the lock: `force` rotates whatever the current key's age.
    /// Returns the ring after, or why not.
    pub async fn rotate(
        &self,
        rotation: Duration,
        window: Duration,
        force: bool,
    ) -> Result<Vec<TicketKeySecret>, String> {
        let mut lock = redis::cmd("SET");
        lock.arg(LOCK_KEY).arg("1").arg("NX").arg("PX").arg(LOCK_MS);
        match self.call::<Option<String>>(&lock).await {
            Some(Some(_)) => {}
            Some(None) => return Err("another node is rotating the ticket keys".into()),
            None => return Err(format!("{} did not answer", self.shown)),
        }
        let result = async {
            // Read again under the lock: the node that rotated just before us wins.
            let ring = self
                .ring()
                .await
                .ok_or_else(|| format!("{} did not answer", self.shown))?
                .unwrap_or_default();
            let now = UnixTime::now();
            if !force && !due(&ring, now, rotation) {
                return Ok(ring);
            }
            let next = TicketKeySecret::rotate(&ring, now, window).map_err(|e| e.to_string())?;
            if !self.set_ring(&next, false).await {
                return Err(format!("{} did not store the ring", self.shown));
            }
            Ok(next)
        }
        .await;
        let _: Option<i64> = self.call(redis::cmd("DEL").arg(LOCK_KEY)).await;
        result
    }

    /// One turn of the ticket-key keeper: read the ring; put back the one we hold if Redis
    /// lost it (a restart without persistence must not void every ticket); rotate when the
    /// current key is due; install what Redis holds into `keys` when it changed from `held`,
    /// or when `keys` does not seal with its current key (keys a reload made start empty).
    /// `None` when Redis did not answer; else whether the ring changed.
    pub async fn sync_ticket_keys(
        &self,
        keys: &TicketKeys,
        held: &mut Vec<TicketKeySecret>,
        rotation: Duration,
        window: Duration,
    ) -> Option<bool> {
        let mut ring = self.ring().await?;
        if ring.is_none() && !held.is_empty() && self.set_ring(held, true).await {
            ring = Some(held.clone());
        }
        let now = UnixTime::now();
        let ring = match ring {
            Some(ring) if !due(&ring, now, rotation) => ring,
            _ => self.rotate(rotation, window, false).await.ok()?,
        };
        let Some(sealing) = TicketKeySecret::current(&ring).map(|k| k.name) else {
            return Some(false);
        };
        let changed = ring != *held;
        if changed || keys.current_key().map(|(name, _)| name) != Some(sealing) {
            keys.install(&ring).ok()?;
        }
        *held = ring;
        Some(changed)
    }
}

/// Whether a ring needs a new current key.
fn due(ring: &[TicketKeySecret], now: UnixTime, rotation: Duration) -> bool {
    TicketKeySecret::current(ring)
        .is_none_or(|k| now.as_secs() >= k.created.saturating_add(rotation.as_secs()))
}

/// How a ring is told in a log line: ages and counts, never a key.
pub fn describe_ring(ring: &[TicketKeySecret]) -> String {
    let now = UnixTime::now().as_secs();
    let current = TicketKeySecret::current(ring).map_or("none".into(), |k| {
        format!("{} s old", now.saturating_sub(k.created))
    });
    format!(
        "current key {current}, {} retired key(s) still opening tickets",
        ring.iter().filter(|k| k.retired.is_some()).count()
    )
}

fn session_key(key: &[u8]) -> String {
    let mut s = String::with_capacity(SESSION_PREFIX.len() + 2 * key.len());
    s.push_str(SESSION_PREFIX);
    for b in key {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl Fleet {
    async fn get_session(&self, key: &[u8]) -> Option<Vec<u8>> {
        let found = self.get(&session_key(key)).await?;
        self.metrics
            .store_event(if found.is_some() { "hit" } else { "miss" });
        found
    }

    async fn put_session(&self, key: &[u8], value: &[u8], lifetime: Duration) {
        let ms = u64::try_from(lifetime.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut cmd = redis::cmd("SET");
        cmd.arg(session_key(key)).arg(value).arg("PX").arg(ms);
        if self.call::<Option<String>>(&cmd).await.is_some() {
            self.metrics.store_event("stored");
        }
    }
}

/// The store the acceptor asks: the fleet, shared.
#[derive(Clone)]
pub struct FleetStore(pub Arc<Fleet>);

impl glasstls_tokio::AsyncSessionStore for FleetStore {
    fn get(&self, key: Vec<u8>) -> Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send>> {
        let fleet = Arc::clone(&self.0);
        Box::pin(async move { fleet.get_session(&key).await })
    }

    /// Stored by a task of its own: the handshake that made the session does not wait.
    fn put(&self, key: Vec<u8>, value: Vec<u8>, lifetime: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let fleet = Arc::clone(&self.0);
        runtime.spawn(async move { fleet.put_session(&key, &value, lifetime).await });
    }
}

/// `glasstls ticket-keys rotate|show`.
pub fn run(command: &crate::cli::TicketKeysCommand) -> Result<(), String> {
    use crate::cli::TicketKeysCommand;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (url, rotate) = match command {
            TicketKeysCommand::Rotate {
                session_store,
                ticket_window,
            } => (session_store, Some(*ticket_window)),
            TicketKeysCommand::Show { session_store } => (session_store, None),
        };
        // An operator's command may wait longer than a handshake would.
        let fleet = Fleet::open(url, Duration::from_secs(2), Arc::new(Metrics::default()))?;
        let ring = match rotate {
            Some(window) => {
                let window = match window {
                    Some(secs) => Duration::try_from_secs_f64(secs)
                        .map_err(|_| format!("--ticket-window {secs}: not a number of seconds"))?,
                    None => glasstls::session::DEFAULT_SESSION_LIFETIME,
                };
                let ring = fleet.rotate(Duration::ZERO, window, true).await?;
                println!("rotated: {}", describe_ring(&ring));
                ring
            }
            None => fleet
                .ring()
                .await
                .ok_or_else(|| format!("{} did not answer", fleet.shown))?
                .unwrap_or_default(),
        };
        let now = UnixTime::now().as_secs();
        for key in &ring {
            let age = now.saturating_sub(key.created);
            match key.retired {
                None => println!("  seals:       made {age} s ago"),
                Some(at) => println!(
                    "  opens only:  made {age} s ago, retired {} s ago",
                    now.saturating_sub(at)
                ),
            }
        }
        if ring.is_empty() {
            println!("no ticket keys in {} yet", fleet.shown);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_and_a_success_resets_it() {
        let breaker = Breaker::new();
        assert!(breaker.allows());
        assert!(!breaker.failed() && !breaker.failed());
        breaker.succeeded();
        assert!(!breaker.failed() && !breaker.failed());
        assert!(breaker.allows(), "two failures in a row do not open it");
        assert!(breaker.failed(), "the third does");
        assert!(!breaker.allows());
    }

    #[test]
    fn passwords_stay_out_of_the_startup_line() {
        assert_eq!(
            without_password("redis://:hunter2@10.0.0.5:6379/2"),
            "redis://10.0.0.5:6379/2"
        );
        assert_eq!(
            without_password("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(session_key(&[0xab, 1]), "glasstls:session:ab01");
    }
}
