//! Interop on loopback against GnuTLS (Debian's gnutls-bin 3.7): the glasstls client against
//! `gnutls-serv --echo` and `gnutls-cli` against `glasstls serve --echo`, for TLS 1.3 and
//! TLS 1.2, every suite both support, and each group; 1 MiB each way per pair, compared.
//! GnuTLS 3.7 has no X25519MLKEM768, so the hybrid is tested against rustls and Chromium.

mod common;

use common::*;
use glasstls::{CipherSuite, NamedGroup};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// 1 MiB, moved in 16 KiB writes.
const TOTAL: usize = 1 << 20;
const CHUNK: usize = 16 * 1024;

/// One pair: our suite name, GnuTLS's names for its version, key exchange and cipher, and
/// the group.
struct Case {
    suite: String,
    version: &'static str,
    kx: Option<&'static str>,
    cipher: &'static str,
    group: (&'static str, &'static str),
    /// Which of the test PKI's leaves the server uses.
    key: &'static str,
}

const X25519: (&str, &str) = ("x25519", "GROUP-X25519");
const P256: (&str, &str) = ("secp256r1", "GROUP-SECP256R1");
const P384: (&str, &str) = ("secp384r1", "GROUP-SECP384R1");

fn tls13_cases() -> Vec<Case> {
    let suites = [
        ("TLS_AES_128_GCM_SHA256", "AES-128-GCM"),
        ("TLS_AES_256_GCM_SHA384", "AES-256-GCM"),
        ("TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305"),
    ];
    let mut cases = Vec::new();
    for (suite, cipher) in suites {
        for group in [X25519, P256, P384] {
            cases.push(Case {
                suite: suite.to_string(),
                version: "VERS-TLS1.3",
                kx: None,
                cipher,
                group,
                key: "ecdsa",
            });
        }
    }
    // RSA-PSS signatures in CertificateVerify.
    cases.push(Case {
        suite: "TLS_AES_128_GCM_SHA256".to_string(),
        version: "VERS-TLS1.3",
        kx: None,
        cipher: "AES-128-GCM",
        group: X25519,
        key: "rsa",
    });
    cases
}

fn tls12_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (auth, kx, key) in [
        ("ECDSA", "ECDHE-ECDSA", "ecdsa"),
        ("RSA", "ECDHE-RSA", "rsa"),
    ] {
        for (cipher_name, cipher) in [
            ("AES_128_GCM_SHA256", "AES-128-GCM"),
            ("AES_256_GCM_SHA384", "AES-256-GCM"),
            ("CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305"),
        ] {
            for group in [X25519, P256, P384] {
                cases.push(Case {
                    suite: format!("TLS_ECDHE_{auth}_WITH_{cipher_name}"),
                    version: "VERS-TLS1.2",
                    kx: Some(kx),
                    cipher,
                    group,
                    key,
                });
            }
        }
    }
    // The note's RSA key exchange; no group is used, any will do for the priority string.
    for (suite, cipher) in [
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM"),
        ("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM"),
    ] {
        cases.push(Case {
            suite: suite.to_string(),
            version: "VERS-TLS1.2",
            kx: Some("RSA"),
            cipher,
            group: X25519,
            key: "rsa",
        });
    }
    cases
}

impl Case {
    fn priority(&self) -> String {
        let kx = self
            .kx
            .map_or(String::new(), |kx| format!(":-KX-ALL:+{kx}"));
        format!(
            "NORMAL:-VERS-ALL:+{}:-CIPHER-ALL:+{}{kx}:-GROUP-ALL:+{}",
            self.version, self.cipher, self.group.1
        )
    }

    fn is_tls13(&self) -> bool {
        self.version == "VERS-TLS1.3"
    }

    fn name(&self) -> String {
        format!("{} {} ({} key)", self.suite, self.group.0, self.key)
    }
}

/// Distinct bytes for each case, so a mix-up between connections cannot pass.
fn payload(seed: u64) -> Vec<u8> {
    let data = hex_lines(seed, TOTAL / 64);
    assert_eq!(data.len(), TOTAL);
    data
}

/// `gnutls-serv --echo` with the case's priority string, once it accepts connections.
fn gnutls_server(pki: &Pki, case: &Case) -> (Peer, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new("gnutls-serv")
            .args(["--echo", "-p", &port.to_string()])
            .args(["--x509certfile", &pki.path(&format!("{}.pem", case.key))])
            .args(["--x509keyfile", &pki.path(&format!("{}.key", case.key))])
            .args(["--priority", &case.priority()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnutls-serv must be installed (Debian's gnutls-bin)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            // gnutls-serv listens on 0.0.0.0 and ::; this probe is one failed handshake to it.
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (
                    Peer {
                        child,
                        stderr_lines: Default::default(),
                        stdout_lines: Default::default(),
                    },
                    port,
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("gnutls-serv did not start");
}

/// The glasstls client against `gnutls-serv --echo`: handshake with exactly the case's
/// suite and group, then 1 MiB in 16 KiB writes, each read back before the next.
fn client_against_gnutls(case: &Case, seed: u64) {
    let pki = Pki::new();
    let (_server, port) = gnutls_server(&pki, case);
    let mut config = client_config(&pki);
    config.common.versions = vec![if case.is_tls13() {
        glasstls::Version::Tls13
    } else {
        glasstls::Version::Tls12
    }];
    let suite = CipherSuite::from_name(&case.suite).unwrap();
    config.common.cipher_suites = vec![suite];
    config.common.rsa_key_exchange = case.kx == Some("RSA");
    let group = NamedGroup::from_name(case.group.0).unwrap();
    config.common.groups = vec![group];
    let mut tls = tls_client(Arc::new(config), ("127.0.0.1", port)).unwrap();
    tls.handshake()
        .unwrap_or_else(|e| panic!("{}: handshake with gnutls-serv failed: {e}", case.name()));
    let info = tls.conn().info();
    assert_eq!(info.cipher_suite, Some(suite), "{}", case.name());
    if case.kx != Some("RSA") {
        assert_eq!(info.group, Some(group), "{}", case.name());
    }
    let data = payload(seed);
    let mut back = vec![0u8; CHUNK];
    for (i, chunk) in data.chunks(CHUNK).enumerate() {
        tls.write_all(chunk).unwrap();
        tls.read_exact(&mut back[..chunk.len()])
            .unwrap_or_else(|e| {
                panic!(
                    "{}: gnutls-serv's echo stopped at chunk {i}: {e}",
                    case.name()
                )
            });
        assert!(
            back[..chunk.len()] == *chunk,
            "{}: chunk {i} came back corrupted",
            case.name()
        );
    }
    tls.close().unwrap();
}

/// `gnutls-cli` with the case's priority string against `glasstls serve --echo` (RSA and
/// ECDSA identities, RSA key exchange enabled): 1 MiB through its standard input, the echo
/// read from its standard output, and the suite and group it reports checked.
///
/// RFC 8422 §5.1: in TLS 1.2 a server "MUST consider" supported_groups for the curve of its
/// ECDSA certificate too (OpenSSL does the same). The server holds P-256 and P-384 ECDSA
/// certificates, so a client limited to P-384 gets the P-384 one; a client limited to x25519
/// has no curve for either, so for ECDSA suites it also offers P-256 (the server still picks
/// x25519 first for the exchange).
fn gnutls_client_against_glasstls(addr: &str, pki: &Pki, case: &Case, seed: u64) {
    let mut priority = case.priority();
    let group = case.group;
    if !case.is_tls13() && case.key == "ecdsa" && case.group == X25519 {
        priority.push_str(":+GROUP-SECP256R1");
    }
    let port = addr.rsplit_once(':').unwrap().1;
    let log = pki.path(&format!("gnutls-cli-{seed}.log"));
    let mut child = Command::new("gnutls-cli")
        .args(["--x509cafile", &pki.path("ca.pem"), "-p", port, "localhost"])
        .args(["--priority", &priority, "--logfile", &log])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-cli must be installed (Debian's gnutls-bin)");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let data = payload(seed);
    let expected = data.clone();
    // gnutls-cli closes the connection when its standard input ends, possibly before the echo
    // is back: keep standard input open until all of it has arrived.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
        let _ = done_rx.recv_timeout(Duration::from_secs(60));
        drop(stdin);
    });
    let (got_tx, got_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut got = Vec::with_capacity(TOTAL);
        let mut buf = vec![0u8; 64 * 1024];
        while got.len() < TOTAL {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = got_tx.send(got);
    });
    let got = got_rx.recv_timeout(Duration::from_secs(60));
    let _ = done_tx.send(());
    let _ = writer.join();
    // Its standard input closed, gnutls-cli says goodbye and exits (flushing its log).
    let deadline = Instant::now() + Duration::from_secs(10);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let got = got.unwrap_or_else(|_| panic!("{}: gnutls-cli timed out\n{report}", case.name()));
    assert_eq!(
        got.len(),
        TOTAL,
        "{}: gnutls-cli got {} bytes back\n{report}",
        case.name(),
        got.len()
    );
    assert!(
        got == expected,
        "{}: the echo came back corrupted",
        case.name()
    );
    // GnuTLS describes the session as, e.g.,
    // "(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)".
    let description = report
        .lines()
        .find(|l| l.contains("- Description:"))
        .unwrap_or_else(|| panic!("{}: no session description\n{report}", case.name()));
    let version = if case.is_tls13() { "TLS1.3" } else { "TLS1.2" };
    assert!(
        description.contains(version),
        "{}: {description}",
        case.name()
    );
    assert!(
        description.contains(&format!("({})", case.cipher)),
        "{}: {description}",
        case.name()
    );
    if case.kx != Some("RSA") {
        let gnutls_group = group.1.trim_start_matches("GROUP-");
        assert!(
            description.contains(&format!("ECDHE-{gnutls_group}")),
            "{}: {description}",
            case.name()
        );
    }
    // A TLS 1.2 client limited to P-384 is served the P-384 certificate, which signs with
    // SHA-384 (GnuTLS names TLS 1.2 signatures without the curve).
    if !case.is_tls13() && case.key == "ecdsa" && case.group == P384 {
        assert!(
            description.contains("(ECDSA-SHA384)"),
            "{}: {description}",
            case.name()
        );
    }
}

/// `glasstls serve --echo` with RSA, ECDSA P-256 and ECDSA P-384 certificates.
fn glasstls_echo_server(pki: &Pki) -> (Peer, String) {
    let p384 = pki
        .ca
        .issue(&["localhost"], glasstls_test::pki::KeyKind::EcdsaP384)
        .unwrap();
    p384.write(&pki.dir, "ecdsa384").unwrap();
    glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--cert",
        &pki.path("ecdsa384.pem"),
        "--key",
        &pki.path("ecdsa384.key"),
        "--rsa-kx",
        "--echo",
    ])
}

#[test]
fn glasstls_client_against_gnutls_serv_tls13() {
    let cases = tls13_cases();
    for (i, case) in cases.iter().enumerate() {
        client_against_gnutls(case, 100 + i as u64);
    }
    assert_eq!(cases.len(), 10);
}

#[test]
fn glasstls_client_against_gnutls_serv_tls12() {
    let cases = tls12_cases();
    for (i, case) in cases.iter().enumerate() {
        client_against_gnutls(case, 200 + i as u64);
    }
    assert_eq!(cases.len(), 20);
}

#[test]
fn gnutls_cli_against_glasstls_serve_tls13() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_echo_server(&pki);
    let cases = tls13_cases();
    for (i, case) in cases.iter().enumerate() {
        gnutls_client_against_glasstls(&addr, &pki, case, 300 + i as u64);
    }
}

#[test]
fn gnutls_cli_against_glasstls_serve_tls12() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_echo_server(&pki);
    let cases = tls12_cases();
    for (i, case) in cases.iter().enumerate() {
        gnutls_client_against_glasstls(&addr, &pki, case, 400 + i as u64);
    }
}

/// A request piped into `gnutls-cli`, which sends close_notify as soon as its standard input
/// ends, usually before the reply: RFC 8446 §6.1 makes that close_notify close the client's
/// write side only, so `serve` still answers (issue 12, item 13; before, TLS 1.3 got no answer
/// in 12 of 12 tries). TLS 1.2 is checked beside it.
#[test]
fn gnutls_cli_gets_the_reply_to_a_request_it_closed_after_sending() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
    ]);
    let port = addr.rsplit_once(':').unwrap().1;
    for version in ["VERS-TLS1.3", "VERS-TLS1.2"] {
        for attempt in 0..5 {
            let mut cmd = Command::new("gnutls-cli");
            cmd.args(["--x509cafile", &pki.path("ca.pem"), "-p", port, "localhost"])
                .args(["--priority", &format!("NORMAL:-VERS-ALL:+{version}")]);
            let request = b"GET /text HTTP/1.0\r\nHost: localhost\r\n\r\n".to_vec();
            let (_, stdout, stderr) = run_with_input(&mut cmd, request, Duration::from_secs(20));
            let reply = String::from_utf8_lossy(&stdout);
            assert!(
                reply.contains("HTTP/1.0 200 OK") && reply.contains("version:"),
                "{version}, attempt {attempt}: no reply\n{reply}\n{stderr}"
            );
        }
    }
}
