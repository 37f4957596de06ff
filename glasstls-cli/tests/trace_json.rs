//! `--trace=json` writes one JSON object per event, of the shape docs/trace-json.md gives, on
//! both sides of a real connection, in both versions; and secrets appear only when revealed.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// Panics unless `value` is a typed value as the schema defines it.
fn check_value(value: &Value) {
    match value["type"].as_str() {
        Some("bytes") => assert!(value["hex"].as_str().is_some_and(is_hex), "{value}"),
        Some("number") => assert!(value["value"].is_u64(), "{value}"),
        Some("text") => assert!(value["value"].is_string(), "{value}"),
        Some("flag") => assert!(value["value"].is_boolean(), "{value}"),
        Some("empty") => {}
        Some("name") => {
            assert!(
                value["registry"].is_string() && value["code"].is_u64(),
                "{value}"
            );
            assert!(
                value["name"].is_string() || value["name"].is_null(),
                "{value}"
            );
        }
        Some("list") => value["items"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(check_value),
        Some("struct") => value["fields"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(check_field),
        other => panic!("a value of unknown type {other:?}: {value}"),
    }
}

fn check_field(field: &Value) {
    assert!(
        field["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{field}"
    );
    check_value(&field["value"]);
}

fn is_hex(s: &str) -> bool {
    s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_record(record: &Value) {
    assert!(record["content_type"].is_string(), "{record}");
    assert!(
        record["epoch"].is_u64() && record["length"].is_u64(),
        "{record}"
    );
    assert!(record["encrypted"].is_boolean(), "{record}");
}

/// Panics unless every event has the members its kind requires.
fn check_events(events: &[Value], revealed: bool) {
    assert!(!events.is_empty());
    for event in events {
        assert!(
            event["t_us"].is_u64() && event["connection"].is_u64(),
            "{event}"
        );
        match event["kind"].as_str() {
            Some("message") => {
                assert!(matches!(
                    event["direction"].as_str(),
                    Some("sent" | "received")
                ));
                assert!(event["message"].is_string(), "{event}");
                check_record(&event["record"]);
                event["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .for_each(check_field);
                assert!(event["raw"].as_str().is_some_and(is_hex), "{event}");
            }
            Some("change_cipher_spec") => check_record(&event["record"]),
            Some("alert") => {
                assert!(event["level"].is_string() && event["description"].is_string());
                check_record(&event["record"]);
            }
            Some("decision") => {
                assert!(event["decision"].is_string() && event["text"].is_string());
                event["params"]
                    .as_object()
                    .unwrap()
                    .values()
                    .for_each(check_value);
            }
            Some("secret") => {
                assert!(event["secret"].is_string() && event["label"].is_string());
                assert!(!event["inputs"].as_array().unwrap().is_empty(), "{event}");
                assert_eq!(
                    event["value"].is_string(),
                    revealed,
                    "secret values only when revealed: {event}"
                );
            }
            Some("failed") => assert!(event["error"].is_string(), "{event}"),
            other => panic!("an event of unknown kind {other:?}: {event}"),
        }
    }
}

fn traced_connection(version: &str, reveal: bool) -> (Vec<Value>, Vec<Value>) {
    let pki = Pki::new();
    let (server, addr) = glasstls_server(&[
        "--cert",
        &pki.path("ecdsa.pem"),
        "--key",
        &pki.path("ecdsa.key"),
        "--trace=json",
    ]);
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args([version, "--trace=json"]);
    if reveal {
        cmd.arg("--reveal-secrets");
    }
    let request = b"GET /text HTTP/1.0\r\n\r\n".to_vec();
    let (status, stdout, stderr) = run_with_input(&mut cmd, request, Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&stdout).contains("server name (SNI): localhost"));
    let done = |t: &str| decided(&events(t), "finished_verified", &[("peer", "client")]);
    let server_events = events(&server.stderr_when(done));
    (events(&stderr), server_events)
}

#[test]
fn json_events_follow_the_schema_on_both_sides_in_both_versions() {
    for (version, name) in [("--tls13", "TLSv1.3"), ("--tls12", "TLSv1.2")] {
        let (client, server) = traced_connection(version, false);
        check_events(&client, false);
        check_events(&server, false);
        // The server's hello names the version, and the first message is the ClientHello,
        // whose raw bytes begin with its type.
        let hello = &messages(&client, "sent", "ClientHello")[0];
        assert!(hello["raw"].as_str().unwrap().starts_with("01"));
        let chosen = if name == "TLSv1.3" {
            "chose13"
        } else {
            "chose12"
        };
        assert!(decided(&server, chosen, &[]), "{server:?}");
    }
}

#[test]
fn json_shows_secret_values_only_when_revealed() {
    let (client, _) = traced_connection("--tls13", true);
    check_events(&client, true);
    let secrets: Vec<_> = client.iter().filter(|e| e["kind"] == "secret").collect();
    assert!(
        secrets
            .iter()
            .any(|s| s["secret"] == "client_application_traffic_secret_0"),
        "{secrets:?}"
    );
}

#[test]
fn an_unknown_trace_format_is_refused() {
    let (status, _, stderr) = run_with_input(
        Command::new(GLASSTLS).args(["connect", "127.0.0.1:1", "--trace=xml"]),
        Vec::new(),
        Duration::from_secs(10),
    );
    assert!(!status.success());
    assert!(stderr.contains("xml"), "{stderr}");
}
