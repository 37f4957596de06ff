//! Keying material exporters (RFC 5705 for TLS 1.2, RFC 8446 §7.5 for TLS 1.3) against OpenSSL:
//! `openssl s_server`/`s_client -keymatexport LABEL -keymatexportlen N` print what they export,
//! and glasstls, on the other end of the same connection, must export the same bytes.

mod common;

use common::*;
use glasstls::{Connection, Version};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LABEL: &str = "EXPERIMENTAL-glasstls-interop";
const LEN: usize = 48;

/// The hex after "Keying material: " in OpenSSL's connection summary, once it is printed.
fn openssl_material(output: impl Fn() -> String) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = output();
        if let Some(hex) = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Keying material: "))
        {
            return hex.trim().to_ascii_lowercase();
        }
        assert!(
            Instant::now() < deadline,
            "OpenSSL printed no keying material:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ours(conn: &Connection) -> String {
    let mut out = [0u8; LEN];
    conn.export_keying_material(&mut out, LABEL.as_bytes(), None)
        .expect("an established connection with the extended master secret exports");
    out.iter().map(|b| format!("{b:02x}")).collect()
}

fn glasstls_client_exports_what_openssl_s_server_exports(version: Version, flag: &str) {
    let pki = Pki::new();
    let len = LEN.to_string();
    let (server, port) = openssl_server(&[
        flag,
        "-cert",
        &pki.path("ecdsa.pem"),
        "-key",
        &pki.path("ecdsa.key"),
        "-keymatexport",
        LABEL,
        "-keymatexportlen",
        &len,
    ]);
    let mut config = pki.client_config();
    config.common.versions = vec![version];
    let mut stream = tls_client(Arc::new(config), ("127.0.0.1", port)).unwrap();
    stream.handshake().unwrap();
    assert_eq!(stream.conn().info().version, Some(version));
    // OpenSSL prints its summary once it has read our Finished; a byte makes sure it has.
    std::io::Write::write_all(&mut stream, b"x\n").unwrap();
    let theirs = openssl_material(|| server.stdout());
    assert_eq!(ours(stream.conn()), theirs);
    // Another label gives other material (the comparison above is not of two constants).
    let mut other = [0u8; LEN];
    stream
        .conn()
        .export_keying_material(&mut other, b"EXPERIMENTAL-other", None)
        .unwrap();
    assert_ne!(
        other.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        theirs
    );
}

fn openssl_s_client_exports_what_glasstls_server_exports(version: Version, flag: &str) {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = pki.server_config();
    config.common.versions = vec![version];
    let config = Arc::new(config);
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut stream = glasstls::Stream::new(Connection::server(config).unwrap(), tcp);
        stream.handshake().unwrap();
        ours(stream.conn())
    });
    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), flag])
        .args(["-servername", "localhost", "-CAfile", &pki.path("ca.pem")])
        .args(["-keymatexport", LABEL, "-keymatexportlen", &LEN.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the openssl binary must be installed");
    let stdout = client.stdout.take().unwrap();
    let lines = Arc::new(std::sync::Mutex::new(String::new()));
    {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let mut text = lines.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
    }
    let theirs = openssl_material(|| lines.lock().unwrap().clone());
    let _ = client.kill();
    let _ = client.wait();
    assert_eq!(server.join().unwrap(), theirs);
}

#[test]
fn tls12_client_exporter_matches_openssl_s_server() {
    glasstls_client_exports_what_openssl_s_server_exports(Version::Tls12, "-tls1_2");
}

#[test]
fn tls13_client_exporter_matches_openssl_s_server() {
    glasstls_client_exports_what_openssl_s_server_exports(Version::Tls13, "-tls1_3");
}

#[test]
fn tls12_server_exporter_matches_openssl_s_client() {
    openssl_s_client_exports_what_glasstls_server_exports(Version::Tls12, "-tls1_2");
}

#[test]
fn tls13_server_exporter_matches_openssl_s_client() {
    openssl_s_client_exports_what_glasstls_server_exports(Version::Tls13, "-tls1_3");
}
