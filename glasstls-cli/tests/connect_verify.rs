//! `glasstls connect` and certificates, as a user meets them: a self-signed certificate given
//! with `--cafile` is trusted for itself (as curl and `openssl s_client -CAfile` do), a
//! refusal reads as a sentence and never as a library's enum name, `--insecure` connects
//! anyway and says what verification would have said, and `--showcerts` prints the chain,
//! also when verification failed.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

/// A self-signed certificate for localhost as `openssl req -x509` makes it (basicConstraints
/// cA:TRUE, as OpenSSL's default configuration adds), and its key: (cert, key) paths.
fn openssl_self_signed(pki: &Pki, name: &str) -> (String, String) {
    let (cert, key) = (
        pki.path(&format!("{name}.pem")),
        pki.path(&format!("{name}.key")),
    );
    let (status, _, stderr) = run_with_input(
        Command::new("openssl").args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &cert,
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
            "-addext",
            "subjectAltName=DNS:localhost",
        ]),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    (cert, key)
}

/// `openssl s_server -www` with this certificate; its port.
fn server_with(cert: &str, key: &str) -> (Peer, u16) {
    openssl_server(&["-cert", cert, "-key", key, "-www"])
}

/// `glasstls connect 127.0.0.1:PORT --servername localhost` with `args`, asking for `/`.
fn connect(port: u16, args: &[&str]) -> (bool, String, String) {
    let (status, stdout, stderr) = run_with_input(
        connect_to(port, "localhost").args(args),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    )
}

#[test]
fn a_self_signed_certificate_given_with_cafile_is_trusted_for_itself() {
    let pki = Pki::new();
    let (cert, key) = openssl_self_signed(&pki, "self");
    let (_server, port) = server_with(&cert, &key);
    let (ok, page, stderr) = connect(port, &["--cafile", &cert]);
    assert!(ok, "{stderr}");
    assert!(page.starts_with("HTTP/1.0 200"), "{page}");
}

#[test]
fn refusals_read_as_sentences_not_enum_names() {
    let pki = Pki::new();
    let (cert, key) = openssl_self_signed(&pki, "self");
    let (other, _) = openssl_self_signed(&pki, "other");
    let (_server, port) = server_with(&cert, &key);
    // Another self-signed certificate is trusted: this one is not.
    let (ok, _, stderr) = connect(port, &["--cafile", &other]);
    assert!(!ok);
    assert!(stderr.contains("self-signed"), "{stderr}");
    // A CA certificate (signed by a trusted CA) used as the server's own.
    let ca_leaf = pki
        .ca
        .issue_ca_for(&["localhost"], glasstls_test::pki::KeyKind::EcdsaP256)
        .unwrap();
    let (leaf_cert, leaf_key) = ca_leaf.write(&pki.dir, "ca-leaf").unwrap();
    let (_server, port) = server_with(leaf_cert.to_str().unwrap(), leaf_key.to_str().unwrap());
    let (ok, _, stderr) = connect(port, &["--cafile", &pki.path("ca.pem")]);
    assert!(!ok);
    assert!(stderr.contains("is a CA certificate"), "{stderr}");
    for raw in ["CaUsedAsEndEntity", "UnknownIssuer", "BadDer", "Error::"] {
        assert!(!stderr.contains(raw), "a raw enum name: {stderr}");
    }
}

#[test]
fn insecure_connects_and_says_what_verification_would_have_said() {
    let pki = Pki::new();
    let (cert, key) = openssl_self_signed(&pki, "self");
    let (_server, port) = server_with(&cert, &key);
    let (ok, page, stderr) = connect(port, &["--cafile", &pki.path("ca.pem"), "--insecure"]);
    assert!(ok, "{stderr}");
    assert!(page.starts_with("HTTP/1.0 200"), "{page}");
    assert!(
        stderr.contains("warning: --insecure") && stderr.contains("would have refused it"),
        "{stderr}"
    );
    assert!(stderr.contains("self-signed"), "{stderr}");
}

#[test]
fn showcerts_prints_the_chain_even_when_verification_fails() {
    let pki = Pki::new();
    let (cert, key) = openssl_self_signed(&pki, "self");
    let (_server, port) = server_with(&cert, &key);
    let (ok, _, stderr) = connect(port, &["--cafile", &pki.path("ca.pem"), "--showcerts"]);
    assert!(!ok, "an untrusted certificate must fail");
    let pem_start = stderr
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a PEM block");
    let pem_end = stderr.find("-----END CERTIFICATE-----").expect("its end") + 25;
    let shown = &stderr[pem_start..pem_end];
    let on_disk = std::fs::read_to_string(&cert).unwrap();
    let body = |pem: &str| -> String { pem.lines().filter(|l| !l.starts_with("-----")).collect() };
    assert_eq!(
        body(shown),
        body(&on_disk),
        "the chain as the server sent it"
    );
    assert!(stderr.contains("s:CN=localhost"), "{stderr}");
    // And on success, with the chain of the test CA.
    let (_server, port) = server_with(&pki.path("ecdsa.pem"), &pki.path("ecdsa.key"));
    let (ok, _, stderr) = connect(port, &["--cafile", &pki.path("ca.pem"), "--showcerts"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("-----BEGIN CERTIFICATE-----"), "{stderr}");
}

/// Distinguished names show every attribute by name (DC, emailAddress, serialNumber), never a
/// bare `?`, as `--showcerts` prints them.
#[test]
fn distinguished_names_name_every_attribute() {
    let pki = Pki::new();
    let leaf = glasstls_test::pki::self_signed_with_subject(
        &["localhost"],
        &[
            (&[0, 9, 2342, 19200300, 100, 1, 25], "example"),
            (&[2, 5, 4, 3], "localhost"),
            (&[1, 2, 840, 113549, 1, 9, 1], "ops@example.com"),
            (&[2, 5, 4, 5], "42"),
        ],
    )
    .unwrap();
    let (cert, key) = leaf.write(&pki.dir, "dn").unwrap();
    let cert_path = cert.to_string_lossy().into_owned();
    let (_server, port) = server_with(&cert_path, &key.to_string_lossy());
    let (_, _, stderr) = connect(port, &["--cafile", &cert_path, "--showcerts"]);
    assert!(
        stderr
            .contains("s:DC=example, CN=localhost, emailAddress=ops@example.com, serialNumber=42"),
        "{stderr}"
    );
    assert!(!stderr.contains("?="), "{stderr}");
}
