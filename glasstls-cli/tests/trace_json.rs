//! `--trace=json` writes one JSON object per event, of the shape docs/trace-json.md gives, on
//! both sides of a real connection, in both versions; and secrets appear only when revealed.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// The schema of docs/trace.schema.json, compiled.
fn schema() -> jsonschema::Validator {
    let text = include_str!("../../docs/trace.schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Panics unless every event is valid under the schema, carries its connection number, and
/// shows a secret's value exactly when revealing was asked for.
fn check_events(events: &[Value], revealed: bool) {
    assert!(!events.is_empty());
    let schema = schema();
    for event in events {
        if let Err(e) = schema.validate(event) {
            panic!("{event}\ndoes not follow docs/trace.schema.json: {e}");
        }
        assert!(event["connection"].is_u64(), "{event}");
        if event["kind"] == "secret" {
            assert!(!event["inputs"].as_array().unwrap().is_empty(), "{event}");
            assert_eq!(
                event["value"].is_string(),
                revealed,
                "secret values only when revealed: {event}"
            );
        }
    }
}

/// The schema refuses what it should: it is not a schema that accepts anything.
#[test]
fn the_schema_refuses_malformed_events() {
    let schema = schema();
    let good = serde_json::json!({
        "kind": "alert", "t_us": 5, "direction": "sent", "level": "fatal",
        "description": "decode_error",
        "record": { "content_type": "alert", "epoch": 0, "encrypted": false, "length": 2 }
    });
    assert!(schema.is_valid(&good));
    for bad in [
        serde_json::json!({ "kind": "alert", "t_us": 5 }),
        serde_json::json!({ "kind": "secret", "t_us": 1, "secret": "x", "label": "x", "inputs": [], "value": "XYZ" }),
        serde_json::json!({ "kind": "telemetry", "t_us": 1 }),
        serde_json::json!({ "kind": "decision", "t_us": 1, "decision": "chose13", "text": "t",
                            "params": { "suite": { "type": "name", "registry": "cipher_suite" } } }),
    ] {
        assert!(!schema.is_valid(&bad), "{bad}");
    }
}

/// Every scenario of the demo, as JSON Lines, follows the schema.
#[test]
fn the_demos_json_follows_the_schema() {
    let (status, stdout, stderr) = run_with_input(
        Command::new(GLASSTLS).args(["demo", "--trace=json", "--reveal-secrets"]),
        Vec::new(),
        Duration::from_secs(120),
    );
    assert!(status.success(), "{stderr}");
    let out = String::from_utf8_lossy(&stdout);
    let events: Vec<Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("each event line is JSON"))
        .collect();
    let schema = schema();
    for event in &events {
        if let Err(e) = schema.validate(event) {
            panic!("{event}\ndoes not follow docs/trace.schema.json: {e}");
        }
    }
    for kind in [
        "pre_master_secret_encrypted",
        "server_key_exchange_verified",
        "server_resumes12",
        "hello_retry_requested",
        "server_resumes13",
    ] {
        assert!(decided(&events, kind, &[]), "the demo's JSON lacks {kind}");
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
