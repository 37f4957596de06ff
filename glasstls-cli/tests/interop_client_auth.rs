//! Mutual TLS from the command line, both versions, against OpenSSL and GnuTLS both ways:
//! `connect --cert/--key` to `openssl s_server -Verify` and `gnutls-serv
//! --require-client-cert`, and `openssl s_client -cert/-key` and `gnutls-cli
//! --x509certfile/--x509keyfile` to `serve --client-ca [--client-auth optional|required]`.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VERSIONS: [(&str, &str); 2] = [
    ("-tls1_2", "NORMAL:-VERS-ALL:+VERS-TLS1.2"),
    ("-tls1_3", "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
];

/// `openssl s_server -Verify 1 -CAfile ca.pem -www`: a client certificate required.
fn verifying_openssl_server(pki: &Pki, version: &str) -> (Peer, u16) {
    ecdsa_openssl_server(
        pki,
        &[
            "-Verify",
            "1",
            "-CAfile",
            &pki.path("ca.pem"),
            "-www",
            version,
        ],
    )
}

/// `glasstls connect --cert client.pem --key client.key` asking for `/`.
fn connect_with_certificate(pki: &Pki, port: u16) -> (std::process::ExitStatus, Vec<u8>, String) {
    run_with_input(
        glasstls_connect(pki, port).args([
            "--cert",
            &pki.path("client.pem"),
            "--key",
            &pki.path("client.key"),
        ]),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    )
}

#[test]
fn connect_presents_its_certificate_to_openssl_s_server_verify() {
    for (version, _) in VERSIONS {
        let pki = Pki::new();
        let (server, port) = verifying_openssl_server(&pki, version);
        let (status, stdout, stderr) = connect_with_certificate(&pki, port);
        assert!(status.success(), "{version}: {stderr}");
        assert!(String::from_utf8_lossy(&stdout).contains("HTTP/1.0 200"));
        assert!(
            stderr.contains("client certificate sent"),
            "{version}: {stderr}"
        );
        let seen = server.stderr_when(|e| e.contains("CN = glasstls test client"));
        assert!(
            seen.contains("CN = glasstls test client") && seen.contains("verify return:1"),
            "{version}: s_server did not verify our certificate: {seen}"
        );
    }
}

/// Without `--cert`, a server that requires one refuses the client, and `connect` says which
/// alert it got: certificate_required in TLS 1.3 (RFC 8446 §4.4.2.4), handshake_failure in
/// TLS 1.2.
#[test]
fn connect_without_a_certificate_is_refused_by_a_server_that_requires_one() {
    for (version, alert) in [
        ("-tls1_2", "handshake_failure"),
        ("-tls1_3", "certificate_required"),
    ] {
        let pki = Pki::new();
        let (_server, port) = verifying_openssl_server(&pki, version);
        let (status, _, stderr) = run_with_input(
            &mut glasstls_connect(&pki, port),
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            Duration::from_secs(30),
        );
        assert!(!status.success(), "{version}: {stderr}");
        assert!(stderr.contains(alert), "{version}: {stderr}");
    }
}

/// `serve --client-ca` (and `--client-auth` as given) on free port; its address.
fn serve_with_client_ca(pki: &Pki, mode: &str) -> (Peer, String) {
    ecdsa_server(
        pki,
        &["--client-ca", &pki.path("ca.pem"), "--client-auth", mode],
    )
}

/// `openssl s_client` asking `addr` for /text, with `extra` flags; (success, its output).
fn s_client_text(pki: &Pki, addr: &str, extra: &[&str]) -> (bool, String) {
    let mut cmd = s_client_localhost(pki, addr);
    cmd.args(extra);
    let (status, stdout, stderr) = run_with_input(
        &mut cmd,
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    (
        status.success(),
        format!("{}\n{stderr}", String::from_utf8_lossy(&stdout)),
    )
}

#[test]
fn openssl_s_client_certificate_is_verified_by_serve_client_ca() {
    for (version, _) in VERSIONS {
        let pki = Pki::new();
        let (_server, addr) = serve_with_client_ca(&pki, "required");
        let (ok, out) = s_client_text(
            &pki,
            &addr,
            &[
                "-cert",
                &pki.path("client.pem"),
                "-key",
                &pki.path("client.key"),
                version,
            ],
        );
        assert!(ok, "{version}: {out}");
        assert!(
            out.contains("client certificate: CN=glasstls test client"),
            "{version}: {out}"
        );
    }
}

/// Required: a client without a certificate gets no page. Optional: it gets one, which says
/// it sent none.
#[test]
fn serve_client_auth_required_refuses_and_optional_serves_a_client_without_one() {
    for (version, _) in VERSIONS {
        let pki = Pki::new();
        let (_server, addr) = serve_with_client_ca(&pki, "required");
        let (_, out) = s_client_text(&pki, &addr, &[version]);
        assert!(!out.contains("HTTP/1.0 200"), "{version}: {out}");
        let alert = match version {
            "-tls1_3" => "certificate required",
            _ => "handshake failure",
        };
        assert!(out.contains(alert), "{version}: {out}");

        let (_server, addr) = serve_with_client_ca(&pki, "optional");
        let (ok, out) = s_client_text(&pki, &addr, &[version]);
        assert!(ok, "{version}: {out}");
        assert!(
            out.contains("client certificate: (none)"),
            "{version}: {out}"
        );
    }
}

/// `gnutls-serv --require-client-cert --verify-client-cert --http` with the test CA.
fn gnutls_verifying_server(pki: &Pki, priority: &str) -> (Peer, u16) {
    let port = free_port();
    let child = Command::new("gnutls-serv")
        .args(["--http", "-p", &port.to_string(), "--priority", priority])
        .args(["--x509certfile", &pki.path("ecdsa.pem")])
        .args(["--x509keyfile", &pki.path("ecdsa.key")])
        .args(["--x509cafile", &pki.path("ca.pem")])
        .args(["--require-client-cert", "--verify-client-cert"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-serv must be installed (Debian's gnutls-bin)");
    let peer = Peer {
        child,
        stderr_lines: Default::default(),
        stdout_lines: Default::default(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "gnutls-serv did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (peer, port)
}

#[test]
fn connect_presents_its_certificate_to_gnutls_serv() {
    for (_, priority) in VERSIONS {
        let pki = Pki::new();
        let (_server, port) = gnutls_verifying_server(&pki, priority);
        let (status, stdout, stderr) = connect_with_certificate(&pki, port);
        let page = String::from_utf8_lossy(&stdout);
        assert!(status.success(), "{priority}: {stderr}");
        assert!(
            stderr.contains("client certificate sent"),
            "{priority}: {stderr}"
        );
        // gnutls-serv's page describes the peer's certificate it verified.
        assert!(page.contains("glasstls test client"), "{priority}: {page}");
    }
}

#[test]
fn gnutls_cli_certificate_is_verified_by_serve_client_ca() {
    for (_, priority) in VERSIONS {
        let pki = Pki::new();
        let (_server, addr) = serve_with_client_ca(&pki, "required");
        let port = addr.rsplit_once(':').unwrap().1;
        let (status, stdout, stderr) = run_with_input(
            Command::new("gnutls-cli")
                .args(["--x509cafile", &pki.path("ca.pem"), "-p", port, "localhost"])
                .args(["--priority", priority])
                .args(["--x509certfile", &pki.path("client.pem")])
                .args(["--x509keyfile", &pki.path("client.key")]),
            b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
            Duration::from_secs(30),
        );
        let page = String::from_utf8_lossy(&stdout);
        assert!(status.success(), "{priority}: {stderr}\n{page}");
        assert!(
            page.contains("client certificate: CN=glasstls test client"),
            "{priority}: {page}"
        );
    }
}
