//! `glasstls ech keygen`, `serve --ech-key` and `connect --ech-config` against other stacks'
//! ECH: rustls's client (a dev-dependency), NSS's `tstclnt` and `selfserv` (Debian's
//! libnss3-tools) and BoringSSL (curl_cffi); accepted, and a stale config retried with the
//! server's retry configs. A relay records what crosses the wire, where the real name must
//! never show.

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
    ech_server_with(pki, &["public.example"])
}

/// [`ech_server`], its public name's certificate for `names`.
fn ech_server_with(pki: &Pki, names: &[&str]) -> (Peer, String, String) {
    let (key_file, config) = ech_keygen(pki, "ech.pem");
    let public = pki.ca.issue(names, KeyKind::EcdsaP256).unwrap();
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
    let (ok, page, stderr) = tstclnt(&pki, port, &config);
    assert!(ok, "{stderr}\n{page}");
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

/// An NSS database (in the PKI's directory) trusting the test CA; its `sql:` argument.
fn nss_db(pki: &Pki) -> String {
    let db = pki.dir.join("nssdb");
    let db_arg = format!("sql:{}", db.display());
    if db.exists() {
        return db_arg;
    }
    std::fs::create_dir_all(&db).unwrap();
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
    db_arg
}

/// `tstclnt -N CONFIGS` for localhost against `port`, asking for /text; (success, page, stderr).
fn tstclnt(pki: &Pki, port: &str, configs: &str) -> (bool, String, String) {
    let db_arg = nss_db(pki);
    // tstclnt reads its request from a file: from a pipe it never sends it (NSS 3.87).
    let request = pki.dir.join("request.txt");
    std::fs::write(&request, b"GET /text HTTP/1.0\r\n\r\n").unwrap();
    let child = Command::new("tstclnt")
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
        .args(["-N", configs, "-V", "tls1.3:tls1.3"])
        .stdin(std::fs::File::open(&request).unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_with_timeout(child, Duration::from_secs(30));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A stale config from NSS's client: our server sends its current configs in retry_configs,
/// tstclnt reports them (SSL_ERROR_ECH_RETRY_WITH_ECH, "Received ECH retry_configs"), and a
/// second tstclnt given them is accepted. NSS 3.87's tstclnt checks the rejected handshake's
/// certificate against its `-a` name rather than the public name (RFC 9849 §6.1.7), so here
/// the public name's certificate names localhost too.
#[test]
fn nss_tstclnt_with_a_stale_config_retries_with_our_retry_configs() {
    let pki = Pki::new();
    let (_server, addr, _current) = ech_server_with(&pki, &["public.example", "localhost"]);
    let port = addr.rsplit(':').next().unwrap();
    let stale = glasstls::ech::EchKey::generate("public.example", 9).unwrap();
    let stale = glasstls::ech::base64(&glasstls::ech::config_list(&[stale.config]));
    let (ok, _, stderr) = tstclnt(&pki, port, &stale);
    assert!(!ok, "a stale config cannot be accepted: {stderr}");
    assert!(stderr.contains("SSL_ERROR_ECH_RETRY_WITH_ECH"), "{stderr}");
    let retry = stderr
        .split("Received ECH retry_configs:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("tstclnt printed no retry configs: {stderr}"))
        .to_string();
    let (ok, page, stderr) = tstclnt(&pki, port, &retry);
    assert!(ok, "{stderr}\n{page}");
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
}

/// NSS's `selfserv -X` holding an ECH key. Its key argument is base64 of (u16 length ‖ PKCS #8
/// ‖ ECHConfigList), the PKCS #8 in the EC form with X25519's curve OID
/// 1.3.6.1.4.1.11591.15.1 (what NSS 3.87 reads); its certificate names localhost and the
/// public name. Returns the server, its port, and the ECHConfigList in base64.
fn nss_selfserv(pki: &Pki) -> (Peer, u16, String) {
    let key = glasstls::ech::EchKey::generate("public.example", 5).unwrap();
    let private = key.private_key_pkcs8().unwrap();
    let private = &private[private.len() - 32..];
    let list = glasstls::ech::config_list(std::slice::from_ref(&key.config));
    let der = |tag: u8, body: &[u8]| [&[tag, body.len() as u8][..], body].concat();
    let ec_private_key = der(
        0x30,
        &[
            der(0x02, &[1]),
            der(0x04, private),
            der(
                0xa1,
                &der(0x03, &[&[0][..], &key.config.public_key].concat()),
            ),
        ]
        .concat(),
    );
    let algorithm = der(
        0x30,
        &[
            der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
            der(
                0x06,
                &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01],
            ),
        ]
        .concat(),
    );
    let pkcs8 = der(
        0x30,
        &[der(0x02, &[0]), algorithm, der(0x04, &ec_private_key)].concat(),
    );
    let nss_key = [&(pkcs8.len() as u16).to_be_bytes()[..], &pkcs8, &list].concat();

    let db_arg = nss_db(pki);
    let leaf = pki
        .ca
        .issue(&["localhost", "public.example"], KeyKind::EcdsaP256)
        .unwrap();
    let (cert, key_file) = leaf.write(&pki.dir, "selfserv").unwrap();
    let p12 = pki.dir.join("selfserv.p12");
    let (status, _, stderr) = run_with_input(
        Command::new("openssl")
            .args([
                "pkcs12", "-export", "-name", "selfserv", "-passout", "pass:x",
            ])
            .arg("-inkey")
            .arg(&key_file)
            .arg("-in")
            .arg(&cert)
            .arg("-out")
            .arg(&p12),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let (status, _, stderr) = run_with_input(
        Command::new("pk12util")
            .arg("-i")
            .arg(&p12)
            .args(["-d", &db_arg, "-W", "x"]),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "pk12util: {stderr}");
    let port = free_port();
    let child = Command::new("selfserv")
        .args(["-p", &port.to_string(), "-d", &db_arg, "-n", "selfserv"])
        .args(["-V", "tls1.3:tls1.3", "-X"])
        .arg(glasstls::ech::base64(&nss_key))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("selfserv (libnss3-tools) must be installed");
    let peer = Peer {
        child,
        stderr_lines: Default::default(),
        stdout_lines: Default::default(),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "selfserv did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (peer, port, glasstls::ech::base64(&list))
}

/// `glasstls connect --ech-config` → NSS's `selfserv -X`: NSS accepts (its ServerHello random
/// carries the confirmation our client checks) and the connection line says so.
#[test]
fn connect_with_ech_to_nss_selfserv_is_accepted() {
    let pki = Pki::new();
    let (_server, port, config) = nss_selfserv(&pki);
    let (status, stdout, stderr) = run_with_input(
        glasstls_connect(&pki, port).args(["--ech-config", &config]),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("encrypted client hello accepted"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&stdout).starts_with("HTTP/1.0 200"));
}

/// A stale config to NSS: selfserv rejects it and sends its own; `connect` says so, retries
/// once with them, and is accepted.
#[test]
fn connect_with_a_stale_config_to_nss_selfserv_retries_and_is_accepted() {
    let pki = Pki::new();
    let (_server, port, _config) = nss_selfserv(&pki);
    let stale = glasstls::ech::EchKey::generate("public.example", 5).unwrap();
    let stale = glasstls::ech::base64(&glasstls::ech::config_list(&[stale.config]));
    let (status, _, stderr) = run_with_input(
        glasstls_connect(&pki, port).args(["--ech-config", &stale]),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("retrying once with them"), "{stderr}");
    assert!(
        stderr.contains("encrypted client hello accepted"),
        "{stderr}"
    );
}

/// Our client and our server through a relay that records every byte both ways: with ECH the
/// real name (which the server's page echoes, and its certificate names) never crosses in
/// clear; the public name does. Without ECH the same capture shows the name, as the note
/// warns. A stale config (a key file the server no longer holds) is retried and accepted.
#[test]
fn the_real_name_crosses_the_wire_only_encrypted() {
    let pki = Pki::new();
    let (_server, addr, config) = ech_server(&pki);
    let capture = |args: &[&str]| {
        let (port, recorded) = relay(&addr);
        let (status, stdout, stderr) = run_with_input(
            glasstls_connect(&pki, port).args(args),
            b"GET /text HTTP/1.0\r\n\r\n".to_vec(),
            Duration::from_secs(30),
        );
        assert!(status.success(), "{stderr}");
        let page = String::from_utf8_lossy(&stdout).into_owned();
        assert!(page.contains("server name (SNI): localhost"), "{page}");
        (recorded(), page, stderr)
    };
    let shows = |bytes: &[u8], name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());

    let (wire, page, _) = capture(&["--ech-config", &config]);
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
    assert!(!shows(&wire, "localhost"), "the real name crossed in clear");
    assert!(shows(&wire, "public.example"));

    let (wire, _, _) = capture(&["--no-ech-grease"]);
    assert!(
        shows(&wire, "localhost"),
        "plain SNI is readable on the wire"
    );

    let stale = glasstls::ech::EchKey::generate("public.example", 0).unwrap();
    let stale = glasstls::ech::base64(&glasstls::ech::config_list(&[stale.config]));
    let (wire, page, stderr) = capture(&["--ech-config", &stale]);
    assert!(stderr.contains("retrying once with them"), "{stderr}");
    assert!(page.contains("encrypted client hello: accepted"), "{page}");
    assert!(!shows(&wire, "localhost"), "the real name crossed in clear");
}

/// A TCP relay to `to` on a free port, for one connection at a time; the second value returns
/// every byte it moved, both ways, so far.
fn relay(to: &str) -> (u16, impl Fn() -> Vec<u8>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
    let to = to.to_string();
    {
        let recorded = Arc::clone(&recorded);
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(server) = std::net::TcpStream::connect(&to) else {
                    return;
                };
                let pipe = |mut from: std::net::TcpStream, mut into: std::net::TcpStream| {
                    let recorded = Arc::clone(&recorded);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || into.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            recorded.lock().unwrap().extend_from_slice(&buf[..n]);
                        }
                        let _ = into.shutdown(std::net::Shutdown::Write);
                    })
                };
                let a = pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                let b = pipe(server, client);
                let _ = (a.join(), b.join());
            }
        });
    }
    (port, move || recorded.lock().unwrap().clone())
}
