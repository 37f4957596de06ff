//! Certificate failures as the command line reports them: one line naming the problem, and a
//! failing exit status. (The typed errors and alerts are tested in `glasstls/tests`.)

mod common;

use common::*;
use glasstls_test::pki::KeyKind;
use std::process::Command;
use std::time::Duration;

#[test]
fn cli_reports_an_expired_certificate_in_one_line_and_fails() {
    let pki = Pki::new();
    let leaf = pki
        .ca
        .issue_with_validity(&["localhost"], KeyKind::Rsa2048, (-30, -2))
        .unwrap();
    leaf.write(&pki.dir, "expired").unwrap();
    let (server, port) = openssl_server(&[
        "-cert",
        &pki.path("expired.pem"),
        "-key",
        &pki.path("expired.key"),
        "-tls1_2",
    ]);
    let mut cmd = Command::new(GLASSTLS);
    cmd.args([
        "connect",
        &format!("localhost:{port}"),
        "--cafile",
        &pki.path("ca.pem"),
    ]);
    let (status, stdout, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(30));
    assert!(!status.success());
    assert!(stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(
        lines[0].starts_with("glasstls: certificate rejected: expired"),
        "{stderr}"
    );
    // OpenSSL logs the alert it received: 45 is certificate_expired.
    std::thread::sleep(Duration::from_millis(200));
    drop(server);
}

#[test]
fn cli_reports_a_wrong_name() {
    let pki = Pki::new();
    let (_server, port) = openssl_server(&[
        "-cert",
        &pki.path("rsa.pem"),
        "-key",
        &pki.path("rsa.key"),
        "-tls1_2",
    ]);
    let mut cmd = Command::new(GLASSTLS);
    cmd.args([
        "connect",
        &format!("127.0.0.1:{port}"),
        "--servername",
        "www.example.test",
        "--cafile",
        &pki.path("ca.pem"),
    ]);
    let (status, _, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(30));
    assert!(!status.success());
    assert!(
        stderr.contains("wrong name: the certificate is for localhost, not for www.example.test"),
        "{stderr}"
    );
}
