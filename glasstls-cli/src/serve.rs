//! `glasstls serve`: one thread per connection, at most `--max-connections` at once; a page
//! describing the handshake, or an echo.

use crate::cli::ServeArgs;
use crate::trace::{TraceSettings, Tracer};
use crate::{apply_common, names_rsa_key_exchange};
use glasstls::stream::Timeouts;
use glasstls::{AlertDescription, Connection, HandshakeInfo, Identity, ServerConfig, Stream};
use serde_json::Value as Json;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The largest HTTP request head we read before answering.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// How long each phase of a connection may take. A per-read timeout alone does not bound a
/// phase: a client that trickles one byte just inside it holds the connection (and its
/// thread) forever, so the handshake and the HTTP request each get a deadline for the whole
/// phase, and every read and write within a phase also waits at most `idle`. `Stream` enforces
/// them ([`glasstls::stream::Timeouts`], [`Stream::set_deadline`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The whole handshake, from accept to the last Finished.
    pub handshake: Duration,
    /// The whole HTTP request (head and body), after the handshake (page mode).
    pub request: Duration,
    /// The longest wait for one read or write once the handshake is done.
    pub idle: Duration,
    /// Connections served at once; one more is refused with a fatal internal_error alert.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(30),
            request: Duration::from_secs(60),
            idle: Duration::from_secs(300),
            max_connections: 1024,
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

pub fn run(args: &ServeArgs) -> Result<(), String> {
    let merged;
    let args = match &args.config {
        Some(path) => {
            let file = crate::config_file::load(path)?;
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            merged = crate::config_file::merge(args.clone(), file, dir)?;
            &merged
        }
        None => args,
    };
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
    if args.no_tickets {
        config.tickets = None;
    }
    apply_common(&mut config.common, &args.common)?;
    // The inspector reads the visitor's ClientHello from the trace.
    config.common.trace |= args.trace_html.is_some() || args.inspect;
    if let Some(dir) = &args.trace_html {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    config.common.rsa_key_exchange =
        args.rsa_kx || (!args.common.cipher.is_empty() && names_rsa_key_exchange(&config.common));
    config.validate().map_err(|e| e.to_string())?;
    // Only offer what is really spoken (RFC 7301 §3.2: the protocol selected is the one the
    // connection then uses): the pages are HTTP/1.1 (and 1.0); --echo speaks whatever comes.
    if !args.echo {
        if let Some(other) = config
            .common
            .alpn_protocols
            .iter()
            .find(|p| !matches!(p.as_slice(), b"http/1.1" | b"http/1.0"))
        {
            return Err(format!(
                "--alpn {}: serve answers in HTTP/1.1 and would agree to a protocol it does not \
                 speak (offer http/1.1, or use --echo, which speaks whatever comes)",
                String::from_utf8_lossy(other)
            ));
        }
    }
    let listen = args.listen.as_deref().unwrap_or("127.0.0.1:4433");
    let listener =
        TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("glasstls: listening on {addr}");
    eprintln!("glasstls: {}", startup_summary(&config));
    let metrics = match &args.metrics_listen {
        Some(at) => {
            let metrics = Arc::new(crate::metrics::Metrics::default());
            config.session_store = Arc::new(crate::metrics::CountingStore {
                inner: Arc::clone(&config.session_store),
                metrics: Arc::clone(&metrics),
            });
            let listener = TcpListener::bind(at)
                .map_err(|e| format!("cannot listen on {at} for metrics: {e}"))?;
            let metrics_addr = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("glasstls: metrics on http://{metrics_addr}/metrics");
            let served = Arc::clone(&metrics);
            std::thread::spawn(move || crate::metrics::serve(listener, served));
            Some(metrics)
        }
        None => None,
    };
    let mode = match (args.echo, args.inspect) {
        (true, _) => Mode::Echo,
        (_, true) => Mode::Inspect,
        _ => Mode::Page,
    };
    let defaults = Limits::default();
    let seconds = |flag: &str, value: Option<f64>, default: Duration| match value {
        None => Ok(default),
        Some(secs) => Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("{flag} {secs}: not a number of seconds")),
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
    };
    if limits.handshake.is_zero() || limits.idle.is_zero() || limits.max_connections == 0 {
        return Err("timeouts and --max-connections must be greater than zero".into());
    }
    accept_loop(
        listener,
        Arc::new(config),
        mode,
        limits,
        Pages {
            trace: args
                .common
                .trace_settings(args.trace_html.is_some() || args.inspect),
            dir: args.trace_html.clone(),
            log: args.log_format,
            metrics,
        },
    );
    Ok(())
}

/// The startup line: identities (subject of each chain, by name when named), versions,
/// sessions, tickets, ECH keys, client authentication.
fn startup_summary(config: &ServerConfig) -> String {
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
        "identities [{}]; versions {}; session IDs {} (in memory), tickets {}; ECH keys {}; client certificates {}",
        identities.join("; "),
        versions.join(", "),
        if config.session_ids { "on" } else { "off" },
        if config.tickets.is_some() {
            "on"
        } else {
            "off"
        },
        config.ech_keys.len(),
        match &config.client_auth {
            Some(a) if a.required => "required",
            Some(_) => "optional",
            None => "not asked for",
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

/// Counts a connection as open until it is dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts connections forever, each on its own thread, at most `limits.max_connections` at
/// once.
pub fn accept_loop(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    mode: Mode,
    limits: Limits,
    pages: Pages,
) {
    let open = Arc::new(AtomicUsize::new(0));
    for (id, tcp) in listener.incoming().enumerate() {
        let Ok(tcp) = tcp else { continue };
        let prefix = format!("[conn {}] ", id + 1);
        if open.fetch_add(1, Ordering::SeqCst) >= limits.max_connections {
            let _slot = Slot(Arc::clone(&open));
            refuse(tcp);
            eprintln!(
                "{prefix}refused: {} connections already open (--max-connections)",
                limits.max_connections
            );
            continue;
        }
        let slot = Slot(Arc::clone(&open));
        let config = Arc::clone(&config);
        let number = id as u64 + 1;
        let tracer = pages.trace.tracer().numbered(number, &prefix);
        let dir = pages.dir.clone();
        let metrics = pages.metrics.clone();
        std::thread::spawn(move || {
            let _slot = slot;
            if let Some(m) = &metrics {
                m.opened();
            }
            let log = serve_one(tcp, config, mode, limits, &tracer);
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
            match pages.log {
                LogFormat::Text => eprintln!("{prefix}{}", log.text()),
                LogFormat::Json => eprintln!("{}", log.json(number)),
            }
            if let Some(dir) = dir {
                let path = dir.join(format!("conn-{number}.html"));
                let page = crate::html::page(
                    &format!("glasstls serve: connection {number}"),
                    glasstls::Side::Server,
                    &tracer.recorded(),
                    tracer.lang(),
                );
                // Written beside and renamed, so that a reader never sees half a page.
                let partial = dir.join(format!(".conn-{number}.html.partial"));
                if let Err(e) =
                    std::fs::write(&partial, page).and_then(|()| std::fs::rename(&partial, &path))
                {
                    eprintln!("{prefix}{}: {e}", path.display());
                }
            }
        });
    }
}

/// Past the connection bound: a fatal internal_error alert in a plaintext record, then close.
/// RFC 8446 §6.2: "internal_error: An internal error unrelated to the peer or the correctness
/// of the protocol (such as a memory allocation failure) makes it impossible to continue."
/// RFC 5246 §7.2.2: "When an error is detected, the detecting party sends a message to the
/// other party. Upon transmission or receipt of a fatal alert message, both parties
/// immediately close the connection." Sent before the ClientHello, in plaintext, it tells the
/// client it was refused rather than leaving it a bare reset. This runs on
/// the accepting thread: it never reads, and a write of seven bytes to a fresh socket does
/// not block, with a short write timeout in case.
fn refuse(mut tcp: TcpStream) {
    let alert = glasstls::fatal_alert_record(AlertDescription::InternalError);
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = tcp.write_all(&alert);
    let _ = tcp.shutdown(std::net::Shutdown::Both);
}

/// A connection's transport, counting the bytes each way for the log line.
pub struct Counted {
    tcp: TcpStream,
    read: u64,
    written: u64,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.tcp.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

impl glasstls::stream::SetTimeouts for Counted {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.tcp.set_read_timeout(timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.tcp.set_write_timeout(timeout)
    }
}

/// Serves one connection; returns what its log line says: peer, SNI, version, suite, group,
/// how it resumed, ALPN, duration, bytes each way, and how it ended.
fn serve_one(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    mode: Mode,
    limits: Limits,
    tracer: &Tracer,
) -> ConnLog {
    let peer = tcp
        .peer_addr()
        .map_or_else(|_| "(unknown peer)".into(), |a| a.to_string());
    let started = Instant::now();
    let mut tls = None;
    let mut handshake = None;
    let result = run_one(tcp, config, mode, limits, tracer, &mut tls, &mut handshake);
    let info = tls.as_ref().map(|t| t.conn().info());
    let (bytes_in, bytes_out) = tls
        .as_ref()
        .map_or((0, 0), |t| (t.get_ref().read, t.get_ref().written));
    let closed = tls.as_ref().is_some_and(|t| t.conn().peer_has_closed());
    ConnLog {
        peer,
        sni: info.and_then(|i| i.server_name.clone()),
        version: info.and_then(|i| i.version).map(|v| v.to_string()),
        suite: info.and_then(|i| i.cipher_suite).map(|s| s.to_string()),
        group: info.and_then(|i| i.group).map(|g| g.to_string()),
        resumed: info.map(|i| i.resumed.map_or("no".into(), |r| r.to_string())),
        alpn: info
            .and_then(|i| i.alpn_protocol.as_ref())
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        ms: started.elapsed().as_secs_f64() * 1000.0,
        bytes_in,
        bytes_out,
        ended: result.map(|()| closed),
        handshake,
        alert: tls.as_ref().and_then(|t| match t.conn().error()? {
            glasstls::Error::AlertReceived(a) => Some(format!("received {a}")),
            other => other.alert().map(|a| format!("sent {a}")),
        }),
    }
}

fn run_one(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    mode: Mode,
    limits: Limits,
    tracer: &Tracer,
    out: &mut Option<Stream<Counted>>,
    handshake_took: &mut Option<Duration>,
) -> Result<(), String> {
    let _ = tcp.set_nodelay(true);
    let conn = Connection::server(config).map_err(|e| e.to_string())?;
    let tls = out.insert(Stream::new(
        conn,
        Counted {
            tcp,
            read: 0,
            written: 0,
        },
    ));
    tls.set_timeouts(Timeouts {
        handshake: Some(limits.handshake),
        idle: Some(limits.idle),
    });
    let mut stderr = std::io::stderr();
    let started = Instant::now();
    let handshake = tls.handshake();
    let handshake_us = started.elapsed().as_micros();
    tracer.print(&mut stderr, tls.conn_mut());
    handshake.map_err(|e| format!("handshake failed: {e}"))?;
    *handshake_took = Some(started.elapsed());
    if mode != Mode::Echo {
        // A deadline too far away to represent is no deadline.
        let at = Instant::now().checked_add(limits.request);
        tls.set_deadline(at.map(|at| (at, "the HTTP request")));
    }
    let result = match mode {
        Mode::Echo => echo(tls),
        Mode::Page => page(tls, None),
        Mode::Inspect => page(
            tls,
            Some(&Inspection {
                tracer,
                handshake_us,
            }),
        ),
    };
    tracer.print(&mut stderr, tls.conn_mut());
    result
}

fn echo(tls: &mut Stream<Counted>) -> Result<(), String> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return tls.close().map_err(|e| e.to_string()),
            Ok(n) => tls.write_all(&buf[..n]).map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The largest body `POST /echo` takes.
const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;

/// Answers one HTTP/1.x request: `/text` (plain text), `POST /echo` (the body back),
/// `/selftest` (a page whose script moves 1 MiB through `/echo` and reports), else the HTML page.
/// What `--inspect` shows a connection, rendered only for the path asked for.
struct Inspection<'a> {
    tracer: &'a Tracer,
    handshake_us: u128,
}

impl Inspection<'_> {
    fn report(&self) -> Json {
        crate::inspect::report(&self.tracer.recorded(), self.handshake_us)
    }

    fn html(&self) -> String {
        let events = self.tracer.recorded();
        let report = crate::inspect::report(&events, self.handshake_us);
        crate::html::page_with(
            "glasstls inspect: the handshake your client just made",
            glasstls::Side::Server,
            &events,
            self.tracer.lang(),
            Some(&report),
        )
    }
}

fn page(tls: &mut Stream<Counted>, inspect: Option<&Inspection<'_>>) -> Result<(), String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let end = loop {
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() >= MAX_REQUEST_HEAD {
            return Err("request head too large".into());
        }
        match tls.read(&mut buf) {
            Ok(0) => return Err("the client closed before finishing its request".into()),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut body = head.split_off(end);
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let content_length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let (content_type, reply): (&str, Vec<u8>) = match (method, path) {
        ("POST", "/echo") if content_length <= MAX_ECHO_BODY => {
            while body.len() < content_length {
                match tls.read(&mut buf) {
                    Ok(0) => return Err("the client closed in the middle of its body".into()),
                    Ok(n) => body.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(e.to_string()),
                }
            }
            body.truncate(content_length);
            ("application/octet-stream", body)
        }
        (_, "/json") if inspect.is_some() => (
            "application/json",
            inspect
                .map(|i| i.report().to_string())
                .unwrap_or_default()
                .into_bytes(),
        ),
        (_, "/") if inspect.is_some() => (
            "text/html; charset=utf-8",
            inspect
                .map(Inspection::html)
                .unwrap_or_default()
                .into_bytes(),
        ),
        (_, "/text") => (
            "text/plain; charset=utf-8",
            describe_text(tls.conn().info()).into_bytes(),
        ),
        (_, "/selftest") => {
            let page =
                describe_html(tls.conn().info()).replace("</body>", &format!("{SELFTEST}</body>"));
            ("text/html; charset=utf-8", page.into_bytes())
        }
        _ => (
            "text/html; charset=utf-8",
            describe_html(tls.conn().info()).into_bytes(),
        ),
    };
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    tls.write_all(header.as_bytes())
        .and_then(|()| tls.write_all(&reply))
        .map_err(|e| e.to_string())?;
    tls.close().map_err(|e| e.to_string())
}

/// The browser half of the self-test: 1 MiB of known bytes to `/echo` and back, compared.
const SELFTEST: &str = r#"<pre id="echo">echo test running</pre>
<script>
(async () => {
  const n = 1 << 20;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 7 + 3) & 255;
  const response = await fetch('/echo', { method: 'POST', body: data });
  const back = new Uint8Array(await response.arrayBuffer());
  let ok = back.length === n;
  for (let i = 0; ok && i < n; i++) ok = back[i] === data[i];
  document.getElementById('echo').textContent = (ok ? 'ECHO OK ' : 'ECHO BAD ') + back.length;
})().catch(e => { document.getElementById('echo').textContent = 'ECHO ERROR ' + e; });
</script>
"#;

fn rows(info: &HandshakeInfo) -> Vec<(&'static str, String)> {
    let join = |items: Vec<String>| {
        if items.is_empty() {
            "(none)".to_string()
        } else {
            items.join(", ")
        }
    };
    vec![
        (
            "version",
            info.version.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "cipher suite",
            info.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
        ),
        (
            "key exchange group",
            match (info.group, info.resumed, info.version) {
                (Some(g), Some(_), Some(glasstls::Version::Tls12)) => {
                    format!("{g} (the original handshake's: a resumption makes no new exchange)")
                }
                (Some(g), _, _) => g.to_string(),
                (None, Some(_), _) => "(none: the resumed session's master secret)".into(),
                (None, None, _) => "(none: RSA key exchange)".into(),
            },
        ),
        (
            "signature scheme",
            info.signature_scheme
                .map_or("(none)".into(), |s| s.to_string()),
        ),
        (
            "client certificate",
            match info.peer_certificates.first() {
                Some(cert) => format!(
                    "{} (verified; CertificateVerify {})",
                    glasstls::trace::CertificateSummary::of(cert).subject,
                    info.client_signature_scheme
                        .map_or("(resumed)".into(), |s| s.to_string())
                ),
                None => "(none)".into(),
            },
        ),
        (
            "server name (SNI)",
            info.server_name
                .clone()
                .unwrap_or_else(|| "(none sent)".into()),
        ),
        (
            "encrypted client hello",
            match info.ech {
                glasstls::EchStatus::Accepted => {
                    "accepted: the name above travelled encrypted; the wire showed the public name"
                        .into()
                }
                glasstls::EchStatus::Rejected => {
                    "rejected: handshake for the public name, retry_configs sent".into()
                }
                _ => "not offered".into(),
            },
        ),
        (
            "ALPN",
            info.alpn_protocol
                .as_ref()
                .map_or("(none)".into(), |p| String::from_utf8_lossy(p).into_owned()),
        ),
        (
            "resumed",
            info.resumed
                .map_or("no (full handshake)".into(), |by| format!("yes, by {by}")),
        ),
        (
            "extended master secret",
            match (info.version, info.extended_master_secret) {
                // RFC 8446 §7.1: the TLS 1.3 key schedule binds the transcript by itself.
                (Some(glasstls::Version::Tls13), _) => {
                    "(not in TLS 1.3: its key schedule binds the whole handshake)".into()
                }
                (_, true) => "yes".into(),
                (_, false) => "no".into(),
            },
        ),
        (
            "client offered suites",
            join(
                info.offered_suites
                    .iter()
                    .map(|s| {
                        s.name()
                            .or_else(|| crate::suite_names::name(s.0))
                            .map_or_else(|| s.to_string(), str::to_string)
                    })
                    .collect(),
            ),
        ),
        (
            "client offered groups",
            join(info.offered_groups.iter().map(|g| g.to_string()).collect()),
        ),
        (
            "client offered ALPN",
            join(
                info.offered_alpn
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect(),
            ),
        ),
    ]
}

pub fn describe_text(info: &HandshakeInfo) -> String {
    rows(info)
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}

pub fn describe_html(info: &HandshakeInfo) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>glasstls: your handshake</title></head>\n<body><h1>Your TLS handshake with glasstls</h1>\n<table>\n",
    );
    for (key, value) in rows(info) {
        let id = key.replace([' ', '(', ')'], "-");
        html.push_str(&format!(
            "<tr><th>{key}</th><td id=\"{id}\">{}</td></tr>\n",
            escape(&value)
        ));
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

/// The client chooses SNI and ALPN bytes: never put them into HTML unescaped.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}
