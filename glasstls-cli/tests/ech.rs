//! `glasstls ech keygen` and `serve --ech-key`, with rustls's ECH client (a dev-dependency)
//! over TCP: the key file works, ECH is accepted, and the page says so.

mod common;

use common::*;
use glasstls_test::pki::KeyKind;
use rustls::client::{EchConfig, EchMode, EchStatus};
use rustls::crypto::aws_lc_rs as provider;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn serve_with_an_ech_key_accepts_rustls_ech() {
    let pki = Pki::new();
    let key_file = pki.dir.join("ech.pem");
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS)
            .args(["ech", "keygen", "--public-name", "public.example", "--out"])
            .arg(&key_file),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let base64 = String::from_utf8_lossy(&stdout).trim().to_string();
    let list = glasstls::ech::unbase64(&base64).expect("keygen prints base64");
    let public = pki
        .ca
        .issue(&["public.example"], KeyKind::EcdsaP256)
        .unwrap();
    let (cert, key) = public.write(&pki.dir, "public").unwrap();
    let sni = format!("public.example={},{}", cert.display(), key.display());
    let (_server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--sni",
        &sni,
        "--ech-key",
        key_file.to_str().unwrap(),
    ]);
    let ech = EchConfig::new(list.into(), provider::hpke::ALL_SUPPORTED_SUITES).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_ech(EchMode::Enable(ech))
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /text HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut page = String::new();
    let _ = tls.read_to_string(&mut page);
    assert_eq!(tls.conn.ech_status(), EchStatus::Accepted);
    assert!(page.contains("server name (SNI): localhost"), "{page}");
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
}
