//! `glasstls connect`: handshake, then standard input to the server and the server's data to
//! standard output until the server closes.

use crate::cli::ConnectArgs;
use crate::trace::Tracer;
use crate::{apply_common, names_rsa_key_exchange};
use glasstls::ech::{EchConfig, EchMode, EchRejection};
use glasstls::session::Session;
use glasstls::{ClientConfig, Connection, RootStore, ServerName, UnixTime};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn run(args: &ConnectArgs) -> Result<(), String> {
    let host = host_of(&args.address)?;
    let name = args.servername.clone().unwrap_or(host);
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name:?} is not a valid host name or IP address"))?;
    let roots = match &args.cafile {
        Some(path) => RootStore::from_pem_file(path),
        None => RootStore::system(),
    }
    .map_err(|e| e.to_string())?;
    let mut config = ClientConfig::new(roots.clone());
    if args.insecure {
        config.verifier = Some(Arc::new(Insecure { roots }));
    }
    apply_common(&mut config.common, &args.common)?;
    config.common.trace |= args.trace_html.is_some();
    config.common.rsa_key_exchange =
        !args.common.cipher.is_empty() && names_rsa_key_exchange(&config.common);
    config.tickets = !args.no_tickets;
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        config.identity =
            Some(glasstls::Identity::from_pem_files(cert, key).map_err(|e| e.to_string())?);
    }
    config.ech = match (&args.ech_config, args.no_ech_grease) {
        (Some(value), _) => EchMode::Offer(ech_configs(value)?),
        (None, true) => EchMode::Off,
        (None, false) => EchMode::Grease,
    };
    if let (Some(path), Some(cache)) = (&args.sess_in, &config.session_cache) {
        let session = load_session(path)?;
        cache.put(
            server_name.to_str().as_bytes().to_vec(),
            session.encode().to_vec(),
        );
    }
    let mut config = Arc::new(config);

    let connections = args.reconnect.saturating_add(1);
    for number in 1..=connections {
        let tracer = args
            .common
            .trace_settings(args.trace_html.is_some())
            .tracer()
            .numbered(u64::from(number), "");
        let (conn, tcp, plaintext) = loop {
            match handshake(args, &config, &server_name, &tracer) {
                Ok(done) => break done,
                // RFC 9849 §6.1.6: the server proved it is the public name and sent the
                // configs it holds now: retry once with them ("SHOULD retry the handshake with
                // a new transport connection using the retry configurations").
                Err(Failed::EchRejected(rejected))
                    if !rejected.after_retry && !rejected.retry_configs.is_empty() =>
                {
                    if !args.quiet {
                        eprintln!("{rejected}; retrying once with them");
                    }
                    config = with_ech(&config, EchMode::Retry(rejected.retry_configs));
                }
                Err(e) => {
                    write_page(args, &tracer, &name)?;
                    return Err(e.to_string());
                }
            }
        };
        // §6.1.8: later connections may start from what the retry learned, as fresh ones.
        if let EchMode::Retry(configs) = &config.ech {
            config = with_ech(&config, EchMode::Offer(configs.clone()));
        }
        if !args.quiet {
            eprintln!("{}", describe_connection(number, &conn));
        }
        if args.showcerts {
            show_certs(&conn);
        }
        if number < connections {
            // Like `openssl s_client -reconnect`: the earlier connections only handshake.
            let conn = close(conn, tcp, &tracer);
            save_if_asked(args, &conn)?;
            continue;
        }
        let result = exchange(conn, tcp, plaintext, &tracer, |conn| {
            save_if_asked(args, conn)
        });
        write_page(args, &tracer, &name)?;
        return result;
    }
    Ok(())
}

/// `--insecure`: every chain is accepted, and what verification would have said is printed.
struct Insecure {
    roots: RootStore,
}

impl glasstls::ServerCertVerifier for Insecure {
    fn verify_server_cert(
        &self,
        end_entity: &glasstls::pki_types::CertificateDer<'_>,
        intermediates: &[glasstls::pki_types::CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), glasstls::CertificateError> {
        let chain: Vec<_> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        match glasstls::internal::verify_server_chain(&self.roots, &chain, server_name, now) {
            Ok(_) => eprintln!(
                "glasstls: warning: --insecure: the certificate was not checked (it would have \
                 been accepted)"
            ),
            Err(e) => eprintln!(
                "glasstls: warning: --insecure: the certificate was not checked; verification \
                 would have refused it: {e}"
            ),
        }
        Ok(())
    }
}

/// `--showcerts`: the peer's chain as PEM, each certificate under its subject and issuer.
fn show_certs(conn: &Connection) {
    let chain = &conn.info().peer_certificates;
    eprintln!("---\nCertificate chain ({} certificates)", chain.len());
    for (i, cert) in chain.iter().enumerate() {
        let summary = glasstls::trace::CertificateSummary::of(cert);
        eprintln!(" {i} s:{}\n   i:{}", summary.subject, summary.issuer);
        let text = glasstls::ech::base64(cert.as_ref());
        eprintln!("-----BEGIN CERTIFICATE-----");
        for line in text.as_bytes().chunks(64) {
            eprintln!("{}", String::from_utf8_lossy(line));
        }
        eprintln!("-----END CERTIFICATE-----");
    }
    eprintln!("---");
}

/// Why a handshake failed: an Encrypted Client Hello rejection is kept whole, for the retry.
enum Failed {
    EchRejected(Box<EchRejection>),
    Other(String),
}

impl From<String> for Failed {
    fn from(e: String) -> Self {
        Self::Other(e)
    }
}

impl From<&str> for Failed {
    fn from(e: &str) -> Self {
        Self::Other(e.to_string())
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EchRejected(r) => r.fmt(f),
            Self::Other(e) => f.write_str(e),
        }
    }
}

/// The same client config with another ECH mode.
fn with_ech(config: &Arc<ClientConfig>, ech: EchMode) -> Arc<ClientConfig> {
    let mut changed = ClientConfig::clone(config);
    changed.ech = ech;
    Arc::new(changed)
}

/// `--ech-config`: an ECHConfigList in base64, or a file holding one in base64.
fn ech_configs(value: &str) -> Result<Vec<EchConfig>, String> {
    let path = std::path::Path::new(value);
    let text = match path.is_file() {
        true => std::fs::read_to_string(path).map_err(|e| format!("{value}: {e}"))?,
        false => value.to_string(),
    };
    let bytes = glasstls::ech::unbase64(text.trim()).ok_or_else(|| {
        format!(
            "--ech-config {value}: neither base64 (an ECHConfigList, as DNS publishes it) nor a \
             file holding it"
        )
    })?;
    let configs = glasstls::ech::parse_config_list(&bytes)
        .map_err(|e| format!("--ech-config: not an ECHConfigList: {e}"))?;
    if configs.is_empty() {
        return Err("--ech-config: the list holds no config of a version we know (0xfe0d)".into());
    }
    Ok(configs)
}

/// `--trace-html FILE`: the connection's page.
fn write_page(args: &ConnectArgs, tracer: &Tracer, name: &str) -> Result<(), String> {
    let Some(path) = &args.trace_html else {
        return Ok(());
    };
    let page = crate::html::page(
        &format!("glasstls connect {name}"),
        glasstls::Side::Client,
        &tracer.recorded(),
        args.common.lang,
    );
    std::fs::write(path, page).map_err(|e| format!("{}: {e}", path.display()))
}

/// `--sess-out`: the session as it stands (TLS 1.3 tickets arrive after the handshake, so this
/// runs when the connection ends).
fn save_if_asked(args: &ConnectArgs, conn: &Connection) -> Result<(), String> {
    match (&args.sess_out, conn.session()) {
        (Some(path), Some(session)) => save_session(path, session),
        _ => Ok(()),
    }
}

/// `connection 2: TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 resumed (session id)`.
fn describe_connection(number: u32, conn: &Connection) -> String {
    let info = conn.info();
    let how = match info.resumed {
        Some(by) => format!("resumed ({by})"),
        None => format!(
            "full handshake{}",
            info.group.map(|g| format!(" ({g})")).unwrap_or_default()
        ),
    };
    let ech = match info.ech {
        glasstls::EchStatus::Accepted => ", encrypted client hello accepted",
        _ => "",
    };
    let ech = match info.client_signature_scheme {
        Some(scheme) => format!("{ech}, client certificate sent (signed with {scheme})"),
        None => ech.to_string(),
    };
    format!(
        "connection {number}: {} {} {how}{ech}",
        info.version.map(|v| v.to_string()).unwrap_or_default(),
        info.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
    )
}

/// Sends close_notify, then reads until the server closes, processing what it still sends
/// (TLS 1.3 NewSessionTickets come after the handshake).
fn close(mut conn: Connection, mut tcp: TcpStream, tracer: &Tracer) -> Connection {
    conn.send_close_notify();
    let _ = write_out(&mut conn, &mut tcp);
    let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let mut buf = [0u8; 16 * 1024];
    let mut ignored = Vec::new();
    while !conn.peer_has_closed() {
        match tcp.read(&mut buf) {
            Ok(n) if n > 0 => {
                if feed(&mut conn, &buf[..n], &mut ignored).is_err() {
                    break;
                }
                tracer.print(&mut std::io::stderr(), &mut conn);
            }
            _ => break,
        }
    }
    conn
}

/// Connects and completes one handshake; returns the connection, its socket, and any
/// application data that arrived with the server's last flight.
fn handshake(
    args: &ConnectArgs,
    config: &Arc<ClientConfig>,
    server_name: &ServerName<'static>,
    tracer: &Tracer,
) -> Result<(Connection, TcpStream, Vec<u8>), Failed> {
    let deadline = match args.timeout {
        None => None,
        Some(secs) => {
            let limit = Duration::try_from_secs_f64(secs)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("--timeout {secs}: not a positive number of seconds"))?;
            Instant::now().checked_add(limit)
        }
    };
    let too_long = || format!("no handshake with {} within --timeout", args.address);
    let mut tcp = connect(&args.address, deadline).map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut => too_long(),
        _ => format!("cannot connect to {}: {e}", args.address),
    })?;
    let _ = tcp.set_nodelay(true);
    let mut conn =
        Connection::client(Arc::clone(config), server_name.clone()).map_err(|e| e.to_string())?;
    let mut stderr = std::io::stderr();
    let mut buf = vec![0u8; 32 * 1024];
    let mut plaintext = Vec::new();
    while conn.is_handshaking() {
        write_out(&mut conn, &mut tcp)?;
        if let Some(at) = deadline {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(too_long().into());
            }
            let _ = tcp.set_read_timeout(Some(left));
        }
        let n = tcp.read(&mut buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => too_long(),
            _ => format!("reading from the server: {e}"),
        })?;
        if n == 0 {
            tracer.print(&mut stderr, &mut conn);
            return Err("the server closed the connection during the handshake".into());
        }
        let result = feed(&mut conn, &buf[..n], &mut plaintext);
        tracer.print(&mut stderr, &mut conn);
        let _ = write_out(&mut conn, &mut tcp);
        if let Err(e) = result {
            if args.showcerts {
                show_certs(&conn);
            }
            return Err(match conn.error() {
                Some(glasstls::Error::EchRejected(r)) => Failed::EchRejected(r.clone()),
                _ => Failed::Other(e),
            });
        }
    }
    write_out(&mut conn, &mut tcp)?;
    // The data phase is bounded by the user, not by --timeout.
    let _ = tcp.set_read_timeout(None);
    Ok((conn, tcp, plaintext))
}

/// `TcpStream::connect`, trying each address with what is left of `deadline`, if any.
fn connect(address: &str, deadline: Option<Instant>) -> std::io::Result<TcpStream> {
    let Some(at) = deadline else {
        return TcpStream::connect(address);
    };
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    for addr in address.to_socket_addrs()? {
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = e,
        }
    }
    Err(last)
}

const SESSION_BEGIN: &str = "-----BEGIN GLASSTLS TLS SESSION-----";
const SESSION_END: &str = "-----END GLASSTLS TLS SESSION-----";

/// Writes the session (it holds the master secret: the file is readable by its owner only).
fn save_session(path: &std::path::Path, session: &Session) -> Result<(), String> {
    let hex = glasstls::trace::hex(&session.encode());
    let mut text = format!("{SESSION_BEGIN}\n");
    for line in hex.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(SESSION_END);
    text.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn load_session(path: &std::path::Path) -> Result<Session, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let body = text
        .split_once(SESSION_BEGIN)
        .and_then(|(_, rest)| rest.split_once(SESSION_END))
        .map(|(body, _)| body.split_whitespace().collect::<String>())
        .ok_or_else(|| format!("{} holds no glasstls session", path.display()))?;
    let bytes = (0..body.len())
        .step_by(2)
        .map(|i| {
            body.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| format!("{}: the session is not valid hex", path.display()))?;
    Session::decode(&bytes).map_err(|e| format!("{}: not a usable session ({e})", path.display()))
}

/// After the handshake: standard input to the server, the server's data to standard output,
/// until the server closes.
fn exchange(
    conn: Connection,
    mut tcp: TcpStream,
    mut plaintext: Vec<u8>,
    tracer: &Tracer,
    at_end: impl Fn(&Connection) -> Result<(), String>,
) -> Result<(), String> {
    let mut stderr = std::io::stderr();
    let mut buf = vec![0u8; 32 * 1024];
    std::io::stdout()
        .write_all(&plaintext)
        .map_err(|e| e.to_string())?;

    // Standard input to the server on its own thread; the server's data to standard output here.
    let conn = Arc::new(Mutex::new(conn));
    let writer = tcp.try_clone().map_err(|e| e.to_string())?;
    let stdin_ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let conn = Arc::clone(&conn);
        let stdin_ended = Arc::clone(&stdin_ended);
        std::thread::spawn(move || pump_stdin(&conn, writer, &stdin_ended));
    }
    let mut stdout = std::io::stdout();
    // Reads wake up now and then, to see whether standard input has ended and the server has
    // been quiet for the drain since (a timeout set later would not reach a read already
    // waiting).
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?;
    let mut quiet_since = Instant::now();
    let mut ended_seen = false;
    loop {
        let n = match tcp.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if !stdin_ended.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                if !ended_seen {
                    ended_seen = true;
                    quiet_since = Instant::now();
                }
                if quiet_since.elapsed() < DRAIN {
                    continue;
                }
                // Standard input ended and the server has had its drain to answer and close:
                // like `openssl s_client`, we are done (TLS 1.2 has no half-close, so our
                // close_notify waited until now).
                let mut guard = conn
                    .lock()
                    .map_err(|_| "internal error: lock poisoned".to_string())?;
                guard.send_close_notify();
                let _ = write_out(&mut guard, &mut tcp);
                return at_end(&guard);
            }
            Err(e) => return Err(format!("reading from the server: {e}")),
        };
        quiet_since = Instant::now();
        let mut guard = conn
            .lock()
            .map_err(|_| "internal error: lock poisoned".to_string())?;
        if n == 0 {
            at_end(&guard)?;
            if guard.peer_has_closed() {
                return Ok(());
            }
            eprintln!(
                "glasstls: warning: the server closed the connection without close_notify; the data may be truncated"
            );
            return Ok(());
        }
        plaintext.clear();
        let result = feed(&mut guard, &buf[..n], &mut plaintext);
        tracer.print(&mut stderr, &mut guard);
        let _ = write_out(&mut guard, &mut tcp);
        let closed = guard.peer_has_closed();
        drop(guard);
        stdout
            .write_all(&plaintext)
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        result?;
        if closed {
            let guard = conn
                .lock()
                .map_err(|_| "internal error: lock poisoned".to_string())?;
            return at_end(&guard);
        }
    }
}

/// How long, after standard input ends, the server has between two reads to answer and
/// close (the reply to a request sent just before the end still arrives; a server that says
/// nothing more does not keep us waiting).
const DRAIN: Duration = Duration::from_secs(3);

/// Standard input to the server; at its end, the drain deadline on reads, and in TLS 1.3
/// close_notify at once (RFC 8446 §6.1: our direction is closed, the server's stays open for
/// its reply). In TLS 1.2 a close_notify makes the peer "close down the connection
/// immediately, discarding any pending writes" (RFC 5246 §7.2.1), which would lose the reply
/// to what we just sent: it goes when the drain ends.
fn pump_stdin(conn: &Mutex<Connection>, mut tcp: TcpStream, ended: &std::sync::atomic::AtomicBool) {
    let mut stdin = std::io::stdin();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => {
                let Ok(mut conn) = conn.lock() else { return };
                if conn.info().version == Some(glasstls::Version::Tls13) {
                    conn.send_close_notify();
                    let _ = write_out(&mut conn, &mut tcp);
                }
                ended.store(true, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            Ok(n) => n,
        };
        let Ok(mut conn) = conn.lock() else { return };
        if conn.send(&buf[..n]).is_err() || write_out(&mut conn, &mut tcp).is_err() {
            return;
        }
    }
}

/// Feeds transport bytes to the connection, collecting any plaintext.
fn feed(conn: &mut Connection, mut data: &[u8], plaintext: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let taken = conn.read_tls(data);
        data = &data[taken..];
        conn.process_new_packets(UnixTime::now())
            .map_err(|e| e.to_string())?;
        let mut progress = taken > 0;
        loop {
            let n = conn.recv(&mut chunk);
            if n == 0 {
                break;
            }
            progress = true;
            plaintext.extend_from_slice(&chunk[..n]);
        }
        if data.is_empty() || !progress {
            return Ok(());
        }
    }
}

fn write_out(conn: &mut Connection, tcp: &mut TcpStream) -> Result<(), String> {
    let out = conn.take_outgoing();
    if out.is_empty() {
        return Ok(());
    }
    tcp.write_all(&out)
        .map_err(|e| format!("writing to the server: {e}"))
}

/// The host part of HOST:PORT (brackets removed from an IPv6 literal).
fn host_of(address: &str) -> Result<String, String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{address:?} is not HOST:PORT"))?;
    port.parse::<u16>()
        .map_err(|_| format!("{port:?} is not a port number"))?;
    Ok(host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string())
}
