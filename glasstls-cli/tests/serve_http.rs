//! `glasstls serve` as an HTTP server (hyper on glasstls-tokio): keep-alive, h2, HEAD, 404,
//! 405, 413 before the body, `Expect: 100-continue`, chunked bodies, a reply in one record,
//! bare-LF requests, slow readers on keep-alive, graceful shutdown and reload on signals.

mod common;

use common::*;
use glasstls_test::pki::Pki;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').unwrap().1
}

fn curl(pki: &Pki, addr: &str, path: &str) -> std::process::Command {
    curl_localhost(pki, port_of(addr), path)
}

fn output(cmd: &mut std::process::Command) -> (String, String) {
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keep_alive_and_h2_serve_many_requests_on_one_connection() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &[]);
    for (flag, version) in [("--http1.1", "1.1"), ("--http2", "2")] {
        let (out, err) = output(
            curl(&pki, &addr, "/text")
                .arg(flag)
                .args([
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_version} %{http_code} %{num_connects}\\n",
                ])
                .arg(format!("https://localhost:{}/", port_of(&addr)))
                .args(["-o", "/dev/null"])
                .arg(format!("https://localhost:{}/nowhere", port_of(&addr)))
                .args(["-o", "/dev/null"]),
        );
        // Three requests: one new connection, then two on it; the unknown path is 404.
        assert_eq!(
            out,
            format!("{version} 200 1\n{version} 200 0\n{version} 404 0\n"),
            "{err}"
        );
    }
    let log = server.stderr_when(|e| e.contains("[conn 2]") && e.contains("alpn=h2"));
    assert!(
        log.contains("alpn=http/1.1") && log.contains("alpn=h2"),
        "{log}"
    );
    assert!(
        !log.contains("[conn 3]"),
        "one connection per curl run: {log}"
    );
}

#[test]
fn head_gets_the_headers_without_the_body_and_other_methods_are_refused() {
    let pki = Pki::new();
    let (_server, addr) = ecdsa_server(&pki, &[]);
    let (get, _) = output(curl(&pki, &addr, "/text").arg("--http1.1"));
    let (head, err) = output(curl(&pki, &addr, "/text").args(["--http1.1", "-I"]));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}{err}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}", get.len())),
        "HEAD announces GET's length {}: {head}",
        get.len()
    );
    assert!(!head.contains("version:"), "no body on HEAD: {head}");
    let (code, _) = output(curl(&pki, &addr, "/").args([
        "-X",
        "DELETE",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
    ]));
    assert_eq!(code, "405");
    let (code, _) =
        output(curl(&pki, &addr, "/echo").args(["-o", "/dev/null", "-w", "%{http_code}"]));
    assert_eq!(code, "405", "GET /echo");
}

#[test]
fn bodies_come_with_100_continue_chunked_and_past_the_bound_413_before_they_are_sent() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &[]);
    let dir = tempdir();
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let file = dir.join("body");
    std::fs::write(&file, &body).unwrap();
    let back = dir.join("back");
    // curl asks `Expect: 100-continue` for a body this size and waits for the answer.
    let (code, err) = output(
        curl(&pki, &addr, "/echo")
            .args(["--http1.1", "-v", "--data-binary"])
            .arg(format!("@{}", file.display()))
            .args(["-o", back.to_str().unwrap(), "-w", "%{http_code}"]),
    );
    assert_eq!(code, "200", "{err}");
    assert!(
        err.contains("Expect: 100-continue") && err.contains("100 Continue"),
        "{err}"
    );
    assert!(
        std::fs::read(&back).unwrap() == body,
        "the body came back whole"
    );
    // Chunked, and over h2.
    for extra in [
        &["--http1.1", "-H", "Transfer-Encoding: chunked"][..],
        &["--http2"][..],
    ] {
        let (code, err) = output(
            curl(&pki, &addr, "/echo")
                .args(extra)
                .arg("--data-binary")
                .arg(format!("@{}", file.display()))
                .args(["-o", back.to_str().unwrap(), "-w", "%{http_code}"]),
        );
        assert_eq!(code, "200", "{extra:?}: {err}");
        assert!(std::fs::read(&back).unwrap() == body, "{extra:?}");
    }
    // Past the bound (16 MiB): refused on its declared length, before the body is sent.
    let huge = dir.join("huge");
    std::fs::write(&huge, vec![0u8; 17 << 20]).unwrap();
    let (code, err) = output(
        curl(&pki, &addr, "/echo")
            .args(["--http1.1", "--data-binary"])
            .arg(format!("@{}", huge.display()))
            .args(["-o", "/dev/null", "-w", "%{http_code}"]),
    );
    assert_eq!(code, "413", "{err}");
    let log = server.stderr_when(|e| e.matches("[conn ").count() >= 4);
    let last = log
        .lines()
        .rfind(|l| l.starts_with("[conn 4]"))
        .unwrap_or_default();
    let bytes_in: u64 = last
        .split("in=")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    assert!(bytes_in < 1 << 20, "the 17 MiB body was not sent: {last}");
    // A chunked body past the bound is cut off at it.
    let (code, _) = output(
        curl(&pki, &addr, "/echo")
            .args([
                "--http1.1",
                "-H",
                "Transfer-Encoding: chunked",
                "--data-binary",
            ])
            .arg(format!("@{}", huge.display()))
            .args(["-o", "/dev/null", "-w", "%{http_code}"]),
    );
    assert_eq!(code, "413");
}

/// A recording of what a client read from the wire.
struct Tap {
    tcp: TcpStream,
    seen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.seen.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tcp.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

/// The content types of the records in `wire`.
fn record_types(wire: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        types.push(rest[0]);
        rest = &rest[(5 + len).min(rest.len())..];
    }
    types
}

#[test]
fn a_reply_leaves_in_one_record_and_a_bare_lf_request_is_answered() {
    let pki = Pki::new();
    let (_server, addr) = ecdsa_server(&pki, &["--tls12"]);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let tcp = TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let conn = glasstls::Connection::client(
        std::sync::Arc::new(client_config(&pki)),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let mut tls = glasstls::Stream::new(
        conn,
        Tap {
            tcp,
            seen: std::sync::Arc::clone(&seen),
        },
    );
    tls.handshake().unwrap();
    let after_handshake = seen.lock().unwrap().len();
    // Lines ended by a bare LF (RFC 9112 §2.2 lets a recipient take them).
    tls.write_all(b"GET /text HTTP/1.1\nHost: localhost\nConnection: close\n\n")
        .unwrap();
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.starts_with("HTTP/1.1 200 OK") && reply.contains("version: TLSv1.2"),
        "{reply}"
    );
    let wire = seen.lock().unwrap()[after_handshake..].to_vec();
    // TLS 1.2: after the handshake only application data (23) and the close_notify alert (21).
    assert_eq!(
        record_types(&wire),
        vec![23, 21],
        "head and body of a {}-byte reply in one record",
        reply.len()
    );
}

#[test]
fn a_client_that_stops_reading_on_keep_alive_is_cut_off_at_the_idle_timeout() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &["--idle-timeout", "1"]);
    let mut tls = tls_client(std::sync::Arc::new(client_config(&pki)), &addr).unwrap();
    tls.handshake().unwrap();
    // A first request answered and read: the connection is kept alive.
    tls.write_all(b"GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = tls.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Then 16 MB to echo, and never a byte read of the answer.
    let body = vec![b'x'; 16 << 20];
    tls.write_all(
        format!(
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    tls.write_all(&body).unwrap();
    let log = server.stderr_when(|e| e.contains("idle too long"));
    assert!(
        log.contains("[conn 1]") && log.contains("the peer was idle too long"),
        "{log}"
    );
}

fn signal(server: &Peer, name: &str) {
    let pid = server.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn sigterm_drains_the_request_in_hand_then_stops() {
    let pki = Pki::new();
    let (mut server, addr) = ecdsa_server(&pki, &[]);
    let mut tls = tls_client(std::sync::Arc::new(client_config(&pki)), &addr).unwrap();
    tls.handshake().unwrap();
    tls.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&server, "TERM");
    server.stderr_when(|e| e.contains("no longer accepting"));
    // New connections are no longer taken…
    assert!(TcpStream::connect(&addr).is_err(), "the listener is closed");
    // …but the request in hand is finished and answered.
    tls.write_all(b"world").unwrap();
    let mut reply = Vec::new();
    let _ = tls.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.starts_with("HTTP/1.1 200") && reply.ends_with("helloworld"),
        "{reply}"
    );
    assert!(
        reply.to_ascii_lowercase().contains("connection: close"),
        "{reply}"
    );
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{}", server.stderr());
    let log = server.stderr();
    assert!(
        log.contains("SIGTERM") && log.contains("stopped (1 drained, 0 cut off"),
        "{log}"
    );
}

#[test]
fn sighup_reloads_the_certificate_for_new_connections_and_keeps_sessions() {
    let pki = Pki::new();
    let dir = tempdir();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::copy(pki.path("ecdsa.pem"), &cert).unwrap();
    std::fs::copy(pki.path("ecdsa.key"), &key).unwrap();
    let (server, addr) = glasstls_server(&[
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let config = std::sync::Arc::new(client_config(&pki));
    let mut before = tls_client(std::sync::Arc::clone(&config), &addr).unwrap();
    before.handshake().unwrap();
    let leaf = |tls: &glasstls::Stream<TcpStream>| tls.conn().info().peer_certificates[0].clone();
    let first = leaf(&before);
    let request = b"GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut buf = vec![0u8; 16 * 1024];
    // A request answered (and with it the TLS 1.3 ticket read).
    before.write_all(request).unwrap();
    let n = before.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Another certificate for the same name (the PKI's RSA one), swapped in on disk.
    std::fs::copy(pki.path("rsa.pem"), &cert).unwrap();
    std::fs::copy(pki.path("rsa.key"), &key).unwrap();
    signal(&server, "HUP");
    server.stderr_when(|e| e.contains("reloaded"));
    let mut fresh = tls_client(std::sync::Arc::new(client_config(&pki)), &addr).unwrap();
    fresh.handshake().unwrap();
    assert_ne!(
        leaf(&fresh),
        first,
        "a new connection gets the new certificate"
    );
    let mut resumed = tls_client(std::sync::Arc::clone(&config), &addr).unwrap();
    resumed.handshake().unwrap();
    assert!(
        resumed.conn().info().resumed.is_some(),
        "the ticket from before the reload still resumes"
    );
    // The connection from before the reload goes on.
    before.write_all(request).unwrap();
    let n = before.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // A reload that fails keeps what was served.
    std::fs::write(&key, "not a key").unwrap();
    signal(&server, "HUP");
    let log = server.stderr_when(|e| e.contains("reload failed"));
    assert!(log.contains("still serving as before"), "{log}");
    let mut third = tls_client(config, &addr).unwrap();
    third.handshake().unwrap();
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "glasstls-serve-http-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An HTTP/1.1 connection quiet for a while is put away (hyper's buffers given back) and
/// served again when its next request comes; two requests sent in one write are both
/// answered, in order, across the turns.
#[test]
fn a_keep_alive_connection_is_served_again_after_going_quiet_and_pipelining_holds() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &[]);
    let mut tls = tls_client(std::sync::Arc::new(client_config(&pki)), &addr).unwrap();
    tls.handshake().unwrap();
    let read_reply = |tls: &mut glasstls::Stream<TcpStream>| {
        // One reply: its head, then as many bytes as its Content-Length says.
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            assert_eq!(tls.read(&mut byte).unwrap(), 1, "{got:?}");
            got.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        let mut body = vec![0u8; length];
        tls.read_exact(&mut body).unwrap();
        (head, String::from_utf8_lossy(&body).into_owned())
    };
    for pause in [0u64, 400, 400] {
        std::thread::sleep(Duration::from_millis(pause));
        tls.write_all(b"GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (head, body) = read_reply(&mut tls);
        assert!(head.starts_with("http/1.1 200"), "after {pause} ms: {head}");
        assert!(body.contains("version: TLSv1.3"), "{body}");
    }
    // Pipelined, after a pause: a 404 then a page, answered in that order.
    std::thread::sleep(Duration::from_millis(400));
    tls.write_all(
        b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\nGET /text HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    assert!(read_reply(&mut tls).0.starts_with("http/1.1 404"));
    assert!(read_reply(&mut tls).1.contains("version: TLSv1.3"));
    tls.close().unwrap();
    let log = server.stderr_when(|e| e.contains("[conn 1]"));
    assert!(!log.contains("[conn 2]"), "all on one connection: {log}");
    assert!(log.contains("closed with close_notify"), "{log}");
}
