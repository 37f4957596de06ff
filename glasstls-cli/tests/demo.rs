//! `glasstls demo`, the README's main command, runs without a network and shows what it
//! promises: both handshakes of the note, both kinds of TLS 1.2 resumption, TLS 1.3 with
//! X25519MLKEM768 and its resumption, and two names.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn demo_runs_the_notes_handshakes_resumptions_and_sni() {
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS).arg("demo"),
        Vec::new(),
        Duration::from_secs(120),
    );
    assert!(status.success(), "{stderr}");
    let out = String::from_utf8_lossy(&stdout);
    for expected in [
        "cipher suite: TLS_RSA_WITH_AES_128_GCM_SHA256",
        "RSA key exchange: 48-byte pre-master secret encrypted with the server's public key",
        "cipher suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE parameters received and their signature verified",
        "certificate chain verified",
        "master secret (extended) derived",
        "server Finished verified",
        "resumed: yes, by session id",
        "resumed: yes, by ticket",
        "negotiated TLSv1.3 with TLS_AES_128_GCM_SHA256; key exchange with X25519MLKEM768",
        "key exchange group: X25519MLKEM768",
        "the server resumes our TLS 1.3 session (psk_dhe_ke)",
        "connected to shop.example: full handshake, certificate CN=shop.example",
        "connected to blog.example: full handshake, certificate CN=blog.example",
    ] {
        assert!(
            out.contains(expected),
            "the demo output lacks {expected:?}:\n{out}"
        );
    }
    assert!(
        !out.contains("derived: "),
        "no secret values without --reveal-secrets"
    );
}

#[test]
fn demo_reveals_secret_values_only_when_asked() {
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS).args(["demo", "--reveal-secrets"]),
        Vec::new(),
        Duration::from_secs(120),
    );
    assert!(status.success(), "{stderr}");
    let out = String::from_utf8_lossy(&stdout);
    let master = out
        .lines()
        .find(|l| l.contains("master secret (extended) derived: "))
        .expect("a master secret value");
    assert_eq!(
        master.rsplit(' ').next().unwrap().len(),
        96,
        "48 bytes in hex: {master}"
    );
}
