//! `serve --inspect` shows real clients the ClientHello they sent: curl (OpenSSL underneath)
//! and headless Chromium, each checked for what it is known to send.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn inspector(pki: &Pki) -> (Peer, String) {
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--inspect",
    ]);
    let port = addr.rsplit(':').next().unwrap().to_string();
    (server, port)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn curl_sees_its_own_sni_alpn_and_fingerprints() {
    let pki = Pki::new();
    let (_server, port) = inspector(&pki);
    let (status, stdout, stderr) = run_with_input(
        &mut curl_localhost(&pki, port, "/json"),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&stdout).expect("/json answers JSON");
    let hello = &report["client_hello"];
    assert_eq!(hello["server_name"], "localhost", "{report}");
    // curl with nghttp2 offers h2 first, then HTTP/1.1.
    assert_eq!(
        hello["alpn"],
        serde_json::json!(["h2", "http/1.1"]),
        "{report}"
    );
    let ja4 = report["ja4"].as_str().unwrap();
    assert!(ja4.starts_with("t13d") && ja4[8..10] == *"h2", "{ja4}");
    assert_eq!(ja4.len(), 36, "{ja4}");
    assert_eq!(report["ja3_hash"].as_str().unwrap().len(), 32);
    // OpenSSL sends no GREASE; the fingerprint's counts are its real lists.
    let extensions = hello["extensions"].as_array().unwrap();
    assert!(extensions.iter().all(|e| e["grease"] == false), "{report}");
    assert_eq!(ja4[6..8], format!("{:02}", extensions.len()), "{ja4}");
    let versions = names(&hello["supported_versions"]);
    assert!(versions.contains(&"TLSv1.3".to_string()), "{versions:?}");
    assert!(report["handshake_us"].as_u64().unwrap() > 0);
}

#[test]
fn chromium_sees_its_grease_and_post_quantum_key_share() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Chromium is needed for this test: run scripts/test.sh, which installs it");
    let pki = Pki::new();
    let (_server, port) = inspector(&pki);
    let profile = pki.dir.join("chromium-inspect");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--ignore-certificate-errors",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        "--dump-dom",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("https://localhost:{port}/"));
    let (status, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "{console:#?}");
    let dom = String::from_utf8_lossy(&stdout);
    // GREASE in its cipher suites, extensions, groups and versions (RFC 8701), marked as such.
    assert!(
        dom.matches(r#"class="chip grease""#).count() >= 4,
        "no GREASE marked: {dom}"
    );
    assert!(
        dom.contains("X25519MLKEM768 (1216 B)"),
        "no hybrid key share: {dom}"
    );
    assert!(dom.contains("<td>t13d"), "no JA4: {dom}");
    assert!(
        dom.contains(">ClientHello</text>"),
        "no sequence diagram: {dom}"
    );
}
