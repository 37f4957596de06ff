//! Shared test helpers: a throw-away PKI on disk, real peer processes, in-memory pairs.
#![allow(dead_code)]

use glasstls::stream::to_io;
use glasstls::wire::AlertDescription as A;
use glasstls::{ClientConfig, Connection, Error, Identity, RootStore, ServerConfig, UnixTime};
use glasstls_cli::pki::{Ca, KeyKind, Leaf};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const GLASSTLS: &str = env!("CARGO_BIN_EXE_glasstls");

/// A CA and two server certificates for `localhost` (RSA 2048 and ECDSA P-256), on disk.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: Ca,
    pub rsa: Leaf,
    pub ecdsa: Leaf,
}

impl Pki {
    pub fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "glasstls-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = Ca::new("glasstls test CA").unwrap();
        let rsa = ca.issue(&["localhost"], KeyKind::Rsa2048).unwrap();
        let ecdsa = ca.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
        std::fs::write(dir.join("ca.pem"), &ca.cert_pem).unwrap();
        rsa.write(&dir, "rsa").unwrap();
        ecdsa.write(&dir, "ecdsa").unwrap();
        Self {
            dir,
            ca,
            rsa,
            ecdsa,
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    pub fn roots(&self) -> RootStore {
        let mut roots = RootStore::empty();
        roots.add(&self.ca.cert).unwrap();
        roots
    }

    pub fn identities(&self) -> Vec<Identity> {
        vec![
            Identity::new(self.rsa.chain.clone(), &self.rsa.key_der()).unwrap(),
            Identity::new(self.ecdsa.chain.clone(), &self.ecdsa.key_der()).unwrap(),
        ]
    }
}

/// `lines` lines of pseudo-random hex, each ending in a newline: about 1 MiB for 16 384 lines.
pub fn hex_lines(seed: u64, lines: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(lines * 64);
    for _ in 0..lines {
        for _ in 0..63 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(b"0123456789abcdef"[(x % 16) as usize]);
        }
        out.push(b'\n');
    }
    out
}

/// What `openssl s_server -rev` sends back for `data`: every line reversed.
pub fn reversed_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        out.extend(line.iter().rev());
        out.push(b'\n');
    }
    out
}

/// A child process killed when dropped.
pub struct Peer {
    pub child: Child,
    pub stderr_lines: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    pub fn stderr(&self) -> String {
        self.stderr_lines.lock().unwrap().join("\n")
    }

    /// The peer's standard error once `ready` holds for it, or as it is after 10 s. Output is
    /// collected by another thread, so it can trail what the peer already did on the wire.
    pub fn stderr_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr();
            if ready(&text) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `openssl s_server` with `args` on a free port; returns it once it accepts.
pub fn openssl_server(args: &[&str]) -> (Peer, u16) {
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &port.to_string(), "-naccept", "1"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the openssl binary must be installed");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut ready = false;
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if line.contains("ACCEPT") {
                ready = true;
                break;
            }
            line.clear();
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let peer = Peer {
            child,
            stderr_lines: lines,
        };
        if ready {
            return (peer, port);
        }
        last_error = peer.stderr_when(|_| true);
    }
    panic!("openssl s_server did not start: {last_error}");
}

/// A glasstls client for `localhost` over a new TCP connection to `addr` (reads give up after
/// 30 s, so a test fails rather than hangs).
pub fn tls_client(
    config: Arc<ClientConfig>,
    addr: impl std::net::ToSocketAddrs,
) -> std::io::Result<glasstls::Stream<std::net::TcpStream>> {
    let tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = Connection::client(config, "localhost".try_into().unwrap()).map_err(to_io)?;
    Ok(glasstls::Stream::new(conn, tcp))
}

/// `glasstls connect 127.0.0.1:PORT --servername localhost --cafile <the test CA>`; callers
/// add the rest.
pub fn glasstls_connect(pki: &Pki, port: u16) -> Command {
    let mut cmd = Command::new(GLASSTLS);
    cmd.args([
        "connect",
        &format!("127.0.0.1:{port}"),
        "--servername",
        "localhost",
        "--cafile",
        &pki.path("ca.pem"),
    ]);
    cmd
}

/// Starts `glasstls serve --listen 127.0.0.1:0` with `args`; returns it and its address.
pub fn glasstls_server(args: &[&str]) -> (Peer, String) {
    let mut child = Command::new(GLASSTLS)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("glasstls: listening on ") {
                    let _ = tx.send(addr.to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
    }
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("glasstls serve did not start");
    (
        Peer {
            child,
            stderr_lines: lines,
        },
        addr,
    )
}

/// Runs a command with `input` on stdin; returns (status, stdout, stderr), failing after
/// `timeout`.
pub fn run_with_input(
    cmd: &mut Command,
    input: Vec<u8>,
    timeout: Duration,
) -> (std::process::ExitStatus, Vec<u8>, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "command timed out: {cmd:?}\nstderr: {}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, out.join().unwrap(), err.join().unwrap())
}

/// Runs `client` (an `openssl s_client` or `gnutls-cli`), writes `data` to it and reads back as many bytes
/// (within 60 s); returns them and what the client printed on stderr.
pub fn echo_through(mut client: Command, data: &[u8]) -> (Vec<u8>, String) {
    let mut child = client
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let to_send = data.to_vec();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&to_send).unwrap();
        stdin
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut echoed = vec![0u8; data.len()];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = 0;
    while got < echoed.len() && Instant::now() < deadline {
        match stdout.read(&mut echoed[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    echoed.truncate(got);
    drop(writer.join());
    let _ = child.kill();
    let mut client_err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut client_err);
    let _ = child.wait();
    (echoed, client_err)
}

/// Moves bytes between an in-memory client and server until neither has anything to send.
/// Returns the first error each side hit.
pub fn pump(
    client: &mut Connection,
    server: &mut Connection,
) -> (Option<glasstls::Error>, Option<glasstls::Error>) {
    pump_at(client, server, UnixTime::now())
}

/// `pump`, with the clock reading `now` for both sides.
pub fn pump_at(
    client: &mut Connection,
    server: &mut Connection,
    now: UnixTime,
) -> (Option<glasstls::Error>, Option<glasstls::Error>) {
    let (mut client_err, mut server_err) = (None, None);
    for _ in 0..100 {
        let to_server = client.take_outgoing();
        let to_client = server.take_outgoing();
        if to_server.is_empty() && to_client.is_empty() {
            break;
        }
        if server_err.is_none() && !to_server.is_empty() {
            feed_all_at(server, &to_server, &mut server_err, now);
        }
        if client_err.is_none() && !to_client.is_empty() {
            feed_all_at(client, &to_client, &mut client_err, now);
        }
    }
    (client_err, server_err)
}

pub fn feed_all(conn: &mut Connection, data: &[u8], err: &mut Option<glasstls::Error>) {
    feed_all_at(conn, data, err, UnixTime::now())
}

pub fn feed_all_at(
    conn: &mut Connection,
    mut data: &[u8],
    err: &mut Option<glasstls::Error>,
    now: UnixTime,
) {
    let mut sink = vec![0u8; 1 << 16];
    while err.is_none() {
        let n = conn.read_tls(data);
        data = &data[n..];
        if let Err(e) = conn.process_new_packets(now) {
            *err = Some(e);
            break;
        }
        while conn.recv(&mut sink) > 0 {}
        if data.is_empty() {
            break;
        }
    }
}

pub fn client_config(pki: &Pki) -> ClientConfig {
    ClientConfig::new(pki.roots())
}

pub fn server_config(pki: &Pki) -> ServerConfig {
    ServerConfig::new(pki.identities())
}

/// A client that speaks only TLS 1.2, for tests of TLS 1.2 mechanisms.
pub fn client_config_tls12(pki: &Pki) -> ClientConfig {
    let mut config = client_config(pki);
    config.common.versions = vec![glasstls::wire::ProtocolVersion::TLSv1_2];
    config
}

/// A server that speaks only TLS 1.2.
pub fn server_config_tls12(pki: &Pki) -> ServerConfig {
    let mut config = server_config(pki);
    config.common.versions = vec![glasstls::wire::ProtocolVersion::TLSv1_2];
    config
}

pub fn pair(client: ClientConfig, server: ServerConfig) -> (Connection, Connection) {
    let c = Connection::client(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let s = Connection::server(Arc::new(server)).unwrap();
    (c, s)
}

/// The alert records (level, description) in plaintext TLS bytes.
pub fn plaintext_alerts(bytes: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let Some(body) = rest.get(5..5 + len) else {
            break;
        };
        if rest[0] == 21 && len == 2 {
            out.push((body[0], body[1]));
        }
        rest = &rest[5 + len..];
    }
    out
}

// ---- record surgery for hostile-input tests ----

pub struct Rec {
    pub typ: u8,
    pub payload: Vec<u8>,
}

pub fn split_records(mut bytes: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(Rec {
            typ: bytes[0],
            payload: bytes[5..5 + len].to_vec(),
        });
        bytes = &bytes[5 + len..];
    }
    out
}

pub fn record(typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub fn join(records: &[Rec]) -> Vec<u8> {
    records
        .iter()
        .flat_map(|r| record(r.typ, &r.payload))
        .collect()
}

/// A raw handshake message with any type and body.
pub fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// Feeds `input` to `conn` and checks the outcome: the expected error's alert, sent once, then
/// silence even when more bytes arrive.
pub fn expect_fatal(conn: &mut Connection, input: &[u8], alert: A) -> Error {
    let mut err = None;
    let _ = conn.take_outgoing();
    feed_all(conn, input, &mut err);
    let err = err.unwrap_or_else(|| panic!("no error; expected {alert}"));
    assert_eq!(err.alert(), Some(alert), "{err}");
    let out = conn.take_outgoing();
    let alerts = plaintext_alerts(&out);
    if !out.is_empty() && out[0] == 21 && out.len() == 7 {
        assert_eq!(
            alerts,
            vec![(2, alert.0)],
            "exactly one fatal {alert} alert"
        );
    } else {
        // An alert sent under encryption: one record, nothing else.
        // (TLS 1.3 hides its type: the outer one says application_data.)
        assert_eq!(
            split_records(&out).len(),
            1,
            "exactly one alert record after the failure"
        );
        assert!(
            out[0] == 21 || out[0] == 23,
            "an alert record, not {}",
            out[0]
        );
    }
    // Dead: more input changes nothing and sends nothing.
    conn.read_tls(input);
    assert_eq!(conn.process_new_packets(UnixTime::now()).unwrap_err(), err);
    assert!(conn.take_outgoing().is_empty());
    err
}
