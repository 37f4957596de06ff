//! The command line as a new user meets it, each point run the way a user would: `connect`
//! with nothing on standard input exits, `serve --alpn` offers only what it speaks, an
//! unwritable SSLKEYLOGFILE is said once, `serve` logs a line per connection, and suites
//! glasstls does not implement still show by their IANA names.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// `connect HOST:PORT </dev/null`: at the end of standard input our close_notify goes out and
/// `connect` exits once the server answers (as `openssl s_client` does), in both versions,
/// rather than waiting until the server gives up.
#[test]
fn connect_exits_at_the_end_of_standard_input() {
    for version in ["-tls1_2", "-tls1_3"] {
        let pki = Pki::new();
        let (_server, port) = ecdsa_openssl_server(&pki, &[version]);
        let started = Instant::now();
        let (status, _, stderr) = run_with_input(
            &mut glasstls_connect(&pki, port),
            Vec::new(),
            Duration::from_secs(30),
        );
        assert!(status.success(), "{version}: {stderr}");
        // The server would wait for minutes; the drain is 3 s at most.
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{version}: connect waited {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn serve_offers_only_the_protocols_it_speaks() {
    let pki = Pki::new();
    let (status, _, stderr) = run_with_input(
        Command::new(GLASSTLS).args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            &pki.path("ecdsa.pem"),
            "--key",
            &pki.path("ecdsa.key"),
            "--alpn",
            "spdy/3",
        ]),
        Vec::new(),
        Duration::from_secs(20),
    );
    assert!(!status.success());
    assert!(
        stderr.contains("--alpn spdy/3") && stderr.contains("h2 and HTTP/1.1"),
        "{stderr}"
    );
    // --echo speaks whatever comes: h2 may be offered there.
    let (_server, addr) = ecdsa_server(&pki, &["--echo", "--alpn", "h2"]);
    assert!(addr.starts_with("127.0.0.1:"));
}

#[test]
fn an_unwritable_sslkeylogfile_is_said_once() {
    let pki = Pki::new();
    let (_server, port) = ecdsa_openssl_server(&pki, &[]);
    let (status, _, stderr) = run_with_input(
        glasstls_connect(&pki, port).env("SSLKEYLOGFILE", "/nonexistent-dir/keys.log"),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("SSLKEYLOGFILE=/nonexistent-dir/keys.log: cannot open it")
            .count(),
        1,
        "{stderr}"
    );
}

/// One line per connection, successful ones too: peer, SNI, version, suite, group, resumed,
/// ALPN, duration, bytes each way, how it ended.
#[test]
fn serve_logs_a_line_per_connection() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &["--alpn", "http/1.1"]);
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    let (status, _, stderr) = run_with_input(
        glasstls_connect(&pki, port).args(["--alpn", "http/1.1"]),
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let log = server.stderr_when(|e| e.contains("[conn 1] "));
    let line = log
        .lines()
        .find(|l| l.starts_with("[conn 1] "))
        .unwrap_or_else(|| panic!("no line for the connection: {log}"));
    for part in [
        "127.0.0.1:",
        "sni=localhost",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "X25519MLKEM768",
        "resumed=no",
        "alpn=http/1.1",
        " ms ",
        "in=",
        "out=",
        ": ok",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
}

/// A suite glasstls does not implement, offered by OpenSSL, shows on the page by its IANA
/// name, not as `unknown(0x009f)`.
#[test]
fn the_page_names_suites_glasstls_does_not_implement() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
    ]);
    let (page, stderr) = s_client_page(
        &pki,
        &addr,
        &[
            "-tls1_2",
            "-cipher",
            "DHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    );
    assert!(
        page.contains("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
        "{page}\n{stderr}"
    );
    assert!(!page.contains("unknown(0x"), "{page}");
}

/// `serve --prefer-server-order` (nginx's `ssl_prefer_server_ciphers`): our --cipher order
/// decides over the client's; without it the client's does.
#[test]
fn serve_may_prefer_its_own_suite_order() {
    let pki = Pki::new();
    for (flag, expected) in [
        (None, "TLS_AES_128_GCM_SHA256"),
        (
            Some("--prefer-server-order"),
            "TLS_CHACHA20_POLY1305_SHA256",
        ),
    ] {
        let mut args = vec![
            "--cipher",
            "TLS_CHACHA20_POLY1305_SHA256",
            "--cipher",
            "TLS_AES_128_GCM_SHA256",
        ];
        args.extend(flag);
        let (_server, addr) = ecdsa_server(&pki, &args);
        let (page, stderr) = s_client_page(
            &pki,
            &addr,
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
            ],
        );
        assert!(
            page.contains(&format!("cipher suite: {expected}")),
            "{flag:?}: {page}\n{stderr}"
        );
    }
}

/// `openssl s_client` with `args` asking `addr` for /text: the page and s_client's stderr.
fn s_client_page(pki: &Pki, addr: &str, args: &[&str]) -> (String, String) {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(args)
        .args(["-CAfile", &pki.path("ca.pem"), "-ign_eof"]);
    let (_, stdout, stderr) = run_with_input(
        &mut cmd,
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    (String::from_utf8_lossy(&stdout).into_owned(), stderr)
}

/// `serve` says at startup what it serves, and `--log-format json` writes each connection's
/// line as a JSON object with the same fields.
#[test]
fn serve_logs_a_startup_line_and_json_connection_lines() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &["--log-format", "json"]);
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    let (status, _, stderr) = run_with_input(
        &mut glasstls_connect(&pki, port),
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let log = server.stderr_when(|e| e.contains("\"conn\":1"));
    let startup = log
        .lines()
        .find(|l| l.starts_with("glasstls: identities ["))
        .unwrap_or_else(|| panic!("no startup line: {log}"));
    assert!(
        startup.contains("CN=localhost") && startup.contains("versions TLSv1.3, TLSv1.2"),
        "{startup}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("\"conn\":1"))
        .unwrap_or_else(|| panic!("no JSON line: {log}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["sni"], "localhost", "{entry}");
    assert_eq!(entry["version"], "TLSv1.3", "{entry}");
    assert_eq!(entry["ok"], true, "{entry}");
    assert!(entry["bytes_in"].as_u64().unwrap() > 0 && entry["bytes_out"].as_u64().unwrap() > 0);
    assert!(entry["ms"].as_f64().is_some(), "{entry}");
}

/// `serve --metrics-listen`: Prometheus text with the handshakes by version, suite and
/// resumption, failures by alert, connections open, and the duration histogram.
#[test]
fn serve_exposes_prometheus_metrics() {
    let pki = Pki::new();
    let (server, addr) = ecdsa_server(&pki, &["--metrics-listen", "127.0.0.1:0"]);
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    let log = server.stderr_when(|e| e.contains("metrics on http://"));
    let metrics_addr = log
        .lines()
        .find_map(|l| l.strip_prefix("glasstls: metrics on http://"))
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no metrics line: {log}"))
        .to_string();
    let (ok, _, stderr) = run_with_input(
        &mut glasstls_connect(&pki, port),
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(ok.success(), "{stderr}");
    // A client that refuses the certificate's name.
    let (_, _, _) = run_with_input(
        connect_to(port, "wrong.test").args(["--cafile", &pki.path("ca.pem")]),
        Vec::new(),
        Duration::from_secs(30),
    );
    server.stderr_when(|e| e.contains("[conn 2]"));
    let (status, body, err) = run_with_input(
        Command::new("curl").args(["-sS", &format!("http://{metrics_addr}/metrics")]),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{err}");
    let text = String::from_utf8_lossy(&body);
    for line in [
        "glasstls_handshakes_total{version=\"TLSv1.3\",suite=\"TLS_AES_128_GCM_SHA256\",resumed=\"no\"} 1",
        "glasstls_failures_total{alert=\"received bad_certificate\"} 1",
        "glasstls_connections_open 0",
        "glasstls_handshake_seconds_count 1",
        "# TYPE glasstls_handshake_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
}
