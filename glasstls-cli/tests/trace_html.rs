//! `--trace-html` and `demo --html`: self-contained pages (nothing fetched) that headless
//! Chromium loads without a console message, with an arrow for every message of the
//! handshake; each is also screenshotted into target/trace-html-screenshots/ for a person to
//! look at.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn chromium() -> &'static str {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Chromium is needed for this test: run scripts/test.sh, which installs it")
}

fn chromium_cmd(profile: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The data a page embeds (its `<script type="application/json" id="data">`).
fn page_data(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="data">"#)
        .expect("the page embeds its data");
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(body).expect("the embedded data is JSON")
}

/// Loads `page` in Chromium: no console message at all, and an arrow with its label for every
/// message, ChangeCipherSpec and alert the page's data holds. Returns the DOM.
fn check_page(page: &Path, profile: &Path) -> String {
    let html = std::fs::read_to_string(page).unwrap();
    // Self-contained: no external script, style, image or font.
    for fetch in ["<script src", "<link", "<img", "@import", "url(http"] {
        assert!(!html.contains(fetch), "{} fetches {fetch}", page.display());
    }
    let dom = load(page, profile);
    let data = page_data(&html);
    let steps = data["steps"].as_array().unwrap();
    let drawn: Vec<&Value> = steps
        .iter()
        .filter(|s| {
            matches!(
                s["kind"].as_str(),
                Some("message" | "change_cipher_spec" | "alert")
            )
        })
        .collect();
    assert!(!drawn.is_empty(), "{}: no message", page.display());
    assert_eq!(
        dom.matches(r#"<g class="arrow"#).count(),
        drawn.len(),
        "{}: one arrow per message",
        page.display()
    );
    for step in drawn {
        if let Some(message) = step["message"].as_str() {
            assert!(
                dom.contains(&format!(">{message}</text>")),
                "{}: no arrow for {message}",
                page.display()
            );
        }
    }
    dom
}

/// The DOM Chromium makes of `page`, which must log nothing to its console.
fn load(page: &Path, profile: &Path) -> String {
    let mut cmd = chromium_cmd(profile);
    cmd.args([
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
    ])
    .arg(format!("file://{}", page.display()));
    let (status, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(120));
    assert!(
        status.success(),
        "chromium failed on {}: {stderr}",
        page.display()
    );
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "{}: {console:#?}", page.display());
    String::from_utf8_lossy(&stdout).into_owned()
}

fn screenshot(page: &Path, profile: &Path, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/trace-html-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(name);
    let mut cmd = chromium_cmd(profile);
    cmd.args(["--window-size=1400,2400", "--virtual-time-budget=5000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()));
    let (status, _, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(120));
    assert!(status.success(), "{}", stderr);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "{}: a blank screenshot ({size} bytes)",
        png.display()
    );
    png
}

#[test]
fn every_demo_scenario_renders_as_a_page_chromium_loads() {
    let pki = Pki::new();
    let dir = pki.dir.join("demo-html");
    for lang in ["en", "ko"] {
        let out = dir.join(lang);
        let (status, _, stderr) = run_with_input(
            Command::new(GLASSTLS)
                .args(["demo", "--reveal-secrets", "--lang", lang, "--html"])
                .arg(&out),
            Vec::new(),
            Duration::from_secs(120),
        );
        assert!(status.success(), "{}", stderr);
        let index = std::fs::read_to_string(out.join("index.html")).unwrap();
        let pages = page_data(&index)["pages"].as_array().unwrap().clone();
        // RSA, ECDHE, session ID (2), ticket (2), TLS 1.3, HelloRetryRequest, TLS 1.3 ticket
        // (2), SNI (2), ECH (plain SNI, ECH, the retry after a stale config).
        assert_eq!(pages.len(), 15, "{index}");
        let profile = pki.dir.join(format!("chromium-{lang}"));
        for page in &pages {
            let file = out.join(page["file"].as_str().unwrap());
            let dom = check_page(&file, &profile);
            assert!(dom.contains("<svg"), "{}: no diagram", file.display());
        }
        let index_dom = load(&out.join("index.html"), &profile);
        assert_eq!(index_dom.matches("<li>").count(), 15, "{index_dom}");
        // The ECH connection's diagram shows the inner hello beside the outer one, marked.
        let ech_dom = load(&out.join("9-2.html"), &profile);
        let inner = match lang {
            "en" => "ClientHello (inner, sealed in the outer hello)",
            _ => "ClientHello (내부, 외부 Client Hello 안에 암호화됨)",
        };
        assert!(
            ech_dom.contains(inner),
            "{lang}: no inner hello in the diagram"
        );
        // The key schedule shows the revealed values.
        let html = std::fs::read_to_string(out.join("1-1.html")).unwrap();
        let data = page_data(&html);
        assert!(
            data["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["secret"] == "extended_master_secret" && s["value"].is_string())
        );
        let korean = data["steps"][0]["explain"]["ko"][0]
            .as_str()
            .unwrap_or_default();
        assert!(korean.contains("클라이언트"), "{korean}");
        for (file, shot) in [
            ("1-1.html", "rsa"),
            ("6-1.html", "hrr"),
            ("7-2.html", "psk"),
            ("9-2.html", "ech"),
        ] {
            screenshot(
                &out.join(file),
                &profile,
                &format!("demo-{shot}-{lang}.png"),
            );
        }
    }
}

/// `connect --trace-html FILE` against OpenSSL, and `serve --trace-html DIR` for curl: a page
/// each, with the handshake each peer really made.
#[test]
fn connect_and_serve_write_pages_of_real_connections() {
    let pki = Pki::new();
    let (mut server, port) = openssl_server(&[
        "-cert",
        &pki.path("ecdsa.pem"),
        "-key",
        &pki.path("ecdsa.key"),
        "-tls1_3",
        "-www",
    ]);
    let page = pki.dir.join("connect.html");
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--lang", "ko", "--trace-html"]).arg(&page);
    let (status, _, stderr) = run_with_input(
        &mut cmd,
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{}", stderr);
    let _ = server.child.kill();
    let dom = check_page(&page, &pki.dir.join("chromium-connect"));
    assert!(dom.contains(">EncryptedExtensions</text>"), "{dom}");
    assert!(page_data(&std::fs::read_to_string(&page).unwrap())["lang"] == "ko");

    let dir = pki.dir.join("serve-pages");
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("rsa.pem"),
        "--key",
        &pki.path("rsa.key"),
        "--trace-html",
        dir.to_str().unwrap(),
    ]);
    let port = addr.rsplit(':').next().unwrap();
    let (status, _, stderr) = run_with_input(
        &mut curl_localhost(&pki, port, "/text"),
        Vec::new(),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{}", stderr);
    let written = dir.join("conn-1.html");
    for _ in 0..100 {
        if written.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = check_page(&written, &pki.dir.join("chromium-serve"));
    assert!(dom.contains(">ClientHello</text>"), "{dom}");
    let data = page_data(&std::fs::read_to_string(&written).unwrap());
    assert_eq!(data["side"], "server");
    drop(server);
}
