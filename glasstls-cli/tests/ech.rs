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

/// `glasstls ech keygen --public-name public.example --out FILE`, then `serve --ech-key FILE`
/// holding certificates for localhost and the public name. Returns the server, its address and
/// the ECHConfigList keygen printed (base64).
fn ech_server(pki: &Pki) -> (Peer, String, String) {
    let key_file = pki.dir.join("ech.pem");
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS)
            .args(["ech", "keygen", "--public-name", "public.example", "--out"])
            .arg(&key_file),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let config = String::from_utf8_lossy(&stdout).trim().to_string();
    let public = pki
        .ca
        .issue(&["public.example"], KeyKind::EcdsaP256)
        .unwrap();
    let (cert, key) = public.write(&pki.dir, "public").unwrap();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--sni",
        &format!("public.example={},{}", cert.display(), key.display()),
        "--ech-key",
        key_file.to_str().unwrap(),
        "--trace=json",
    ]);
    (server, addr, config)
}

#[test]
fn serve_with_an_ech_key_accepts_rustls_ech() {
    let pki = Pki::new();
    let (server, addr, config) = ech_server(&pki);
    let list = glasstls::ech::unbase64(&config).expect("keygen prints base64");
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
    // The trace says what the wire showed and what the server read.
    let accepted = |t: &str| {
        decided(
            &events(t),
            "ech_accepted",
            &[
                ("public_name", "public.example"),
                ("server_name", "localhost"),
            ],
        )
    };
    assert!(accepted(&server.stderr_when(accepted)));
}

/// NSS's `tstclnt -N` (Debian's libnss3-tools, installed by scripts/test.sh) sends ECH with our
/// ECHConfigList to `serve --ech-key`: the page it gets back says ECH was accepted and names
/// the real host, which crossed the wire only encrypted.
#[test]
fn nss_tstclnt_ech_is_accepted() {
    let pki = Pki::new();
    let (_server, addr, config) = ech_server(&pki);
    let port = addr.rsplit(':').next().unwrap();
    // An NSS database trusting the test CA.
    let db = pki.dir.join("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    let db_arg = format!("sql:{}", db.display());
    for args in [
        vec!["-N", "-d", &db_arg, "--empty-password"],
        vec![
            "-A",
            "-d",
            &db_arg,
            "-n",
            "ca",
            "-t",
            "C,,",
            "-i",
            &pki.path("ca.pem"),
        ],
    ] {
        let (status, _, stderr) = run_with_input(
            Command::new("certutil").args(&args),
            Vec::new(),
            Duration::from_secs(30),
        );
        assert!(status.success(), "certutil {args:?}: {stderr}");
    }
    // tstclnt reads its request from a file: from a pipe it never sends it (NSS 3.87).
    let request = pki.dir.join("request.txt");
    std::fs::write(&request, b"GET /text HTTP/1.0\r\n\r\n").unwrap();
    let mut tstclnt = Command::new("tstclnt");
    tstclnt
        .args([
            "-h",
            "127.0.0.1",
            "-a",
            "localhost",
            "-p",
            port,
            "-d",
            &db_arg,
        ])
        .args(["-N", &config, "-V", "tls1.3:tls1.3"])
        .stdin(std::fs::File::open(&request).unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = tstclnt.spawn().unwrap();
    let output = wait_with_timeout(child, Duration::from_secs(30));
    let (status, stdout, stderr) = (
        output.status,
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    let page = String::from_utf8_lossy(&stdout);
    assert!(status.success(), "{stderr}\n{page}");
    assert!(page.contains("server name (SNI): localhost"), "{page}");
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
}

/// A BoringSSL client: curl_cffi (PyPI; libcurl on BoringSSL, installed into target/pyenv by
/// scripts/test.sh) with `CurlOpt.ECH = "ecl:<base64>"` → `serve --ech-key`: accepted.
#[test]
fn boringssl_curl_cffi_ech_is_accepted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../target/pyenv/bin/python");
    assert!(
        python.exists(),
        "curl_cffi is needed for this test: run scripts/test.sh, which installs it into target/pyenv"
    );
    let pki = Pki::new();
    let (_server, addr, config) = ech_server(&pki);
    let port = addr.rsplit(':').next().unwrap();
    let (status, stdout, stderr) = run_with_input(
        Command::new(python)
            .arg(root.join("tests/ech_curl_cffi.py"))
            .args([port, &pki.path("ca.pem"), &config]),
        Vec::new(),
        Duration::from_secs(60),
    );
    let page = String::from_utf8_lossy(&stdout);
    assert!(status.success(), "{stderr}\n{page}");
    assert!(page.contains("server name (SNI): localhost"), "{page}");
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
}

/// The child's output, or a panic once `timeout` passes.
fn wait_with_timeout(child: std::process::Child, timeout: Duration) -> std::process::Output {
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("the command did not finish within {timeout:?}");
        }
    }
}
