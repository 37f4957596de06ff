//! Headless Chromium (Debian's `chromium`, installed by scripts/test.sh) loads a page from
//! `glasstls serve` over TLS 1.3 with X25519MLKEM768, and the page's script moves 1 MiB through
//! `POST /echo` and back. Certificate checks are off in the browser here (a throw-away CA);
//! verification is tested against the other peers.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn chromium_loads_the_page_over_tls13_with_x25519mlkem768_and_echoes_a_megabyte() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Chromium is needed for this test: run scripts/test.sh, which installs Debian's chromium");
    let pki = Pki::new();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--trace",
    ]);
    let port = addr.rsplit_once(':').unwrap().1;
    let profile = pki.dir.join("chromium-profile");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
    ])
    .args([
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args([
        "--ignore-certificate-errors",
        "--virtual-time-budget=20000",
        "--dump-dom",
    ])
    .arg(format!("https://localhost:{port}/selftest"));
    let (status, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(120));
    let dom = String::from_utf8_lossy(&stdout);
    assert!(status.success(), "chromium failed: {stderr}");
    assert!(
        dom.contains(r#"<td id="version">TLSv1.3</td>"#),
        "{dom}\n{}",
        server.stderr()
    );
    assert!(
        dom.contains(r#"<td id="key-exchange-group">X25519MLKEM768</td>"#),
        "{dom}"
    );
    assert!(
        dom.contains("ECHO OK 1048576"),
        "the megabyte did not come back intact: {dom}"
    );
}
