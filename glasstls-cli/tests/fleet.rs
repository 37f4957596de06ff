//! A fleet of `glasstls serve` nodes sharing sessions and ticket keys through a real
//! `redis-server` (started here on a free loopback port, stopped when the test ends): a session
//! made at one node resumes at the others (TLS 1.2 session ID and ticket, TLS 1.3 ticket and
//! stateful PSK, and a stateful PSK inside an ECH inner hello), tickets survive a rotation
//! within its window and not after, and Redis dying under load costs no connection, only
//! resumptions, which come back with it.

mod common;

use common::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `redis-server` on `port`, nothing saved to disk.
fn redis_on(port: u16) -> Peer {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (the test command installs it)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Peer {
        child,
        stderr_lines: Default::default(),
        stdout_lines: Default::default(),
    }
}

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// A node of the fleet: the PKI's ECDSA certificate, the fleet's Redis, and `extra`.
fn node(pki: &Pki, redis: u16, extra: &[&str]) -> (Peer, String) {
    let url = url(redis);
    let mut args = vec!["--session-store", url.as_str()];
    args.extend_from_slice(extra);
    ecdsa_server(pki, &args)
}

/// `openssl s_client` to `addr`, saving its session to `out` and resuming from `input`;
/// returns whether it resumed ("Reused," rather than "New,").
fn s_client(pki: &Pki, addr: &str, version: &str, extra: &[&str], sess: (&str, &str)) -> bool {
    let mut cmd = s_client_localhost(pki, addr);
    cmd.arg(version).args(extra);
    let (flag, path) = sess;
    if !flag.is_empty() {
        cmd.args([flag, path]);
    }
    let request = b"GET /text HTTP/1.0\r\nHost: localhost\r\n\r\n".to_vec();
    let (_, stdout, stderr) = run_with_input(&mut cmd, request, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(
        stdout.contains("HTTP/1.0 200"),
        "{addr}: {stdout}\n{stderr}"
    );
    if stdout.contains("Reused,") {
        return true;
    }
    assert!(stdout.contains("New,"), "{stdout}");
    false
}

fn session_file(name: &str) -> String {
    std::env::temp_dir()
        .join(format!("glasstls-fleet-{}-{name}.pem", std::process::id()))
        .display()
        .to_string()
}

#[test]
fn a_session_made_at_one_node_resumes_at_the_others() {
    let pki = Pki::new();
    let port = free_port();
    let _redis = redis_on(port);
    let nodes: Vec<_> = (0..3).map(|_| node(&pki, port, &[])).collect();
    let [a, b, c] = [&nodes[0].1, &nodes[1].1, &nodes[2].1];
    for (what, version, extra) in [
        ("TLS 1.2 session ID", "-tls1_2", &["-no_ticket"][..]),
        ("TLS 1.2 ticket", "-tls1_2", &[][..]),
        ("TLS 1.3 ticket", "-tls1_3", &[][..]),
    ] {
        let file = session_file(&what.replace(' ', "-"));
        assert!(
            !s_client(&pki, a, version, extra, ("-sess_out", &file)),
            "{what}: new at A"
        );
        for other in [b, c] {
            assert!(
                s_client(&pki, other, version, extra, ("-sess_in", &file)),
                "{what}: made at A, resumed at {other}\n{}",
                nodes[1].0.stderr()
            );
        }
    }
    // TLS 1.3 without tickets: a stateful PSK, kept in Redis under its identity.
    let stateful: Vec<_> = (0..2)
        .map(|_| node(&pki, port, &["--no-tickets"]))
        .collect();
    let file = session_file("psk");
    assert!(!s_client(
        &pki,
        &stateful[0].1,
        "-tls1_3",
        &[],
        ("-sess_out", &file)
    ));
    assert!(
        s_client(&pki, &stateful[1].1, "-tls1_3", &[], ("-sess_in", &file)),
        "a TLS 1.3 PSK made at D resumes at E: {}",
        stateful[1].0.stderr()
    );
    let log = nodes[0].0.stderr();
    assert!(
        log.contains("session store redis://127.0.0.1:") && log.contains("the fleet's keys"),
        "{log}"
    );
    // The fleet's keys are in place before the first client: the line comes before
    // "listening on" (the first call to Redis opens its connection, which a 50 ms handshake
    // deadline would not wait for).
    for (peer, _) in &nodes {
        let log = peer.stderr();
        let keys = log.find("ticket keys from the fleet").unwrap_or(usize::MAX);
        assert!(keys < log.find("listening on").unwrap(), "{log}");
    }
    assert!(!log.contains("secret"), "{log}");
}

/// Under Encrypted Client Hello the PSK travels in the inner hello only, and the outer one
/// carries a GREASE identity of the same shape (RFC 9849 §6.1.2): a node must look up the
/// inner hello's identity in Redis. Two nodes with the same ECH key and stateful TLS 1.3 PSKs
/// (`--no-tickets`); our client, offering ECH, makes a session at D and resumes it at E.
#[test]
fn an_ech_session_made_at_one_node_resumes_at_another() {
    use glasstls::ech::EchMode;
    let pki = Pki::new();
    let port = free_port();
    let _redis = redis_on(port);
    let (key_file, config_list) = ech_keygen(&pki, "fleet-ech.pem");
    let list = glasstls::ech::unbase64(&config_list).unwrap();
    let public = pki
        .ca
        .issue(&["public.example"], glasstls_test::pki::KeyKind::EcdsaP256)
        .unwrap();
    let (cert, key) = public.write(&pki.dir, "fleet-public").unwrap();
    let sni = format!("public.example={},{}", cert.display(), key.display());
    let ech_key = key_file.display().to_string();
    let flags = ["--no-tickets", "--sni", &sni, "--ech-key", &ech_key];
    let nodes: Vec<_> = (0..2).map(|_| node(&pki, port, &flags)).collect();
    let mut config = client_config(&pki);
    config.common.versions = vec![glasstls::Version::Tls13];
    config.ech = EchMode::from_config_list(&list).unwrap();
    let config = Arc::new(config);
    let visit = |addr: &str| {
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let conn =
            glasstls::Connection::client(Arc::clone(&config), "localhost".try_into().unwrap())
                .unwrap();
        let mut tls = glasstls::Stream::new(conn, tcp);
        tls.write_all(b"GET /text HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply).unwrap();
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        let info = tls.conn().info();
        assert_eq!(info.ech, glasstls::EchStatus::Accepted, "{addr}");
        info.resumed.is_some()
    };
    assert!(!visit(&nodes[0].1), "new at D");
    // D puts the session from a task of its own, after its ticket has gone: a client as quick
    // as this one could ask E first.
    let mut redis = redis::Client::open(url(port))
        .unwrap()
        .get_connection()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis::cmd("KEYS")
        .arg("glasstls:session:*")
        .query::<Vec<String>>(&mut redis)
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "D never stored the session");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        visit(&nodes[1].1),
        "an ECH session made at D resumes at E: {}",
        nodes[1].0.stderr()
    );
}

#[test]
fn tickets_resume_across_a_rotation_within_the_window_and_not_after() {
    let pki = Pki::new();
    let port = free_port();
    let _redis = redis_on(port);
    let window = ["--ticket-window", "4"];
    let nodes: Vec<_> = (0..3).map(|_| node(&pki, port, &window)).collect();
    let old = session_file("before-rotation");
    assert!(!s_client(
        &pki,
        &nodes[0].1,
        "-tls1_3",
        &[],
        ("-sess_out", &old)
    ));
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS)
            .args(["ticket-keys", "rotate", "--session-store", &url(port)])
            .args(window),
        Vec::new(),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(
        stdout.contains("rotated: current key 0 s old, 1 retired"),
        "{stdout}"
    );
    let rotated = Instant::now();
    for (peer, _) in &nodes {
        let log = peer.stderr_when(|e| e.matches("ticket keys from the fleet").count() >= 2);
        assert!(
            log.contains("1 retired key(s)"),
            "every node took the new ring: {log}"
        );
    }
    // Within the window: the ticket from before resumes, anywhere.
    assert!(
        s_client(&pki, &nodes[1].1, "-tls1_3", &[], ("-sess_in", &old)),
        "within the window"
    );
    // A ticket sealed by the new key opens on another node.
    let new = session_file("after-rotation");
    assert!(!s_client(
        &pki,
        &nodes[1].1,
        "-tls1_3",
        &[],
        ("-sess_out", &new)
    ));
    assert!(s_client(
        &pki,
        &nodes[2].1,
        "-tls1_3",
        &[],
        ("-sess_in", &new)
    ));
    // Past the window, the retired key opens nothing.
    std::thread::sleep(
        Duration::from_secs(4).saturating_sub(rotated.elapsed()) + Duration::from_millis(1200),
    );
    assert!(
        !s_client(&pki, &nodes[2].1, "-tls1_3", &[], ("-sess_in", &old)),
        "past the window"
    );
    let show = Command::new(GLASSTLS)
        .args(["ticket-keys", "show", "--session-store", &url(port)])
        .output()
        .unwrap();
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("seals:") && show.contains("opens only:"),
        "{show}"
    );
}

fn rustls_client(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(pki.path("ca.pem")).unwrap();
    use rustls_pki_types::pem::PemObject;
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config =
        rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS12])
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.resumption = rustls::client::Resumption::default()
        .tls12_resumption(rustls::client::Tls12Resumption::SessionIdOnly);
    Arc::new(config)
}

/// One request to `addr` with rustls; whether its handshake resumed, or why it failed.
fn fetch(config: &Arc<rustls::ClientConfig>, addr: &str) -> Result<bool, String> {
    let tcp = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn =
        rustls::ClientConnection::new(Arc::clone(config), name).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /text HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).map_err(|e| e.to_string())?;
    if !reply.starts_with(b"HTTP/1.0 200") {
        return Err(String::from_utf8_lossy(&reply).into_owned());
    }
    Ok(tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed))
}

#[test]
fn redis_dying_under_load_costs_resumptions_not_connections() {
    let pki = Pki::new();
    let port = free_port();
    let mut redis = Some(redis_on(port));
    // TLS 1.2 by session ID only: every resumption goes through Redis.
    let flags = ["--tls12", "--no-tickets", "--metrics-listen", "127.0.0.1:0"];
    let nodes: Vec<_> = (0..3).map(|_| node(&pki, port, &flags)).collect();
    let config = rustls_client(&pki);
    let mut failures = Vec::new();
    let mut resumed = [0usize; 3];
    let mut full = [0usize; 3];
    let mut phase = 0;
    let mut i = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Phase 0: Redis up. Phase 1: Redis killed (SIGKILL) mid-run. Phase 2: Redis back, empty.
    while Instant::now() < deadline {
        if phase == 0 && i == 30 {
            redis = None; // killed
            phase = 1;
        } else if phase == 1 && i == 60 {
            redis = Some(redis_on(port));
            phase = 2;
        } else if phase == 2 && resumed[2] >= 5 {
            break;
        }
        let (_, addr) = &nodes[i % 3];
        match fetch(&config, addr) {
            Ok(true) => resumed[phase] += 1,
            Ok(false) => full[phase] += 1,
            Err(e) => failures.push(format!("connection {i} (phase {phase}): {e}")),
        }
        i += 1;
    }
    drop(redis);
    assert!(failures.is_empty(), "no connection may fail: {failures:?}");
    assert!(
        resumed[0] >= 25,
        "up: resumed across nodes {resumed:?} full {full:?}"
    );
    assert_eq!(resumed[1], 0, "down: nothing to resume from: {resumed:?}");
    assert_eq!(full[1], 30, "down: full handshakes instead");
    assert!(
        resumed[2] >= 5,
        "back: resumption returns {resumed:?} full {full:?}"
    );
    // The outage is in the metrics: errors, and the breaker opened.
    let metrics_at = nodes[0]
        .0
        .stderr()
        .lines()
        .find_map(|l| {
            l.strip_prefix("glasstls: metrics on http://")
                .map(str::to_string)
        })
        .unwrap();
    let metrics = Command::new("curl")
        .args(["-sS", &format!("http://{metrics_at}")])
        .output()
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics.stdout);
    for event in ["hit", "error", "breaker_opened", "stored"] {
        assert!(
            metrics.contains(&format!(
                "glasstls_session_store_events_total{{event=\"{event}\"}}"
            )),
            "{event}: {metrics}"
        );
    }
}
