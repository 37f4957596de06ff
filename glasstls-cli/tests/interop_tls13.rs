//! TLS 1.3 interop on loopback against the `openssl` binary: every suite × group both ways with
//! 1 MiB each way, HelloRetryRequest forced by group choice both ways, and a KeyUpdate the peer
//! asks for.

mod common;

use common::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LINES: usize = 16 * 1024;

/// glasstls connect --tls13 → openssl s_server -tls1_3 -rev; returns glasstls's stderr.
fn client_against_openssl(
    suite: &str,
    group: &str,
    server_groups: Option<&str>,
    seed: u64,
) -> String {
    let pki = Pki::new();
    let mut args = vec![
        "-cert".to_string(),
        pki.path("rsa.pem"),
        "-key".into(),
        pki.path("rsa.key"),
        "-dcert".into(),
        pki.path("ecdsa.pem"),
        "-dkey".into(),
        pki.path("ecdsa.key"),
        "-tls1_3".into(),
        "-rev".into(),
    ];
    if let Some(groups) = server_groups {
        args.extend(["-groups".into(), groups.into()]);
    }
    let (_server, port) = openssl_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let data = hex_lines(seed, LINES);
    let mut input = data.clone();
    input.extend_from_slice(b"CLOSE\n");
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--tls13", "--trace=json"])
        .args(["--cipher", suite, "--group", group]);
    let (status, stdout, stderr) = run_with_input(&mut cmd, input, Duration::from_secs(60));
    let summary = stderr
        .lines()
        .filter(|l| l.starts_with("connection "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        status.success(),
        "glasstls connect failed: {}",
        stderr.lines().last().unwrap_or_default()
    );
    assert!(
        summary.contains(&format!("connection 1: TLSv1.3 {suite} full handshake")),
        "{summary}"
    );
    assert_eq!(
        stdout.len(),
        data.len(),
        "received a different amount of data"
    );
    assert!(
        stdout == reversed_lines(&data),
        "the data came back corrupted"
    );
    stderr
}

/// openssl s_client -tls1_3 → glasstls serve --echo: 1 MiB out, the same back. Returns the
/// server's trace.
fn server_against_openssl(suite: &str, groups: &str, server_extra: &[&str], seed: u64) -> String {
    let pki = Pki::new();
    let mut args = vec![
        "--cert".to_string(),
        pki.path("rsa.pem"),
        "--key".into(),
        pki.path("rsa.key"),
        "--cert".into(),
        pki.path("ecdsa.pem"),
        "--key".into(),
        pki.path("ecdsa.key"),
        "--echo".into(),
        "--trace=json".into(),
    ];
    args.extend(server_extra.iter().map(|s| s.to_string()));
    let (server, addr) = glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut client = Command::new("openssl");
    client
        .args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_3",
            "-ciphersuites",
            suite,
            "-groups",
            groups,
        ])
        .args([
            "-CAfile",
            &pki.path("ca.pem"),
            "-servername",
            "localhost",
            "-verify_return_error",
            "-quiet",
        ]);
    let data = hex_lines(seed, LINES);
    let (echoed, client_err) = echo_through(client, &data);
    assert_eq!(
        echoed.len(),
        data.len(),
        "echo incomplete; s_client said: {client_err}\nserver said:\n{}",
        server.stderr()
    );
    assert!(echoed == data, "the echoed data differs");
    let finished = |t: &str| decided(&events(t), "finished_verified", &[("peer", "client")]);
    let trace = server.stderr_when(finished);
    assert!(
        decided(&events(&trace), "chose13", &[("suite", suite)]),
        "{trace}"
    );
    trace
}

macro_rules! matrix {
    ($($name:ident: $suite:literal, $ours:literal, $theirs:literal;)*) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn glasstls_client_against_openssl_s_server() {
                    let trace = client_against_openssl($suite, $ours, None, line!() as u64);
                    let events = events(&trace);
                    assert!(decided(&events, "negotiated13", &[("suite", $suite), ("group", $ours)]), "{trace}");
                }

                #[test]
                fn openssl_s_client_against_glasstls_serve() {
                    let trace = server_against_openssl($suite, $theirs, &[], line!() as u64 + 3);
                    let events = events(&trace);
                    assert!(decided(&events, "chose13", &[("suite", $suite), ("group", $ours)]), "{trace}");
                }
            }
        )*
    };
}

matrix! {
    aes128_x25519: "TLS_AES_128_GCM_SHA256", "x25519", "X25519";
    aes128_p256: "TLS_AES_128_GCM_SHA256", "secp256r1", "P-256";
    aes128_p384: "TLS_AES_128_GCM_SHA256", "secp384r1", "P-384";
    aes256_x25519: "TLS_AES_256_GCM_SHA384", "x25519", "X25519";
    aes256_p256: "TLS_AES_256_GCM_SHA384", "secp256r1", "P-256";
    aes256_p384: "TLS_AES_256_GCM_SHA384", "secp384r1", "P-384";
    chacha_x25519: "TLS_CHACHA20_POLY1305_SHA256", "x25519", "X25519";
    chacha_p256: "TLS_CHACHA20_POLY1305_SHA256", "secp256r1", "P-256";
    chacha_p384: "TLS_CHACHA20_POLY1305_SHA256", "secp384r1", "P-384";
}

#[test]
fn glasstls_client_retries_when_openssl_wants_another_group() {
    // We send shares for x25519 and secp256r1's first guess; the server takes only P-384.
    let pki = Pki::new();
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-tls1_3",
        "-rev",
        "-groups",
        "P-384",
    ]);
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--trace=json"]);
    let (status, stdout, stderr) = run_with_input(
        &mut cmd,
        b"olleh\nCLOSE\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, b"hello\n");
    assert!(
        decided(
            &events(&stderr),
            "hello_retry_requested",
            &[("group", "secp384r1"), ("cookie", "false")]
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("connection 1: TLSv1.3 TLS_AES_128_GCM_SHA256 full handshake (secp384r1)"),
        "{stderr}"
    );
}

#[test]
fn glasstls_server_retries_when_openssl_guesses_another_group() {
    let trace = server_against_openssl(
        "TLS_AES_256_GCM_SHA384",
        "X25519:P-256",
        &["--group", "secp256r1"],
        99,
    );
    let events = events(&trace);
    assert!(
        decided(
            &events,
            "hello_retry_request_sent",
            &[("group", "secp256r1")]
        ),
        "{trace}"
    );
    assert!(
        decided(
            &events,
            "chose13",
            &[("suite", "TLS_AES_256_GCM_SHA384"), ("group", "secp256r1")]
        ),
        "{trace}"
    );
}

#[test]
fn glasstls_server_follows_a_key_update_openssl_requests() {
    let pki = Pki::new();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--echo",
        "--trace=json",
    ]);
    // Without -quiet, s_client reads commands: "K" sends KeyUpdate(update_requested).
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_3",
            "-CAfile",
            &pki.path("ca.pem"),
            "-servername",
            "localhost",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            if String::from_utf8_lossy(&all).contains("after-update") {
                break;
            }
        }
        all
    });
    stdin.write_all(b"before\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(b"K\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(b"after-update\n").unwrap();
    let out = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.contains("before\n"),
        "no echo before the key update: {out}"
    );
    assert!(
        !out.contains("\nK\n"),
        "s_client sent K as data instead of a KeyUpdate: {out}"
    );
    assert!(
        out.contains("after-update"),
        "no echo after the key update: {out}"
    );
    let trace = server.stderr_when(|t| decided(&events(t), "key_update_sent", &[]));
    assert!(
        decided(&events(&trace), "key_update_received", &[]),
        "{trace}"
    );
    assert!(decided(&events(&trace), "key_update_sent", &[]), "{trace}");
}

#[test]
fn glasstls_reconnect_resumes_tls13_against_openssl() {
    let pki = Pki::new();
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-tls1_3",
        "-rev",
        "-naccept",
        "6",
    ]);
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--reconnect", "5"]);
    let (status, stdout, stderr) = run_with_input(
        &mut cmd,
        b"olleh\nCLOSE\n".to_vec(),
        Duration::from_secs(60),
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, b"hello\n");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("connection "))
        .collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    assert!(
        lines[0].contains("TLSv1.3") && lines[0].contains("full handshake"),
        "{lines:?}"
    );
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("TLSv1.3") && l.ends_with("resumed (ticket)")),
        "{lines:?}"
    );
}

#[test]
fn openssl_resumes_tls13_from_a_saved_session_against_glasstls_serve() {
    let pki = Pki::new();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--trace",
    ]);
    let session = pki.dir.join("openssl.sess");
    let fetch = |flag: &str| {
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_3",
            "-CAfile",
            &pki.path("ca.pem"),
            "-servername",
            "localhost",
        ])
        .args(["-ign_eof", flag, &session.to_string_lossy()]);
        let (_, stdout, _) = run_with_input(
            &mut cmd,
            b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
            Duration::from_secs(30),
        );
        String::from_utf8_lossy(&stdout).into_owned()
    };
    let first = fetch("-sess_out");
    assert!(
        first.contains("New, TLSv1.3") && first.contains("resumed: no"),
        "{first}"
    );
    let second = fetch("-sess_in");
    assert!(
        second.contains("Reused, TLSv1.3") && second.contains("resumed: yes, by ticket"),
        "{second}\n{}",
        server.stderr()
    );
}
