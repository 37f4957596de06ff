//! What the command-line and interop tests share: real peer processes, the `glasstls` binary,
//! and the PKI of `glasstls-test` on disk.
#![allow(dead_code, unused_imports)]

pub use glasstls_test::hex_lines;
pub use glasstls_test::pki::Pki;
pub use glasstls_test::records::plaintext_alerts;

use glasstls::stream::to_io;
use glasstls::{ClientConfig, Connection, ServerConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const GLASSTLS: &str = env!("CARGO_BIN_EXE_glasstls");

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
    /// What the peer printed on stdout, where it is kept (`openssl_server`).
    pub stdout_lines: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// The peer's standard output so far (kept by `openssl_server` only).
    pub fn stdout(&self) -> String {
        self.stdout_lines.lock().unwrap().join("\n")
    }

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
        let stdout_lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let stdout_lines = Arc::clone(&stdout_lines);
            std::thread::spawn(move || {
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                    let text = String::from_utf8_lossy(&line).trim_end().to_string();
                    stdout_lines.lock().unwrap().push(text);
                    line.clear();
                }
            });
        }
        let peer = Peer {
            child,
            stderr_lines: lines,
            stdout_lines,
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
    let mut cmd = connect_to(port, "localhost");
    cmd.args(["--cafile", &pki.path("ca.pem")]);
    cmd
}

/// `curl -sS --cacert <the test CA> https://localhost:PORT{path}`, localhost resolved to
/// 127.0.0.1; callers add the rest (curl takes options after the URL too).
pub fn curl_localhost(pki: &Pki, port: impl std::fmt::Display, path: &str) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--cacert", &pki.path("ca.pem")])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .arg(format!("https://localhost:{port}{path}"));
    cmd
}

/// `openssl s_client -connect ADDR -servername localhost`, verifying against the test CA
/// (`-verify_return_error`) and reading on after its input ends (`-ign_eof`, so that it gets
/// the reply and the server's tickets); callers add the rest.
pub fn s_client_localhost(pki: &Pki, addr: &str) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args([
            "-CAfile",
            &pki.path("ca.pem"),
            "-verify_return_error",
            "-ign_eof",
        ]);
    cmd
}

/// `glasstls connect 127.0.0.1:PORT --servername NAME`; callers add the rest.
pub fn connect_to(port: impl std::fmt::Display, name: &str) -> Command {
    let mut cmd = Command::new(GLASSTLS);
    cmd.args([
        "connect",
        &format!("127.0.0.1:{port}"),
        "--servername",
        name,
    ]);
    cmd
}

/// `glasstls serve` with the test PKI's ECDSA certificate for localhost, and `extra`.
pub fn ecdsa_server(pki: &Pki, extra: &[&str]) -> (Peer, String) {
    let (cert, key) = (pki.path("ecdsa.pem"), pki.path("ecdsa.key"));
    let mut args = vec!["--cert", &cert, "--key", &key];
    args.extend_from_slice(extra);
    glasstls_server(&args)
}

/// `openssl s_server` with the test PKI's ECDSA certificate for localhost, and `extra`.
pub fn ecdsa_openssl_server(pki: &Pki, extra: &[&str]) -> (Peer, u16) {
    let (cert, key) = (pki.path("ecdsa.pem"), pki.path("ecdsa.key"));
    let mut args = vec!["-cert", &cert, "-key", &key];
    args.extend_from_slice(extra);
    openssl_server(&args)
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
            stdout_lines: Default::default(),
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
    // Killed before the writer is joined: a writer blocked on a client that stopped reading
    // would otherwise hold a failing test until the server's idle timeout.
    let _ = child.kill();
    drop(writer.join());
    let mut client_err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut client_err);
    let _ = child.wait();
    (echoed, client_err)
}

pub fn client_config(pki: &Pki) -> ClientConfig {
    pki.client_config()
}

pub fn server_config(pki: &Pki) -> ServerConfig {
    pki.server_config()
}

/// The events a `--trace=json` run wrote to its standard error (other lines are skipped).
pub fn events(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A decision parameter as text: a code point's name, a text's value, a number or a flag.
pub fn param(event: &serde_json::Value, key: &str) -> String {
    let value = &event["params"][key];
    match value["type"].as_str() {
        Some("name") => value["name"].as_str().unwrap_or_default().to_string(),
        Some("text") => value["value"].as_str().unwrap_or_default().to_string(),
        Some("number" | "flag") => value["value"].to_string(),
        _ => String::new(),
    }
}

/// Whether the events hold a decision of `kind` whose parameters match `params`.
pub fn decided(events: &[serde_json::Value], kind: &str, params: &[(&str, &str)]) -> bool {
    events.iter().any(|e| {
        e["kind"] == "decision"
            && e["decision"] == kind
            && params.iter().all(|(k, v)| param(e, k) == *v)
    })
}

/// The messages of type `name` that went in `direction` ("sent" or "received").
pub fn messages<'a>(
    events: &'a [serde_json::Value],
    direction: &str,
    name: &str,
) -> Vec<&'a serde_json::Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "message" && e["direction"] == direction && e["message"] == name)
        .collect()
}

/// A message's field by id.
pub fn message_field<'a>(message: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    message["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["id"] == id))
        .map(|f| &f["value"])
        .unwrap_or(&serde_json::Value::Null)
}

/// `glasstls ech keygen --public-name public.example --out DIR/NAME`: the key file, and the
/// ECHConfigList keygen printed (base64, as DNS would publish it).
pub fn ech_keygen(pki: &Pki, name: &str) -> (std::path::PathBuf, String) {
    let key_file = pki.dir.join(name);
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS)
            .args(["ech", "keygen", "--public-name", "public.example", "--out"])
            .arg(&key_file),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    (
        key_file,
        String::from_utf8_lossy(&stdout).trim().to_string(),
    )
}
