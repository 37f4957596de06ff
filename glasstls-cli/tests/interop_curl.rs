//! `curl --cacert` fetches the handshake page from `glasstls serve` over TLS 1.3 and TLS 1.2,
//! and the page reports what was negotiated.

mod common;

use common::*;
use std::time::Duration;

fn fetch(pki: &Pki, addr: &str, version_flags: &[&str]) -> String {
    let port = addr.rsplit_once(':').unwrap().1;
    let mut cmd = curl_localhost(pki, port, "/text");
    cmd.arg("--fail").args(version_flags);
    let (status, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(30));
    assert!(status.success(), "curl failed: {stderr}");
    String::from_utf8(stdout).unwrap()
}

#[test]
fn curl_fetches_the_page_over_tls13_and_tls12() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--alpn",
        "http/1.1",
    ]);
    let page = fetch(&pki, &addr, &["--tlsv1.3"]);
    assert!(page.contains("version: TLSv1.3"), "{page}");
    assert!(page.contains("server name (SNI): localhost"), "{page}");
    assert!(page.contains("ALPN: http/1.1"), "{page}");
    let page = fetch(&pki, &addr, &["--tlsv1.2", "--tls-max", "1.2"]);
    assert!(page.contains("version: TLSv1.2"), "{page}");
    assert!(
        page.contains("cipher suite: TLS_ECDHE_ECDSA_WITH_"),
        "{page}"
    );
    assert!(page.contains("extended master secret: yes"), "{page}");
}

#[test]
fn curl_moves_a_megabyte_both_ways_over_tls13_and_tls12() {
    let pki = Pki::new();
    let (_server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
    ]);
    let port = addr.rsplit_once(':').unwrap().1;
    let data = hex_lines(5, 16 * 1024);
    let file = pki.dir.join("upload.bin");
    std::fs::write(&file, &data).unwrap();
    for version in [&["--tlsv1.3"][..], &["--tlsv1.2", "--tls-max", "1.2"][..]] {
        let mut cmd = curl_localhost(&pki, port, "/echo");
        cmd.arg("--fail")
            .args(version)
            .args(["--data-binary", &format!("@{}", file.display())]);
        let (status, stdout, stderr) =
            run_with_input(&mut cmd, Vec::new(), Duration::from_secs(60));
        assert!(status.success(), "curl {version:?} failed: {stderr}");
        assert_eq!(stdout.len(), data.len(), "{version:?}");
        assert!(stdout == data, "{version:?}: the echoed megabyte differs");
    }
}
