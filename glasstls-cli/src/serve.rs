//! `glasstls serve`: a tokio runtime (`--workers` threads) accepting TLS connections through
//! glasstls-tokio, at most `--max-connections` at once, each answered by hyper (HTTP/1.1 with
//! keep-alive, or h2 when ALPN chose it; [`crate::pages`]) or echoed (`--echo`). Sessions are
//! kept in memory, or in Redis for a fleet ([`crate::fleet`]). SIGINT and SIGTERM stop
//! accepting and drain the open connections within `--drain-timeout`; SIGHUP reloads the
//! certificates, keys and ticket settings (new connections get them, open ones keep theirs).

use crate::cli::ServeArgs;
use crate::fleet::{Fleet, FleetStore};
use crate::metrics::Metrics;
use crate::trace::{TraceSettings, Tracer};
use crate::{apply_common, names_rsa_key_exchange};
use glasstls::session::TicketKeys;
use glasstls::{AlertDescription, Event, Identity, ServerConfig};
use glasstls_tokio::{TlsAcceptor, TlsStream};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// How long each phase of a connection may take. A per-read timeout alone does not bound a
/// phase: a client that trickles one byte just inside it holds the connection forever, so the
/// handshake and each HTTP request get a deadline for the whole phase, and the transport
/// also gives up when nothing has moved either way for `idle` (a silent client, or one that
/// stops reading its replies on a keep-alive connection).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The whole handshake, from accept to the last Finished.
    pub handshake: Duration,
    /// Each HTTP request's head, and each request body, after the handshake (page mode).
    pub request: Duration,
    /// The longest nothing may move on the transport.
    pub idle: Duration,
    /// Connections served at once; one more is refused with a fatal internal_error alert.
    pub max_connections: usize,
    /// After SIGINT or SIGTERM: how long open connections have to finish.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(30),
            request: Duration::from_secs(60),
            idle: Duration::from_secs(300),
            max_connections: 1024,
            drain: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Page,
    Echo,
    /// `--inspect`: the visitor's own ClientHello.
    Inspect,
}

/// Ticket-key rotation every six hours, as before fleets.
const DEFAULT_TICKET_ROTATION: Duration = Duration::from_secs(6 * 60 * 60);

/// What `serve`'s flags (and config file) make: the config, and what it is served with.
struct Built {
    config: ServerConfig,
    mode: Mode,
    limits: Limits,
    rotation: Duration,
    window: Duration,
}

/// The flags over the config file (`--config`), merged.
fn merged(args: &ServeArgs) -> Result<ServeArgs, String> {
    match &args.config {
        Some(path) => {
            let file = crate::config_file::load(path)?;
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            crate::config_file::merge(args.clone(), file, dir)
        }
        None => Ok(args.clone()),
    }
}

fn seconds(flag: &str, value: Option<f64>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(secs) => Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("{flag} {secs}: not a number of seconds")),
    }
}

/// Reads every file the flags name and builds the config: at startup, and again on SIGHUP.
fn build(args: &ServeArgs) -> Result<Built, String> {
    if args.cert.len() != args.key.len() {
        return Err("give each --cert its own --key, in the same order".into());
    }
    let identities = args
        .cert
        .iter()
        .zip(&args.key)
        .map(|(cert, key)| Identity::from_pem_files(cert, key).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = ServerConfig::new(identities);
    for entry in &args.sni {
        let (name, files) = entry
            .split_once('=')
            .ok_or_else(|| format!("--sni {entry:?}: expected NAME=CERT.pem,KEY.pem"))?;
        let (cert, key) = files
            .split_once(',')
            .ok_or_else(|| format!("--sni {entry:?}: expected NAME=CERT.pem,KEY.pem"))?;
        let identity = Identity::from_pem_files(cert, key).map_err(|e| e.to_string())?;
        config
            .named_identities
            .push((name.to_ascii_lowercase(), identity));
    }
    for path in &args.ech_key {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = glasstls::ech::EchKey::from_pem(&pem)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        config.ech_keys.push(Arc::new(key));
    }
    if let Some(path) = &args.client_ca {
        let roots = glasstls::RootStore::from_pem_file(path)
            .map_err(|e| format!("--client-ca {}: {e}", path.display()))?;
        let required = args.client_auth == crate::cli::ClientAuthMode::Required;
        config.client_auth = Some(glasstls::ClientAuth::new(roots, required));
    }
    config.prefer_server_suite_order = args.prefer_server_order;
    config.session_ids = !args.no_session_ids;
    let defaults = Limits::default();
    let rotation = seconds(
        "--ticket-rotation",
        args.ticket_rotation,
        DEFAULT_TICKET_ROTATION,
    )?;
    let window = seconds(
        "--ticket-window",
        args.ticket_window,
        config.session_lifetime,
    )?;
    if rotation.is_zero() {
        return Err("--ticket-rotation must be greater than zero".into());
    }
    config.tickets = (!args.no_tickets).then(|| {
        // A fleet's keys come from Redis and rotate there; a lone server rotates its own.
        let local = if args.session_store.is_some() {
            Duration::MAX
        } else {
            rotation
        };
        Arc::new(TicketKeys::new(local, window))
    });
    apply_common(&mut config.common, &args.common)?;
    // The inspector reads the visitor's ClientHello from the trace.
    config.common.trace |= args.trace_html.is_some() || args.inspect;
    if let Some(dir) = &args.trace_html {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    config.common.rsa_key_exchange =
        args.rsa_kx || (!args.common.cipher.is_empty() && names_rsa_key_exchange(&config.common));
    config.validate().map_err(|e| e.to_string())?;
    // RFC 7301 §3.2: the protocol selected is the one the connection then uses, so only
    // what is really spoken is offered. The pages speak h2 and HTTP/1.x (h2 first when the
    // client offers both, as nginx does; `curl --http1.0` offers only "http/1.0", and §3.2
    // would have it refused with no_application_protocol were that left out); --echo speaks
    // whatever comes.
    if !args.echo {
        if let Some(other) = config
            .common
            .alpn_protocols
            .iter()
            .find(|p| !matches!(p.as_slice(), b"h2" | b"http/1.1" | b"http/1.0"))
        {
            return Err(format!(
                "--alpn {}: serve answers in h2 and HTTP/1.1 and would agree to a protocol it \
                 does not speak (offer h2 or http/1.1, or use --echo, which speaks whatever \
                 comes)",
                String::from_utf8_lossy(other)
            ));
        }
        if config.common.alpn_protocols.is_empty() {
            config.common.alpn_protocols =
                vec![b"h2".to_vec(), b"http/1.1".to_vec(), b"http/1.0".to_vec()];
        }
    }
    let mode = match (args.echo, args.inspect) {
        (true, _) => Mode::Echo,
        (_, true) => Mode::Inspect,
        _ => Mode::Page,
    };
    let limits = Limits {
        handshake: seconds(
            "--handshake-timeout",
            args.handshake_timeout,
            defaults.handshake,
        )?,
        idle: seconds("--idle-timeout", args.idle_timeout, defaults.idle)?,
        request: defaults.request,
        max_connections: args.max_connections.unwrap_or(defaults.max_connections),
        drain: seconds("--drain-timeout", args.drain_timeout, defaults.drain)?,
    };
    if limits.handshake.is_zero() || limits.idle.is_zero() || limits.max_connections == 0 {
        return Err("timeouts and --max-connections must be greater than zero".into());
    }
    Ok(Built {
        config,
        mode,
        limits,
        rotation,
        window,
    })
}

pub fn run(args: &ServeArgs) -> Result<(), String> {
    let args = merged(args)?;
    let built = build(&args)?;
    let mut config = built.config;
    let listen = args.listen.as_deref().unwrap_or("127.0.0.1:4433");
    let workers = match args.workers {
        Some(0) => return Err("--workers must be at least 1".into()),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let listeners = listen_on(listen, workers)?;
    let addr = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .ok_or_else(|| format!("cannot listen on {listen}"))?;
    // This thread's runtime: signals, the ticket-key keeper, the fleet's Redis connection.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let metrics = Arc::new(Metrics::default());
        let fleet = match &args.session_store {
            Some(url) => {
                let timeout = Duration::from_millis(args.store_timeout.unwrap_or(50));
                Some(Arc::new(Fleet::open(url, timeout, Arc::clone(&metrics))?))
            }
            None => None,
        };
        if fleet.is_none() && args.metrics_listen.is_some() {
            config.session_store = Arc::new(crate::metrics::CountingStore {
                inner: Arc::clone(&config.session_store),
                metrics: Arc::clone(&metrics),
            });
        }
        // The fleet's ticket-key ring as last installed, kept by the keeper from here on.
        let mut held = Vec::new();
        if let Some(fleet) = &fleet {
            fleet.warm_up(Duration::from_secs(2)).await;
            if let Some(keys) = &config.tickets {
                // One turn before the first client, so that the first ticket is the fleet's.
                match fleet
                    .sync_ticket_keys(keys, &mut held, built.rotation, built.window)
                    .await
                {
                    Some(_) => eprintln!(
                        "glasstls: ticket keys from the fleet: {}",
                        crate::fleet::describe_ring(&held)
                    ),
                    None => eprintln!(
                        "glasstls: ticket keys: {} did not answer; local keys until it does",
                        fleet.shown
                    ),
                }
            }
        }
        eprintln!("glasstls: listening on {addr}");
        eprintln!(
            "glasstls: {}",
            startup_summary(&config, fleet.as_deref(), workers)
        );
        if let Some(at) = &args.metrics_listen {
            let listener = std::net::TcpListener::bind(at)
                .map_err(|e| format!("cannot listen on {at} for metrics: {e}"))?;
            let metrics_addr = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("glasstls: metrics on http://{metrics_addr}/metrics");
            let served = Arc::clone(&metrics);
            std::thread::spawn(move || crate::metrics::serve(listener, served));
        }
        let server = Arc::new(Server {
            current: RwLock::new(Arc::new(Current {
                config: Arc::new(config),
                limits: built.limits,
                rotation: built.rotation,
                window: built.window,
            })),
            mode: built.mode,
            pages: Pages {
                trace: args
                    .common
                    .trace_settings(args.trace_html.is_some() || args.inspect),
                dir: args.trace_html.clone(),
                log: args.log_format,
                metrics: args.metrics_listen.is_some().then(|| Arc::clone(&metrics)),
            },
            fleet: fleet.clone(),
            open: Arc::new(AtomicUsize::new(0)),
            accepted: AtomicU64::new(0),
            listening: AtomicUsize::new(0),
            shutdown: tokio::sync::watch::channel(false).0,
        });
        tokio::spawn(keep_ticket_keys(
            Arc::clone(&server),
            held,
            Arc::clone(&metrics),
        ));
        let threads = listeners
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let server = Arc::clone(&server);
                std::thread::Builder::new()
                    .name(format!("glasstls-worker-{i}"))
                    .spawn(move || worker(server, listener, true))
                    .map_err(|e| format!("cannot start a worker thread: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        serve_until_signalled(server, threads, args).await
    })
}

/// The startup line: identities (subject of each chain, by name when named), versions,
/// sessions and where they are kept, tickets, ECH keys, client authentication, workers.
fn startup_summary(config: &ServerConfig, fleet: Option<&Fleet>, workers: usize) -> String {
    let subject = |i: &glasstls::Identity| {
        i.chain()
            .first()
            .map(|c| glasstls::trace::CertificateSummary::of(c).subject)
            .unwrap_or_default()
    };
    let mut identities: Vec<String> = config.identities.iter().map(subject).collect();
    identities.extend(
        config
            .named_identities
            .iter()
            .map(|(name, i)| format!("{name}: {}", subject(i))),
    );
    let versions: Vec<String> = config
        .common
        .versions
        .iter()
        .map(|v| v.to_string())
        .collect();
    format!(
        "identities [{}]; versions {}; session IDs {}, tickets {}; session store {}; ECH keys {}; client certificates {}{}",
        identities.join("; "),
        versions.join(", "),
        if config.session_ids { "on" } else { "off" },
        match (&config.tickets, fleet) {
            (None, _) => "off",
            (Some(_), Some(_)) => "on (the fleet's keys)",
            (Some(_), None) => "on",
        },
        fleet.map_or("in memory".to_string(), |f| f.shown.clone()),
        config.ech_keys.len(),
        match &config.client_auth {
            Some(a) if a.required => "required",
            Some(_) => "optional",
            None => "not asked for",
        },
        if workers > 0 {
            format!("; {workers} worker thread(s)")
        } else {
            String::new()
        },
    )
}

/// What each connection prints of its trace, and where its page goes (`--trace-html DIR`).
#[derive(Clone, Debug, Default)]
pub struct Pages {
    pub trace: TraceSettings,
    pub dir: Option<std::path::PathBuf>,
    /// How each connection's log line is written.
    pub log: LogFormat,
    /// `--metrics-listen`: what is counted.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
}

/// `serve --log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `[conn N] PEER sni=… TLSv1.3 SUITE GROUP resumed=… alpn=… MS ms in=… B out=… B: ENDED`.
    #[default]
    Text,
    /// One JSON object per line, the same fields by name.
    Json,
    /// No line per connection (as nginx's `access_log off`); the metrics still count them.
    Off,
}

/// What the log says of one connection.
struct ConnLog {
    peer: String,
    sni: Option<String>,
    version: Option<String>,
    suite: Option<String>,
    group: Option<String>,
    resumed: Option<String>,
    alpn: Option<String>,
    ms: f64,
    bytes_in: u64,
    bytes_out: u64,
    /// `Ok(true)`: ended with close_notify; `Err`: why it failed.
    ended: Result<bool, String>,
    /// How long the handshake took, when it completed.
    handshake: Option<Duration>,
    /// The alert a failed connection ended with (`sent X`, `received X`), if any.
    alert: Option<String>,
}

impl ConnLog {
    fn text(&self) -> String {
        let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let ended = match &self.ended {
            Ok(true) => "ok, closed with close_notify".to_string(),
            Ok(false) => "ok".to_string(),
            Err(e) => e.clone(),
        };
        format!(
            "{} sni={} {} {} {} resumed={} alpn={} {:.1} ms in={} B out={} B: {ended}",
            self.peer,
            field(&self.sni),
            field(&self.version),
            field(&self.suite),
            field(&self.group),
            field(&self.resumed),
            field(&self.alpn),
            self.ms,
            self.bytes_in,
            self.bytes_out,
        )
    }

    fn json(&self, conn: u64) -> String {
        serde_json::json!({
            "conn": conn,
            "peer": self.peer,
            "sni": self.sni,
            "version": self.version,
            "suite": self.suite,
            "group": self.group,
            "resumed": self.resumed,
            "alpn": self.alpn,
            "ms": (self.ms * 10.0).round() / 10.0,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "ok": self.ended.is_ok(),
            "close_notify": matches!(self.ended, Ok(true)),
            "error": self.ended.as_ref().err(),
        })
        .to_string()
    }
}

/// What new connections are served with; SIGHUP replaces it.
struct Current {
    config: Arc<ServerConfig>,
    limits: Limits,
    rotation: Duration,
    window: Duration,
}

/// One listening server.
struct Server {
    current: RwLock<Arc<Current>>,
    mode: Mode,
    pages: Pages,
    fleet: Option<Arc<Fleet>>,
    /// Connections open now.
    open: Arc<AtomicUsize>,
    /// Connections accepted so far (each one's number in the log).
    accepted: AtomicU64,
    /// Worker sockets still open.
    listening: AtomicUsize,
    /// Set once SIGINT or SIGTERM came: open connections finish what they are doing.
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Server {
    fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }
}

/// `--workers` listening sockets on one address (SO_REUSEPORT: the kernel spreads new
/// connections over them), for a worker thread each, as nginx's worker processes share theirs.
fn listen_on(listen: &str, workers: usize) -> Result<Vec<std::net::TcpListener>, String> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;
    let cannot = |e: &dyn std::fmt::Display| format!("cannot listen on {listen}: {e}");
    let mut addr = listen
        .to_socket_addrs()
        .map_err(|e| cannot(&e))?
        .next()
        .ok_or_else(|| cannot(&"no such address"))?;
    let mut listeners = Vec::with_capacity(workers);
    for _ in 0..workers {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(|e| cannot(&e))?;
        socket.set_reuse_address(true).map_err(|e| cannot(&e))?;
        socket.set_reuse_port(true).map_err(|e| cannot(&e))?;
        socket.set_nonblocking(true).map_err(|e| cannot(&e))?;
        socket.bind(&addr.into()).map_err(|e| cannot(&e))?;
        socket.listen(1024).map_err(|e| cannot(&e))?;
        let listener = std::net::TcpListener::from(socket);
        // Port 0: the others join the port the first one got.
        addr = listener.local_addr().map_err(|e| cannot(&e))?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// One worker thread: a single-threaded runtime accepting on its own socket and serving every
/// connection it accepts, start to end, on this thread (no connection moves between threads,
/// no wake-up crosses one). Once the server stops it closes its socket and drains its
/// connections within the drain timeout.
fn worker(server: Arc<Server>, listener: std::net::TcpListener, stops: bool) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("glasstls: cannot start a worker's runtime");
        return;
    };
    runtime.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            eprintln!("glasstls: a worker cannot take its socket");
            return;
        };
        let mut shutdown = server.shutdown.subscribe();
        server.listening.fetch_add(1, Ordering::SeqCst);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((tcp, _)) = accepted else { continue };
                    let number = server.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                    accept(&server, tcp, number);
                }
                _ = shutdown.wait_for(|stop| *stop), if stops => break,
            }
        }
        drop(listener);
        server.listening.fetch_sub(1, Ordering::SeqCst);
        let deadline = Instant::now() + server.current().limits.drain;
        while server.open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

/// Waits for SIGINT or SIGTERM, reloading on SIGHUP; then stops the workers and waits for
/// them to drain.
async fn serve_until_signalled(
    server: Arc<Server>,
    workers: Vec<std::thread::JoinHandle<()>>,
    args: ServeArgs,
) -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let why = loop {
        tokio::select! {
            _ = hangup.recv() => reload(&server, &args),
            _ = interrupt.recv() => break "SIGINT",
            _ = terminate.recv() => break "SIGTERM",
        }
    };
    let _ = server.shutdown.send(true);
    while server.listening.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain = server.current().limits.drain;
    let open = server.open.load(Ordering::SeqCst);
    eprintln!(
        "glasstls: {why}: no longer accepting; draining {open} connection(s) within {} s",
        drain.as_secs_f64()
    );
    let _ = tokio::task::spawn_blocking(move || {
        for worker in workers {
            let _ = worker.join();
        }
    })
    .await;
    let left = server.open.load(Ordering::SeqCst);
    eprintln!(
        "glasstls: stopped ({} drained, {left} cut off at the drain timeout)",
        open.saturating_sub(left)
    );
    Ok(())
}

/// SIGHUP: the flags' files read again (certificates, keys, the config file, ticket
/// settings). The sessions and ticket keys carry over, so that what was issued still resumes;
/// a reload that fails leaves the server as it was.
fn reload(server: &Server, args: &ServeArgs) {
    let built = match merged(args).and_then(|args| build(&args)) {
        Ok(built) => built,
        Err(e) => {
            eprintln!("glasstls: reload failed, still serving as before: {e}");
            return;
        }
    };
    let before = server.current();
    let mut config = built.config;
    config.session_store = Arc::clone(&before.config.session_store);
    config.tickets = match (&before.config.tickets, &config.tickets) {
        (Some(old), Some(new)) => {
            Some(Arc::new(old.reconfigured(new.rotation, new.accept_old_for)))
        }
        (_, new) => new.clone(),
    };
    let summary = startup_summary(&config, server.fleet.as_deref(), 0);
    let next = Arc::new(Current {
        config: Arc::new(config),
        limits: built.limits,
        rotation: built.rotation,
        window: built.window,
    });
    match server.current.write() {
        Ok(mut current) => *current = next,
        Err(poisoned) => *poisoned.into_inner() = next,
    }
    eprintln!("glasstls: reloaded: {summary}");
}

/// Keeps the ticket keys: in a fleet, one turn of [`Fleet::sync_ticket_keys`] a second
/// (more often when the rotation is shorter); alone, nothing to do but report the key's age.
async fn keep_ticket_keys(
    server: Arc<Server>,
    mut held: Vec<glasstls::session::TicketKeySecret>,
    metrics: Arc<Metrics>,
) {
    loop {
        let current = server.current();
        let poll = (current.rotation / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
        if let (Some(fleet), Some(keys)) = (&server.fleet, &current.config.tickets) {
            let turn = fleet.sync_ticket_keys(keys, &mut held, current.rotation, current.window);
            if turn.await == Some(true) {
                eprintln!(
                    "glasstls: ticket keys from the fleet: {}",
                    crate::fleet::describe_ring(&held)
                );
            }
        }
        if let Some((_, created)) = current
            .config
            .tickets
            .as_ref()
            .and_then(|k| k.current_key())
        {
            metrics.ticket_key(created);
        }
        tokio::time::sleep(poll).await;
    }
}

/// Takes one accepted connection: refused past the bound, else served by a task of its own.
fn accept(server: &Arc<Server>, tcp: TcpStream, number: u64) {
    let prefix = format!("[conn {number}] ");
    let current = server.current();
    let max = current.limits.max_connections;
    if server.open.fetch_add(1, Ordering::SeqCst) >= max {
        let slot = Slot(Arc::clone(&server.open));
        tokio::spawn(async move {
            let _slot = slot;
            refuse(tcp).await;
        });
        eprintln!("{prefix}refused: {max} connections already open (--max-connections)");
        return;
    }
    let slot = Slot(Arc::clone(&server.open));
    let server = Arc::clone(server);
    tokio::spawn(async move {
        let _slot = slot;
        let tracer = server.pages.trace.tracer().numbered(number, &prefix);
        let metrics = server.pages.metrics.clone();
        if let Some(m) = &metrics {
            m.opened();
        }
        let (log, tracer) = serve_one(&server, current, tcp, tracer).await;
        if let Some(m) = &metrics {
            m.closed();
            if let (Some(took), Some(version), Some(suite)) =
                (log.handshake, &log.version, &log.suite)
            {
                let resumed = log.resumed.as_deref().unwrap_or("no");
                m.handshake(version, suite, resumed, took);
            }
            if log.ended.is_err() {
                m.failure(log.alert.as_deref().unwrap_or("none"));
            }
        }
        match server.pages.log {
            LogFormat::Text => eprintln!("{prefix}{}", log.text()),
            LogFormat::Json => eprintln!("{}", log.json(number)),
            LogFormat::Off => {}
        }
        if let Some(dir) = &server.pages.dir {
            write_page(dir, number, &prefix, &tracer);
        }
    });
}

/// `--trace-html DIR`: the connection's page, written beside and renamed, so that a reader
/// never sees half a page.
fn write_page(dir: &std::path::Path, number: u64, prefix: &str, tracer: &Tracer) {
    let path = dir.join(format!("conn-{number}.html"));
    let page = crate::html::page(
        &format!("glasstls serve: connection {number}"),
        glasstls::Side::Server,
        &tracer.recorded(),
        tracer.lang(),
    );
    let partial = dir.join(format!(".conn-{number}.html.partial"));
    if let Err(e) = std::fs::write(&partial, page).and_then(|()| std::fs::rename(&partial, &path)) {
        eprintln!("{prefix}{}: {e}", path.display());
    }
}

/// Past the connection bound: a fatal internal_error alert in a plaintext record, then close.
/// RFC 8446 §6.2: "internal_error: An internal error unrelated to the peer or the correctness
/// of the protocol (such as a memory allocation failure) makes it impossible to continue."
/// RFC 5246 §7.2.2: "When an error is detected, the detecting party sends a message to the
/// other party. Upon transmission or receipt of a fatal alert message, both parties
/// immediately close the connection." Sent before the ClientHello, in plaintext, it tells the
/// client it was refused rather than leaving it a bare reset.
async fn refuse(mut tcp: TcpStream) {
    let alert = glasstls::fatal_alert_record(AlertDescription::InternalError);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = tcp.write_all(&alert).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}

/// Counts a connection as open until it is dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's transport: counts the bytes each way for the log line, and fails with
/// "the peer was idle too long" once nothing has moved either way for `idle` (a read that
/// waits and a write that waits share the one timer; any progress resets it).
pub struct Transport {
    tcp: TcpStream,
    read: u64,
    written: u64,
    idle: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    armed: bool,
}

impl Transport {
    fn new(tcp: TcpStream, idle: Duration) -> Self {
        Self {
            tcp,
            read: 0,
            written: 0,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            armed: false,
        }
    }

    /// Called when an operation must wait: starts the idle clock if it is not running, and
    /// fails when it has run out.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if !self.armed {
            let at = tokio::time::Instant::now() + self.idle;
            self.timer.as_mut().reset(at);
            self.armed = true;
        }
        ready!(self.timer.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the peer was idle too long (--idle-timeout)",
        ))
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.armed = false;
                this.read += (buf.filled().len() - before) as u64;
                Poll::Ready(result)
            }
            Poll::Pending => this.waiting(cx).map(Err),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.tcp).poll_write(cx, data) {
            Poll::Ready(result) => {
                this.armed = false;
                if let Ok(n) = &result {
                    this.written += *n as u64;
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.waiting(cx).map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// What the log and the trace take from a connection at its end.
#[derive(Default)]
struct Remains {
    read: u64,
    written: u64,
    closed: bool,
    alert: Option<String>,
    events: Vec<Event>,
}

fn remains_of(stream: &mut TlsStream<Transport>) -> Remains {
    Remains {
        read: stream.get_ref().read,
        written: stream.get_ref().written,
        closed: stream.conn().peer_has_closed(),
        alert: alert_of(stream.conn()),
        events: stream.conn_mut().take_events(),
    }
}

fn alert_of(conn: &glasstls::Connection) -> Option<String> {
    match conn.error()? {
        glasstls::Error::AlertReceived(a) => Some(format!("received {a}")),
        other => other.alert().map(|a| format!("sent {a}")),
    }
}

/// The TLS stream as hyper's h2 connection holds it: h2 must own its transport to its end and
/// gives no parts back (as HTTP/1's does), so when hyper drops it, what the log and the trace
/// need is left in `remains`.
struct Held {
    stream: Option<Box<TlsStream<Transport>>>,
    remains: Arc<Mutex<Remains>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let (Some(stream), Ok(mut remains)) = (self.stream.as_mut(), self.remains.lock()) {
            *remains = remains_of(stream);
        }
    }
}

impl Held {
    fn stream(&mut self) -> io::Result<&mut TlsStream<Transport>> {
        self.stream
            .as_deref_mut()
            .ok_or_else(|| io::Error::other("the stream is gone"))
    }
}

impl AsyncRead for Held {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().stream()?).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_shutdown(cx)
    }
}

/// The stream once its handshake has run (or why there is none: `None` for the deadline),
/// the handshake's result (`None`: it took too long) and how long it took, in µs.
async fn handshake_phase(
    server: &Server,
    current: Arc<Current>,
    tcp: TcpStream,
) -> (
    Result<Box<TlsStream<Transport>>, Option<String>>,
    Option<io::Result<()>>,
    u128,
) {
    let limits = current.limits;
    let mut acceptor = TlsAcceptor::from(Arc::clone(&current.config));
    if let Some(fleet) = &server.fleet {
        acceptor = acceptor.with_session_store(Arc::new(FleetStore(Arc::clone(fleet))));
    }
    let deadline = tokio::time::Instant::now() + limits.handshake;
    let transport = Transport::new(tcp, limits.idle);
    let mut stream = match tokio::time::timeout_at(deadline, acceptor.start(transport)).await {
        Ok(Ok(stream)) => Box::new(stream),
        Ok(Err(e)) => return (Err(Some(format!("handshake failed: {e}"))), None, 0),
        Err(_) => return (Err(None), None, 0),
    };
    let started = Instant::now();
    let handshake = tokio::time::timeout_at(deadline, stream.handshake()).await;
    (Ok(stream), handshake.ok(), started.elapsed().as_micros())
}

/// Serves one connection; returns what its log line says (peer, SNI, version, suite, group,
/// how it resumed, ALPN, duration, bytes each way, how it ended), and its tracer.
async fn serve_one(
    server: &Server,
    current: Arc<Current>,
    tcp: TcpStream,
    tracer: Tracer,
) -> (ConnLog, Tracer) {
    let peer = tcp
        .peer_addr()
        .map_or_else(|_| "(unknown peer)".into(), |a| a.to_string());
    let started = Instant::now();
    let _ = tcp.set_nodelay(true);
    let mut log = ConnLog {
        peer,
        sni: None,
        version: None,
        suite: None,
        group: None,
        resumed: None,
        alpn: None,
        ms: 0.0,
        bytes_in: 0,
        bytes_out: 0,
        ended: Ok(false),
        handshake: None,
        alert: None,
    };
    let limits = current.limits;
    // The handshake runs in a future of its own on the heap, and the stream lives on the heap
    // too: what an idle connection's task holds is then what it needs for the rest of the
    // connection, not the room the handshake's steps took.
    let (stream, handshake, handshake_us) = Box::pin(handshake_phase(server, current, tcp)).await;
    let too_long = || "handshake failed: the handshake took too long (--handshake-timeout)";
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(why) => {
            log.ended = Err(why.unwrap_or_else(|| too_long().into()));
            log.ms = started.elapsed().as_secs_f64() * 1000.0;
            return (log, tracer);
        }
    };
    tracer.print(&mut io::stderr(), stream.conn_mut());
    let info = stream.conn().info().clone();
    log.sni = info.server_name.clone();
    log.version = info.version.map(|v| v.to_string());
    log.suite = info.cipher_suite.map(|s| s.to_string());
    log.group = info.group.map(|g| g.to_string());
    log.alpn = info
        .alpn_protocol
        .as_ref()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let failed = match handshake {
        None => Some(too_long().to_string()),
        Some(Err(e)) => Some(format!("handshake failed: {e}")),
        Some(Ok(())) => None,
    };
    if let Some(why) = failed {
        finish(
            &mut log,
            remains_of(&mut stream),
            Err(why),
            started,
            &tracer,
        );
        return (log, tracer);
    }
    log.handshake = Some(started.elapsed());
    log.resumed = Some(info.resumed.map_or("no".into(), |r| r.to_string()));
    let (ended, remains) = match server.mode {
        Mode::Echo => {
            let ended = Box::pin(echo(&mut stream, server.shutdown.subscribe())).await;
            (ended, remains_of(&mut stream))
        }
        Mode::Page | Mode::Inspect => {
            let site = Arc::new(crate::pages::Site {
                inspect: (server.mode == Mode::Inspect).then(|| crate::pages::Inspection {
                    events: tracer.recorded(),
                    handshake_us,
                    lang: tracer.lang(),
                }),
                info,
                body_deadline: limits.request,
                drawn: Default::default(),
            });
            // Boxed, as each protocol's connection: a connection's task then holds the state
            // of the one protocol it speaks, not room for the largest of them.
            let shutdown = server.shutdown.subscribe();
            if stream.conn().info().alpn_protocol.as_deref() == Some(b"h2".as_slice()) {
                Box::pin(http2(stream, site, shutdown)).await
            } else {
                let ended = Box::pin(http1(&mut stream, site, limits, shutdown)).await;
                (ended, remains_of(&mut stream))
            }
        }
    };
    finish(&mut log, remains, ended, started, &tracer);
    (log, tracer)
}

/// A connection's end in its log line (bytes, the alert, how it ended, how long it took) and
/// its trace (the events since the handshake).
fn finish(
    log: &mut ConnLog,
    remains: Remains,
    ended: Result<(), String>,
    started: Instant,
    tracer: &Tracer,
) {
    tracer.print_events(&mut io::stderr(), remains.events);
    log.bytes_in = remains.read;
    log.bytes_out = remains.written;
    log.alert = remains.alert;
    log.ended = ended.map(|()| remains.closed);
    log.ms = started.elapsed().as_secs_f64() * 1000.0;
}

/// `--echo`: every byte back, until the peer closes (or the server stops: close_notify).
async fn echo(
    stream: &mut TlsStream<Transport>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            n = stream.read(&mut buf) => n.map_err(|e| e.to_string())?,
            _ = shutdown.wait_for(|stop| *stop) => 0,
        };
        if n == 0 {
            return stream.shutdown().await.map_err(|e| e.to_string());
        }
        // Flushed before the next read: the peer may send nothing more until it has this.
        stream
            .write_all(buf.get(..n).unwrap_or_default())
            .await
            .map_err(|e| e.to_string())?;
        stream.flush().await.map_err(|e| e.to_string())?;
    }
}

/// The pages over hyper's h2 (ALPN chose it), to the connection's end.
async fn http2(
    stream: Box<TlsStream<Transport>>,
    site: Arc<crate::pages::Site>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> (Result<(), String>, Remains) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let remains = Arc::new(Mutex::new(Remains::default()));
    let held = Held {
        stream: Some(stream),
        remains: Arc::clone(&remains),
    };
    let service =
        hyper::service::service_fn(move |request| crate::pages::answer(Arc::clone(&site), request));
    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(held), service);
    let ended = Box::pin(until_done(conn, shutdown)).await;
    // The connection is done and dropped: `Held` has left what remains.
    let remains = std::mem::take(&mut *remains.lock().unwrap_or_else(|p| p.into_inner()));
    (ended, remains)
}

/// How long an HTTP/1 connection must have been quiet (every request answered and flushed,
/// nothing read since) before hyper's connection is put away until the next request.
const PARK_AFTER: Duration = Duration::from_millis(100);

/// The pages over hyper's HTTP/1.1 (and 1.0), one turn at a time. hyper keeps two 8 KiB
/// buffers in every HTTP/1 connection, idle or not (its read buffer, and its write buffer's
/// header space); most keep-alive connections are idle most of the time. So once a connection
/// has been quiet for [`PARK_AFTER`], the turn ends ([`Turn`] reports the end of input), hyper
/// hands back what it read and did not use (`into_parts`), its connection is dropped, and the
/// stream waits for the next request holding no buffer (`AsyncBufRead::fill_buf`); a new turn
/// serves it. Each reply is written whole into one buffer (`writev(false)`: hyper copies head
/// and body together), so that it leaves in as few records as it fits. On shutdown, hyper
/// finishes the request in hand and answers with `Connection: close`.
async fn http1(
    stream: &mut TlsStream<Transport>,
    site: Arc<crate::pages::Site>,
    limits: Limits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    use tokio::io::AsyncBufReadExt;
    let mut prefix = bytes::Bytes::new();
    loop {
        // A turn's state (hyper's connection among it) on the heap of its own, given back at
        // the turn's end: a parked connection's task holds none of it.
        let ended = Box::pin(turn(
            &mut *stream,
            std::mem::take(&mut prefix),
            &site,
            limits,
            &mut shutdown,
        ))
        .await;
        let TurnEnd {
            parked,
            stopping,
            unread,
        } = ended?;
        if !parked || stopping {
            // hyper ended the connection (HTTP/1.0, `Connection: close`, the client's close,
            // the server stopping): close_notify, as hyper's own shutdown would send.
            return stream.shutdown().await.map_err(|e| e.to_string());
        }
        prefix = unread;
        if prefix.is_empty() {
            // Parked: only the stream is held until the next request (or the idle timeout,
            // or the client's close, or the server stopping).
            let next = tokio::select! {
                next = stream.fill_buf() => next.map(|b| !b.is_empty()),
                _ = shutdown.wait_for(|stop| *stop) => Ok(false),
            };
            match next {
                Ok(true) => {}
                Ok(false) => return stream.shutdown().await.map_err(|e| e.to_string()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// How a turn ended: parked (quiet, hyper put away), with the server stopping, and what hyper
/// had read and not used.
struct TurnEnd {
    parked: bool,
    stopping: bool,
    unread: bytes::Bytes,
}

/// One turn of hyper's HTTP/1 connection over `stream`, starting with `prefix`.
async fn turn(
    stream: &mut TlsStream<Transport>,
    prefix: bytes::Bytes,
    site: &Arc<crate::pages::Site>,
    limits: Limits,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<TurnEnd, String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let state = Arc::new(TurnState::default());
    let service = {
        let (site, state) = (Arc::clone(site), Arc::clone(&state));
        hyper::service::service_fn(move |request| {
            state.started.fetch_add(1, Ordering::SeqCst);
            let (site, state) = (Arc::clone(&site), Arc::clone(&state));
            // Boxed: hyper's `poll_without_shutdown` wants the future `Unpin`.
            Box::pin(async move {
                let reply = crate::pages::answer(site, request).await;
                state.read_since_answer.store(0, Ordering::SeqCst);
                state.answered.fetch_add(1, Ordering::SeqCst);
                reply
            })
        })
    };
    let io = Turn {
        stream,
        prefix,
        state,
        dirty: false,
        quiet_since: None,
        parked: false,
    };
    let mut conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request)
        // A client may close its side (TLS 1.3: close_notify) once its request is sent, and
        // still read the reply (RFC 8446 §6.1), as `connect </dev/null` does.
        .half_close(true)
        .writev(false)
        .serve_connection(TokioIo::new(io), service);
    let mut stopping = *shutdown.borrow();
    if stopping {
        Pin::new(&mut conn).graceful_shutdown();
    }
    let done = loop {
        tokio::select! {
            done = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => break done,
            _ = shutdown.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                Pin::new(&mut conn).graceful_shutdown();
            }
        }
    };
    let parts = conn.into_parts();
    done.map_err(|e| in_full(&e))?;
    Ok(TurnEnd {
        parked: parts.io.inner().parked,
        stopping,
        unread: parts.read_buf,
    })
}

/// What the service of one turn has done, for [`Turn`] to tell a quiet connection.
#[derive(Default)]
struct TurnState {
    started: AtomicUsize,
    answered: AtomicUsize,
    /// Plaintext bytes hyper has read since the last answer (a request on its way).
    read_since_answer: AtomicUsize,
}

/// The TLS stream as one turn of hyper's HTTP/1 connection sees it: reads start with what the
/// turn before left unread; once the connection is quiet (every request answered, every reply
/// flushed, nothing read since) for [`PARK_AFTER`], a read that would wait reports the end of
/// input instead, and the turn ends `parked`. Shutdown is not passed on: the caller closes.
struct Turn<'a> {
    stream: &'a mut TlsStream<Transport>,
    prefix: bytes::Bytes,
    state: Arc<TurnState>,
    /// Written since the last flush that completed.
    dirty: bool,
    quiet_since: Option<Pin<Box<tokio::time::Sleep>>>,
    parked: bool,
}

impl Turn<'_> {
    fn quiet(&self) -> bool {
        let started = self.state.started.load(Ordering::SeqCst);
        let answered = self.state.answered.load(Ordering::SeqCst);
        started == answered
            && !self.dirty
            && self.state.read_since_answer.load(Ordering::SeqCst) == 0
    }
}

impl AsyncRead for Turn<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.parked {
            return Poll::Ready(Ok(()));
        }
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix.split_to(n));
            this.state.read_since_answer.fetch_add(n, Ordering::SeqCst);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut *this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.quiet_since = None;
                let n = buf.filled().len() - before;
                this.state.read_since_answer.fetch_add(n, Ordering::SeqCst);
                Poll::Ready(result)
            }
            Poll::Pending if this.quiet() => {
                let timer = this
                    .quiet_since
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(PARK_AFTER)));
                ready!(timer.as_mut().poll(cx));
                this.parked = true;
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                this.quiet_since = None;
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Turn<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.dirty = true;
        this.quiet_since = None;
        Pin::new(&mut *this.stream).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut *this.stream).poll_flush(cx))?;
        this.dirty = false;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// Runs a hyper connection to its end; once the server stops, it finishes the request in
/// hand and closes (HTTP/1.1: `Connection: close`; h2: GOAWAY).
async fn until_done<C>(
    conn: C,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String>
where
    C: hyper_util::server::graceful::GracefulConnection,
    C::Error: std::error::Error,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        done = conn.as_mut() => return done.map_err(|e| in_full(&e)),
        _ = shutdown.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
    }
    conn.await.map_err(|e| in_full(&e))
}

/// An error and its causes: hyper's "connection error" says little without the I/O error
/// beneath it ("the peer was idle too long").
fn in_full(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Runs a server on a thread of its own with a runtime of its own (the demo's): the same
/// connections as `serve`, without signals.
pub fn spawn_in_thread(
    listener: std::net::TcpListener,
    config: Arc<ServerConfig>,
    mode: Mode,
    limits: Limits,
    pages: Pages,
) -> Result<(), String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let server = Arc::new(Server {
        current: RwLock::new(Arc::new(Current {
            config,
            limits,
            rotation: DEFAULT_TICKET_ROTATION,
            window: Duration::ZERO,
        })),
        mode,
        pages,
        fleet: None,
        open: Arc::new(AtomicUsize::new(0)),
        accepted: AtomicU64::new(0),
        listening: AtomicUsize::new(0),
        shutdown: tokio::sync::watch::channel(false).0,
    });
    std::thread::spawn(move || worker(server, listener, false));
    Ok(())
}
