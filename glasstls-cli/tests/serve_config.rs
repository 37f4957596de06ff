//! `glasstls serve` refuses, at startup and naming the files, configurations that would fail
//! every handshake: a key that is not the certificate's, a key file that holds something else
//! (a certificate, a CSR, an encrypted key), an identity no enabled suite can use.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

/// `glasstls serve` with `args`; it must exit (not listen) with an error: its stderr.
fn refused(args: &[&str]) -> String {
    let (status, _, stderr) = run_with_input(
        Command::new(GLASSTLS)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args),
        Vec::new(),
        Duration::from_secs(20),
    );
    assert!(!status.success(), "serve started: {stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
    stderr
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_naming_both_files() {
    let pki = Pki::new();
    let (cert, key) = (pki.path("ecdsa.pem"), pki.path("rsa.key"));
    let stderr = refused(&["--cert", &cert, "--key", &key]);
    assert!(
        stderr.contains(&cert) && stderr.contains(&key) && stderr.contains("does not belong"),
        "{stderr}"
    );
}

#[test]
fn a_key_file_holding_something_else_says_what_it_holds() {
    let pki = Pki::new();
    let cert = pki.path("ecdsa.pem");
    // A certificate where the key should be.
    let stderr = refused(&["--cert", &cert, "--key", &cert]);
    assert!(
        stderr.contains("it holds CERTIFICATE, not a private key"),
        "{stderr}"
    );

    // A certificate signing request.
    let csr = pki.path("request.csr");
    let (status, _, err) = run_with_input(
        Command::new("openssl").args([
            "req",
            "-new",
            "-key",
            &pki.path("ecdsa.key"),
            "-subj",
            "/CN=localhost",
            "-out",
            &csr,
        ]),
        Vec::new(),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{err}");
    let stderr = refused(&["--cert", &cert, "--key", &csr]);
    assert!(
        stderr.contains("CERTIFICATE REQUEST, not a private key"),
        "{stderr}"
    );

    // An encrypted key.
    let encrypted = pki.path("encrypted.key");
    let (status, _, err) = run_with_input(
        Command::new("openssl").args([
            "pkey",
            "-in",
            &pki.path("ecdsa.key"),
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            &encrypted,
        ]),
        Vec::new(),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{err}");
    let stderr = refused(&["--cert", &cert, "--key", &encrypted]);
    assert!(
        stderr.contains("encrypted private key: decrypt it first"),
        "{stderr}"
    );
}

#[test]
fn an_identity_no_enabled_suite_can_use_is_refused() {
    let pki = Pki::new();
    let stderr = refused(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--tls12",
        "--cipher",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ]);
    assert!(
        stderr.contains("no enabled cipher suite can use an ECDSA certificate"),
        "{stderr}"
    );
}
