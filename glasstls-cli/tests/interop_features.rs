//! Interop against `openssl` for what the suite matrix does not cover: the key log agrees with
//! OpenSSL's, every signature scheme both ways, CertificateRequest, ALPN.

mod common;

use common::*;
use glasstls_test::pki::KeyKind;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `glasstls connect` against an `openssl s_server -rev` started with `server_args`,
/// sending one line; returns (success, stderr).
fn connect_to_openssl(pki: &Pki, server_args: &[&str], client_args: &[&str]) -> (bool, String) {
    let mut args = vec!["-tls1_2", "-rev"];
    args.extend_from_slice(server_args);
    let (_server, port) = openssl_server(&args);
    let mut cmd = glasstls_connect(pki, port);
    cmd.args(client_args);
    let (status, stdout, stderr) =
        run_with_input(&mut cmd, b"abc\nCLOSE\n".to_vec(), Duration::from_secs(30));
    if status.success() {
        assert_eq!(stdout, b"cba\n");
    }
    (status.success(), stderr)
}

fn keylog_secret(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("CLIENT_RANDOM "))
        .map(str::to_string)
        .collect()
}

#[test]
fn key_log_lines_match_openssl_for_rsa_and_ecdhe_key_exchange() {
    for suite in [
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ] {
        let pki = Pki::new();
        let ours = pki.dir.join("ours.keylog");
        let theirs = pki.dir.join("theirs.keylog");
        let (ok, stderr) = connect_to_openssl(
            &pki,
            &[
                "-cert",
                &pki.path("rsa.pem"),
                "-key",
                &pki.path("rsa.key"),
                "-keylogfile",
                &theirs.to_string_lossy(),
            ],
            &["--cipher", suite, "--keylog", &ours.to_string_lossy()],
        );
        assert!(ok, "{stderr}");
        let (ours, theirs) = (keylog_secret(&ours), keylog_secret(&theirs));
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(
            ours, theirs,
            "{suite}: our master secret differs from OpenSSL's"
        );
    }
}

#[test]
fn client_verifies_every_signature_scheme_openssl_signs_with() {
    let pki = Pki::new();
    let p384 = pki.ca.issue(&["localhost"], KeyKind::EcdsaP384).unwrap();
    p384.write(&pki.dir, "p384").unwrap();
    let rsa = ["-cert", &pki.path("rsa.pem"), "-key", &pki.path("rsa.key")];
    let cases: [(&str, &[&str], &str); 8] = [
        ("RSA+SHA256", &rsa, "rsa_pkcs1_sha256"),
        ("RSA+SHA384", &rsa, "rsa_pkcs1_sha384"),
        ("RSA+SHA512", &rsa, "rsa_pkcs1_sha512"),
        ("rsa_pss_rsae_sha256", &rsa, "rsa_pss_rsae_sha256"),
        ("rsa_pss_rsae_sha384", &rsa, "rsa_pss_rsae_sha384"),
        ("rsa_pss_rsae_sha512", &rsa, "rsa_pss_rsae_sha512"),
        (
            "ECDSA+SHA256",
            &[
                "-cert",
                &pki.path("ecdsa.pem"),
                "-key",
                &pki.path("ecdsa.key"),
            ],
            "ecdsa_secp256r1_sha256",
        ),
        (
            "ECDSA+SHA384",
            &[
                "-cert",
                &pki.path("p384.pem"),
                "-key",
                &pki.path("p384.key"),
            ],
            "ecdsa_secp384r1_sha384",
        ),
    ];
    for (sigalgs, cert, scheme) in cases {
        let mut args = cert.to_vec();
        args.extend(["-sigalgs", sigalgs]);
        let (ok, stderr) = connect_to_openssl(&pki, &args, &["--trace=json"]);
        assert!(ok, "{sigalgs}: {stderr}");
        assert!(
            decided(
                &events(&stderr),
                "server_key_exchange_verified",
                &[("scheme", scheme)]
            ),
            "{sigalgs}: {stderr}"
        );
    }
}

#[test]
fn openssl_verifies_every_signature_scheme_glasstls_signs_with() {
    let pki = Pki::new();
    let p384 = pki.ca.issue(&["localhost"], KeyKind::EcdsaP384).unwrap();
    p384.write(&pki.dir, "p384").unwrap();
    let cases = [
        ("RSA+SHA256", "rsa", "rsa_pkcs1_sha256"),
        ("RSA+SHA384", "rsa", "rsa_pkcs1_sha384"),
        ("RSA+SHA512", "rsa", "rsa_pkcs1_sha512"),
        ("rsa_pss_rsae_sha256", "rsa", "rsa_pss_rsae_sha256"),
        ("rsa_pss_rsae_sha384", "rsa", "rsa_pss_rsae_sha384"),
        ("rsa_pss_rsae_sha512", "rsa", "rsa_pss_rsae_sha512"),
        ("ECDSA+SHA256", "ecdsa", "ecdsa_secp256r1_sha256"),
        ("ECDSA+SHA384", "p384", "ecdsa_secp384r1_sha384"),
    ];
    for (sigalgs, cert, scheme) in cases {
        let (server, addr) = glasstls_server(&[
            "--cert",
            &pki.path(&format!("{cert}.pem")),
            "--key",
            &pki.path(&format!("{cert}.key")),
            "--echo",
            "--trace=json",
        ]);
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_2",
            "-sigalgs",
            sigalgs,
            "-CAfile",
            &pki.path("ca.pem"),
        ])
        .args(["-servername", "localhost", "-verify_return_error", "-quiet"]);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"ping").unwrap();
        let mut echoed = [0u8; 4];
        let read = child.stdout.as_mut().unwrap().read_exact(&mut echoed);
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            read.is_ok() && &echoed == b"ping",
            "{sigalgs}: no echo; server said:\n{}",
            server.stderr()
        );
        let signed_with =
            |t: &str| decided(&events(t), "server_key_share_signed", &[("scheme", scheme)]);
        let trace = server.stderr_when(signed_with);
        assert!(signed_with(&trace), "{sigalgs}:\n{trace}");
    }
}

#[test]
fn client_answers_a_certificate_request_with_an_empty_certificate() {
    let pki = Pki::new();
    // -verify (not -Verify): OpenSSL asks for a certificate but does not insist.
    let (ok, stderr) = connect_to_openssl(
        &pki,
        &[
            "-cert",
            &pki.path("rsa.pem"),
            "-key",
            &pki.path("rsa.key"),
            "-verify",
            "1",
        ],
        &["--trace=json"],
    );
    assert!(ok, "{stderr}");
    let events = events(&stderr);
    assert_eq!(messages(&events, "received", "CertificateRequest").len(), 1);
    assert!(decided(&events, "client_certificate_requested", &[]));
    let sent = messages(&events, "sent", "Certificate");
    assert_eq!(sent.len(), 1, "{stderr}");
    assert_eq!(
        message_field(sent[0], "certificate_list")["items"],
        serde_json::json!([]),
        "an empty certificate_list"
    );
}

#[test]
fn alpn_is_negotiated_both_ways() {
    let pki = Pki::new();
    let (ok, stderr) = connect_to_openssl(
        &pki,
        &[
            "-cert",
            &pki.path("rsa.pem"),
            "-key",
            &pki.path("rsa.key"),
            "-alpn",
            "http/1.1",
        ],
        &["--alpn", "h2", "--alpn", "http/1.1", "--trace=json"],
    );
    assert!(ok, "{stderr}");
    // The server's answer (in EncryptedExtensions or the TLS 1.2 ServerHello) names one.
    let events = events(&stderr);
    let chosen: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "message" && e["direction"] == "received")
        .map(|m| message_field(m, "application_layer_protocol_negotiation"))
        .filter(|v| !v.is_null())
        .collect();
    assert_eq!(
        chosen,
        [
            &serde_json::json!({"type": "list", "items": [{"type": "bytes", "hex": "687474702f312e31"}]})
        ],
        "{stderr}"
    );

    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--alpn",
        "http/1.1",
    ]);
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &addr,
        "-tls1_2",
        "-alpn",
        "h2,http/1.1",
        "-CAfile",
        &pki.path("ca.pem"),
    ])
    .args(["-servername", "localhost", "-ign_eof"]);
    let (_, stdout, _) = run_with_input(
        &mut cmd,
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(stdout.contains("ALPN protocol: http/1.1"), "{stdout}");
    assert!(
        stdout.contains("ALPN: http/1.1"),
        "the page must report it: {stdout}\n{}",
        server.stderr()
    );
    assert!(
        stdout.contains("client offered ALPN: h2, http/1.1"),
        "{stdout}"
    );
}

#[test]
fn tls13_key_log_matches_openssl_secret_for_secret() {
    let pki = Pki::new();
    let ours = pki.dir.join("ours13.keylog");
    let theirs = pki.dir.join("theirs13.keylog");
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-tls1_3",
        "-rev",
        "-keylogfile",
        &theirs.to_string_lossy(),
    ]);
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--tls13", "--keylog", &ours.to_string_lossy()]);
    let (status, _, stderr) =
        run_with_input(&mut cmd, b"abc\nCLOSE\n".to_vec(), Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    let lines = |path: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    let (ours, theirs) = (lines(&ours), lines(&theirs));
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        let pick = |v: &[String]| {
            v.iter()
                .find(|l| l.starts_with(&format!("{label} ")))
                .cloned()
        };
        assert!(pick(&ours).is_some(), "we logged no {label}");
        assert_eq!(pick(&ours), pick(&theirs), "{label} differs from OpenSSL's");
    }
}
