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
        "HelloRetryRequest: the server wants a key share for secp384r1",
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

/// What varies from run to run: random values, times, the port, sizes that depend on them (an
/// ECDSA signature's length, a sealed ticket's, a GREASE ECH payload's) and a GREASE ECH's
/// random config number.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut words = text.split_inclusive([' ', '\n', ',', '(', ')']).peekable();
    let mut previous = "";
    while let Some(word) = words.next() {
        let after_config = previous == "config ";
        previous = word;
        let (body, end) = word.split_at(word.trim_end_matches([' ', '\n', ',', '(', ')']).len());
        let is_hex = body.len() >= 16 && body.bytes().all(|b| b.is_ascii_hexdigit());
        let is_number = !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit());
        let is_date = body.len() == 10 && body.as_bytes().get(4) == Some(&b'-');
        let is_time = body.len() == 8 && body.as_bytes().get(2) == Some(&b':');
        let replaced = if is_hex {
            "<hex>"
        } else if is_number
            && (after_config || words.peek().is_some_and(|next| next.starts_with("bytes")))
        {
            "<n>"
        } else if is_date || is_time {
            "<time>"
        } else if let Some(port) = body.strip_prefix("127.0.0.1:") {
            let _ = port;
            "127.0.0.1:<port>"
        } else {
            body
        };
        out.push_str(replaced);
        out.push_str(end);
    }
    out
}

/// The demo's trace reads as it did when it was recorded (tests/golden/demo.txt), but for
/// what varies from run to run. A change to the text rendering shows up here, on purpose:
/// re-record the file when it is meant.
#[test]
fn the_demo_reads_as_recorded() {
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS).arg("demo"),
        Vec::new(),
        Duration::from_secs(120),
    );
    assert!(status.success(), "{stderr}");
    let golden = include_str!("golden/demo.txt");
    let got = String::from_utf8_lossy(&stdout);
    let (want, got) = (normalise(golden), normalise(&got));
    if want != got {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "the demo's output differs from tests/golden/demo.txt at line {}:\n  want: {:?}\n  got:  {:?}",
            first + 1,
            want.lines().nth(first),
            got.lines().nth(first)
        );
    }
}

/// `--trace=explain` follows each step with what it means, in English and in the note's
/// Korean, and never prints a catalogue key in place of a sentence.
#[test]
fn the_demo_explains_every_step_in_both_languages() {
    for (lang, expected) in [
        (
            "en",
            [
                "The client random (32 bytes) is used when the symmetric keys are made",
                "An empty session ID: a first contact",
                "The server echoes the client's session ID: the session is resumed.",
                "On the wire this certificate is readable by anyone on the path",
                "The server asks for a second ClientHello (HelloRetryRequest)",
            ],
        ),
        (
            "ko",
            [
                "클라이언트 난수(32바이트)는 대칭키를 만들 때 사용됩니다",
                "세션 ID가 비어 있음(0): 최초의 접속",
                "서버가 클라이언트의 세션 ID를 그대로 돌려줍니다",
                "TLS 1.2는 인증서를 평문으로 보내므로",
                "서버가 두 번째 Client Hello를 요청합니다(HelloRetryRequest)",
            ],
        ),
    ] {
        let (status, stdout, stderr) = run_with_input(
            Command::new(GLASSTLS).args(["demo", "--trace=explain", "--lang", lang]),
            Vec::new(),
            Duration::from_secs(120),
        );
        assert!(status.success(), "{stderr}");
        let out = String::from_utf8_lossy(&stdout);
        for text in expected {
            assert!(out.contains(text), "{lang}: no {text:?} in\n{out}");
        }
        let explained: Vec<&str> = out.lines().filter(|l| l.contains("▸")).collect();
        assert!(
            explained.len() > 100,
            "{lang}: {} explanations",
            explained.len()
        );
        for line in explained {
            for section in [
                "message.",
                "decision.",
                "field.",
                "secret.",
                "wire.",
                "event.",
            ] {
                // A key is a section, a dot and a name: `decision.chose13`.
                let key = line.match_indices(section).any(|(at, _)| {
                    line[at + section.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic())
                });
                assert!(!key, "{lang}: a key, not a sentence: {line}");
            }
            assert!(!line.contains('{'), "{lang}: a placeholder left: {line}");
        }
    }
}
