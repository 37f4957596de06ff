//! Interop on loopback against the real `openssl` binary (3.0 here), TLS 1.2, every suite ×
//! group glasstls implements, in both directions, each moving 1 MiB both ways.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

/// 16 384 lines of 64 bytes: 1 MiB.
const LINES: usize = 16 * 1024;

struct Case {
    iana: &'static str,
    openssl: &'static str,
    /// Our group name and OpenSSL's, or None for the RSA key exchange.
    group: Option<(&'static str, &'static str)>,
}

impl Case {
    fn ecdsa(&self) -> bool {
        self.iana.contains("ECDSA")
    }
}

/// glasstls connect → openssl s_server -rev: we send 1 MiB of lines, the server sends each line
/// back reversed, then `CLOSE` makes it send close_notify.
fn client_against_openssl(case: Case, seed: u64) {
    let pki = Pki::new();
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-dcert",
        &pki.path("ecdsa.pem"),
        "-dkey",
        &pki.path("ecdsa.key"),
        "-tls1_2",
        "-rev",
        "-cipher",
        case.openssl,
    ]);
    let data = hex_lines(seed, LINES);
    let mut input = data.clone();
    input.extend_from_slice(b"CLOSE\n");
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--cipher", case.iana]);
    if let Some((ours, _)) = case.group {
        cmd.args(["--group", ours]);
        // RFC 8422 §5.1: the ECDSA certificate's curve (P-256) must be offered too.
        if case.ecdsa() && ours != "secp256r1" {
            cmd.args(["--group", "secp256r1"]);
        }
    }
    let (status, stdout, stderr) = run_with_input(&mut cmd, input, Duration::from_secs(60));
    assert!(status.success(), "glasstls connect failed: {stderr}");
    assert!(
        stderr.contains(&format!(
            "connection 1: TLSv1.2 {} full handshake",
            case.iana
        )),
        "negotiated something else: {stderr}"
    );
    if let Some((ours, _)) = case.group {
        assert!(
            stderr.contains(&format!("({ours})")),
            "negotiated another group: {stderr}"
        );
    }
    assert_eq!(
        stdout.len(),
        data.len(),
        "received a different amount of data"
    );
    assert!(
        stdout == reversed_lines(&data),
        "the data came back corrupted"
    );
}

/// openssl s_client → glasstls serve --echo: 1 MiB out, the same 1 MiB back.
fn server_against_openssl(case: Case, seed: u64) {
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
        "--rsa-kx".into(),
        "--echo".into(),
        "--trace=json".into(),
    ];
    if let Some((ours, _)) = case.group {
        args.extend(["--group".into(), ours.into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (server, addr) = glasstls_server(&args);

    let mut client = Command::new("openssl");
    client
        .args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_2",
            "-cipher",
            case.openssl,
        ])
        .args([
            "-CAfile",
            &pki.path("ca.pem"),
            "-servername",
            "localhost",
            "-verify_return_error",
            "-quiet",
        ]);
    if let Some((_, theirs)) = case.group {
        let groups = if case.ecdsa() && theirs != "P-256" {
            format!("{theirs}:P-256")
        } else {
            theirs.to_string()
        };
        client.args(["-groups", &groups]);
    }
    let data = hex_lines(seed, LINES);
    let (echoed, client_err) = echo_through(client, &data);
    assert_eq!(
        echoed.len(),
        data.len(),
        "echo incomplete; s_client said: {client_err}\nserver said: {}",
        server.stderr()
    );
    assert!(echoed == data, "the echoed data differs");
    // The handshake trace is printed in one batch ending with the client's Finished.
    let finished = |t: &str| decided(&events(t), "finished_verified", &[("peer", "client")]);
    let trace = server.stderr_when(finished);
    let events = events(&trace);
    assert!(
        decided(&events, "chose12", &[("suite", case.iana)]),
        "server chose something else:\n{trace}"
    );
    if let Some((ours, _)) = case.group {
        assert!(
            decided(&events, "server_key_share_signed", &[("group", ours)]),
            "server used another group:\n{trace}"
        );
    }
}

macro_rules! matrix {
    ($($name:ident: $iana:literal, $openssl:literal, $group:expr;)*) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn glasstls_client_against_openssl_s_server() {
                    client_against_openssl(Case { iana: $iana, openssl: $openssl, group: $group }, line!() as u64);
                }

                #[test]
                fn openssl_s_client_against_glasstls_serve() {
                    server_against_openssl(Case { iana: $iana, openssl: $openssl, group: $group }, line!() as u64 + 7);
                }
            }
        )*
    };
}

const X25519: Option<(&str, &str)> = Some(("x25519", "X25519"));
const P256: Option<(&str, &str)> = Some(("secp256r1", "P-256"));
const P384: Option<(&str, &str)> = Some(("secp384r1", "P-384"));

matrix! {
    rsa_aes128: "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", None;
    rsa_aes256: "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", None;
    ecdhe_rsa_aes128_x25519: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", X25519;
    ecdhe_rsa_aes128_p256: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", P256;
    ecdhe_rsa_aes128_p384: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", P384;
    ecdhe_rsa_aes256_x25519: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", X25519;
    ecdhe_rsa_aes256_p256: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", P256;
    ecdhe_rsa_aes256_p384: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", P384;
    ecdhe_rsa_chacha_x25519: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", X25519;
    ecdhe_rsa_chacha_p256: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", P256;
    ecdhe_rsa_chacha_p384: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", P384;
    ecdhe_ecdsa_aes128_x25519: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", X25519;
    ecdhe_ecdsa_aes128_p256: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", P256;
    ecdhe_ecdsa_aes128_p384: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", P384;
    ecdhe_ecdsa_aes256_x25519: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", X25519;
    ecdhe_ecdsa_aes256_p256: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", P256;
    ecdhe_ecdsa_aes256_p384: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", P384;
    ecdhe_ecdsa_chacha_x25519: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", X25519;
    ecdhe_ecdsa_chacha_p256: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", P256;
    ecdhe_ecdsa_chacha_p384: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", P384;
}

/// RFC 8422 §2.1: an ECDHE_ECDSA server may hold an EdDSA certificate. glasstls connect →
/// openssl s_server with an Ed25519 certificate, and openssl s_client → glasstls serve with one.
#[test]
fn ed25519_certificate_serves_ecdhe_ecdsa_in_tls12_both_ways() {
    let pki = Pki::new();
    // The key from OpenSSL, which reads only PKCS #8 v1 for Ed25519 (aws-lc writes v2); our
    // server loads this one too.
    let key = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519"])
        .output()
        .unwrap();
    assert!(key.status.success());
    let key_pem = String::from_utf8(key.stdout).unwrap();
    let leaf = pki.ca.issue_for_key(&["localhost"], &key_pem).unwrap();
    leaf.write(&pki.dir, "ed25519").unwrap();
    let suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";

    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("ed25519.pem"),
        "-key",
        &pki.path("ed25519.key"),
        "-tls1_2",
        "-rev",
    ]);
    let data = hex_lines(11, 64);
    let mut input = data.clone();
    input.extend_from_slice(b"CLOSE\n");
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--cipher", suite, "--trace=json"]);
    let (status, stdout, stderr) = run_with_input(&mut cmd, input, Duration::from_secs(30));
    assert!(status.success(), "glasstls connect failed: {stderr}");
    assert!(
        stderr.contains(&format!("TLSv1.2 {suite} full handshake")),
        "{stderr}"
    );
    assert!(
        decided(
            &events(&stderr),
            "server_key_exchange_verified",
            &[("scheme", "ed25519")]
        ),
        "no Ed25519 signature in the trace: {stderr}"
    );
    assert!(stdout == reversed_lines(&data), "the data came back wrong");

    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ed25519.pem"),
        "--key",
        &pki.path("ed25519.key"),
        "--echo",
    ]);
    let mut client = Command::new("openssl");
    client.args([
        "s_client", "-connect", &addr, "-tls1_2", "-sigalgs", "ed25519",
    ]);
    client.args(["-CAfile", &pki.path("ca.pem"), "-servername", "localhost"]);
    client.args(["-verify_return_error", "-quiet"]);
    let (echoed, client_err) = echo_through(client, &data);
    assert!(
        echoed == data,
        "echo differs; s_client said: {client_err}\nserver said: {}",
        server.stderr()
    );
}
