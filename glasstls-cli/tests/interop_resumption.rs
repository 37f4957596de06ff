//! Resumption and SNI against the real `openssl` binary, both directions.

mod common;

use common::*;
use glasstls_test::pki::KeyKind;
use std::process::Command;
use std::time::Duration;

/// `openssl s_client -reconnect` prints "New, …" for the first connection and "Reused, …" or
/// "New, …" for each of its five reconnections.
fn s_client_reconnect(addr: &str, pki: &Pki, extra: &[&str]) -> (usize, usize) {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        addr,
        "-tls1_2",
        "-reconnect",
        "-servername",
        "localhost",
    ])
    .args(["-CAfile", &pki.path("ca.pem"), "-verify_return_error"])
    .args(extra);
    let (_, stdout, _) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&stdout);
    let count = |prefix: &str| stdout.lines().filter(|l| l.starts_with(prefix)).count();
    (count("New, TLSv1.2"), count("Reused, TLSv1.2"))
}

fn serve_args(pki: &Pki, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--cert".to_string(),
        pki.path("rsa.pem"),
        "--key".into(),
        pki.path("rsa.key"),
        "--echo".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn openssl_reconnect_resumes_against_glasstls_serve_by_ticket_and_by_session_id() {
    let pki = Pki::new();
    let args = serve_args(&pki, &[]);
    let (server, addr) = glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        s_client_reconnect(&addr, &pki, &[]),
        (1, 5),
        "tickets:\n{}",
        server.stderr()
    );
    assert_eq!(
        s_client_reconnect(&addr, &pki, &["-no_ticket"]),
        (1, 5),
        "session IDs:\n{}",
        server.stderr()
    );
}

#[test]
fn glasstls_serve_resumes_nothing_when_both_mechanisms_are_off() {
    let pki = Pki::new();
    let args = serve_args(&pki, &["--no-session-ids", "--no-tickets"]);
    let (_server, addr) = glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(s_client_reconnect(&addr, &pki, &[]), (6, 0));
}

#[test]
fn glasstls_serve_with_only_session_ids_resumes_ticket_clients_by_id() {
    let pki = Pki::new();
    let args = serve_args(&pki, &["--no-tickets"]);
    let (_server, addr) = glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(s_client_reconnect(&addr, &pki, &[]), (1, 5));
}

/// `glasstls connect --reconnect 5` against `openssl s_server`; returns the connection lines.
fn glasstls_reconnect(pki: &Pki, server_extra: &[&str], client_extra: &[&str]) -> Vec<String> {
    let mut args = vec!["-cert", &pki.path("rsa.pem"), "-key", &pki.path("rsa.key")]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend(["-tls1_2", "-rev", "-naccept", "6"].map(String::from));
    args.extend(server_extra.iter().map(|s| s.to_string()));
    let (_server, port) = openssl_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut cmd = glasstls_connect(pki, port);
    cmd.args(["--reconnect", "5"]).args(client_extra);
    let (status, stdout, stderr) = run_with_input(
        &mut cmd,
        b"olleh\nCLOSE\n".to_vec(),
        Duration::from_secs(60),
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, b"hello\n", "the last connection carries the data");
    stderr
        .lines()
        .filter(|l| l.starts_with("connection "))
        .map(String::from)
        .collect()
}

#[test]
fn glasstls_reconnect_resumes_against_openssl_by_ticket() {
    let pki = Pki::new();
    let lines = glasstls_reconnect(&pki, &[], &[]);
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(
        lines[0].starts_with("connection 1: TLSv1.2 TLS_ECDHE_RSA_")
            && lines[0].contains("full handshake"),
        "{lines:?}"
    );
    for (i, line) in lines.iter().enumerate().skip(1) {
        assert!(
            line.starts_with(&format!("connection {}: TLSv1.2 TLS_ECDHE_RSA_", i + 1)),
            "{line}"
        );
        assert!(line.ends_with("resumed (ticket)"), "{line}");
    }
}

#[test]
fn glasstls_reconnect_resumes_against_openssl_by_session_id() {
    let pki = Pki::new();
    for lines in [
        glasstls_reconnect(&pki, &["-no_ticket"], &[]),
        glasstls_reconnect(&pki, &[], &["--no-tickets"]),
    ] {
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines[0].contains("full handshake"), "{lines:?}");
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.ends_with("resumed (session id)")),
            "{lines:?}"
        );
    }
}

#[test]
fn session_file_saved_by_one_run_resumes_in_the_next() {
    let pki = Pki::new();
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-tls1_2",
        "-rev",
        "-naccept",
        "2",
    ]);
    let file = pki.dir.join("session.pem");
    let run = |flag: &str| {
        let mut cmd = glasstls_connect(&pki, port);
        cmd.args([flag, &file.to_string_lossy()]);
        let (status, _, stderr) =
            run_with_input(&mut cmd, b"CLOSE\n".to_vec(), Duration::from_secs(30));
        assert!(status.success(), "{stderr}");
        stderr
    };
    assert!(run("--sess-out").contains("full handshake"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("-----BEGIN GLASSTLS TLS SESSION-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600,
            "it holds a secret"
        );
    }
    let second = run("--sess-in");
    assert!(
        second.contains("connection 1: TLSv1.2") && second.contains("resumed (ticket)"),
        "{second}"
    );
}

// ---- SNI: one address, several names ----

struct SniServer {
    _server: Peer,
    addr: String,
}

/// `glasstls serve` with a.test, b.test and *.wild.test by SNI, and localhost as the default
/// unless `with_default` is false.
fn sni_server(pki: &Pki, with_default: bool) -> SniServer {
    sni_server_in_mode(pki, with_default, "--echo")
}

/// `mode` is `--echo`, or `--trace` for the page server (which answers and closes).
fn sni_server_in_mode(pki: &Pki, with_default: bool, mode: &str) -> SniServer {
    let mut args = Vec::new();
    if with_default {
        args.extend([
            "--cert".to_string(),
            pki.path("rsa.pem"),
            "--key".into(),
            pki.path("rsa.key"),
        ]);
    }
    for name in ["a.test", "b.test", "*.wild.test"] {
        let file = name.replace('*', "star");
        pki.ca
            .issue(&[name], KeyKind::EcdsaP256)
            .unwrap()
            .write(&pki.dir, &file)
            .unwrap();
        args.extend([
            "--sni".into(),
            format!(
                "{name}={},{}",
                pki.path(&format!("{file}.pem")),
                pki.path(&format!("{file}.key"))
            ),
        ]);
    }
    args.push(mode.into());
    let (server, addr) = glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    SniServer {
        _server: server,
        addr,
    }
}

/// The subject of the certificate `openssl s_client` received, or its error output.
fn subject_for(server: &SniServer, servername: Option<&str>) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &server.addr, "-tls1_2"]);
    match servername {
        Some(name) => cmd.args(["-servername", name]),
        None => cmd.arg("-noservername"),
    };
    let (_, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("subject=").map(|s| s.replace(' ', "")))
        .unwrap_or_else(|| format!("no certificate: {stderr}"))
}

#[test]
fn each_name_gets_its_own_certificate_on_one_address() {
    let pki = Pki::new();
    let server = sni_server(&pki, true);
    assert!(subject_for(&server, Some("a.test")).contains("CN=a.test"));
    assert!(subject_for(&server, Some("b.test")).contains("CN=b.test"));
    assert!(
        subject_for(&server, Some("x.wild.test")).contains("CN=*.wild.test"),
        "wildcard"
    );
    assert!(
        subject_for(&server, Some("y.x.wild.test")).contains("CN=localhost"),
        "a wildcard covers one label only"
    );
    assert!(
        subject_for(&server, None).contains("CN=localhost"),
        "no name: the default"
    );
    assert!(
        subject_for(&server, Some("unknown.test")).contains("CN=localhost"),
        "unknown name: the default"
    );
}

#[test]
fn unknown_name_without_a_default_is_refused_with_unrecognized_name() {
    let pki = Pki::new();
    let server = sni_server(&pki, false);
    assert!(subject_for(&server, Some("a.test")).contains("CN=a.test"));
    let refused = subject_for(&server, Some("unknown.test"));
    assert!(
        refused.contains("unrecognized name") && refused.contains("alert number 112"),
        "{refused}"
    );
}

#[test]
fn glasstls_client_sees_the_name_acknowledged_whenever_it_sent_one() {
    let pki = Pki::new();
    let server = sni_server_in_mode(&pki, true, "--trace");
    let ack = |name: &str| {
        let mut cmd = Command::new(GLASSTLS);
        cmd.args([
            "connect",
            &server.addr,
            "--servername",
            name,
            "--cafile",
            &pki.path("ca.pem"),
            "--trace=json",
        ]);
        let request = b"GET /text HTTP/1.0\r\n\r\n".to_vec();
        let (status, stdout, stderr) = run_with_input(&mut cmd, request, Duration::from_secs(30));
        assert!(status.success(), "{stderr}");
        let page = String::from_utf8_lossy(&stdout);
        assert!(
            page.contains(&format!("server name (SNI): {name}")),
            "{page}"
        );
        let events = events(&stderr);
        let hello = messages(&events, "received", "ServerHello");
        let extensions = messages(&events, "received", "EncryptedExtensions");
        hello
            .iter()
            .chain(&extensions)
            .any(|m| message_field(m, "server_name") == &serde_json::json!({"type": "empty"}))
    };
    // RFC 6066 §3: the server uses the name (to choose a certificate, and to bind the session
    // to it) in both cases.
    assert!(ack("a.test"), "a.test chose its certificate");
    assert!(
        ack("localhost"),
        "localhost got the default, and the session is bound to it"
    );
}
