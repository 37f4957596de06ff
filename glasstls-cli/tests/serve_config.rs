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

/// `serve --config FILE`: identities per name, ALPN and limits from TOML; a flag given as well
/// overrides the file; an unknown key is an error that names it.
#[test]
fn serve_reads_a_config_file_and_flags_override_it() {
    let pki = Pki::new();
    let shop = pki
        .ca
        .issue(&["shop.example"], glasstls_test::pki::KeyKind::EcdsaP256)
        .unwrap();
    let (shop_cert, shop_key) = shop.write(&pki.dir, "shop").unwrap();
    let file = pki.dir.join("serve.toml");
    std::fs::write(
        &file,
        format!(
            "versions = [\"TLSv1.3\"]\nalpn = [\"http/1.1\"]\nmax_connections = 8\n\n\
             [[identity]]\ncert = \"ecdsa.pem\"\nkey = \"ecdsa.key\"\n\n\
             [[sni]]\nname = \"shop.example\"\ncert = \"{}\"\nkey = \"{}\"\n",
            shop_cert.display(),
            shop_key.display()
        ),
    )
    .unwrap();
    let (_server, addr) = glasstls_server(&["--config", file.to_str().unwrap()]);
    let port = addr.rsplit_once(':').unwrap().1;
    let page = page_of(&pki, port, "localhost", &["--alpn", "http/1.1"]);
    assert!(
        page.contains("version: TLSv1.3") && page.contains("ALPN: http/1.1"),
        "{page}"
    );
    let page = page_of(&pki, port, "shop.example", &[]);
    assert!(page.contains("server name (SNI): shop.example"), "{page}");
    // The flag wins over the file: TLS 1.2 on the command line.
    let (_server, addr) = glasstls_server(&["--config", file.to_str().unwrap(), "--tls12"]);
    let port = addr.rsplit_once(':').unwrap().1;
    assert!(page_of(&pki, port, "localhost", &[]).contains("version: TLSv1.2"));
    // A typo is an error naming the key.
    let bad = pki.dir.join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:0\"\nmax_conections = 8\n").unwrap();
    let stderr = refused(&["--config", bad.to_str().unwrap()]);
    assert!(
        stderr.contains("unknown field `max_conections`"),
        "{stderr}"
    );
}

/// `glasstls connect` for `name` to `port` asking for /text: the page.
fn page_of(pki: &Pki, port: &str, name: &str, extra: &[&str]) -> String {
    let (status, stdout, stderr) = run_with_input(
        connect_to(port, name)
            .args(["--cafile", &pki.path("ca.pem")])
            .args(extra),
        b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{name}: {stderr}");
    String::from_utf8_lossy(&stdout).into_owned()
}
