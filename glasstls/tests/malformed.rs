//! Hostile input to both roles: truncated, oversized, trailing-byte, wrong-order and wrong-type
//! messages and records. Each ends with exactly one fatal alert, the one the RFC names, a dead
//! connection that answers nothing more, and no panic.

mod common;

use common::*;
use glasstls::internal::wire::{
    AlertDescription as A, Codec, Extension, ExtensionType, HandshakeMessage,
    HandshakePayload as P, ProtocolVersion,
};
use glasstls::{Connection, Error};
use std::sync::Arc;

fn client_hello(pki: &Pki) -> HandshakeMessage {
    let mut config = client_config_tls12(pki);
    config.common.rsa_key_exchange = true;
    let mut client = Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let records = split_records(&client.take_outgoing());
    HandshakeMessage::from_bytes(&records[0].payload).unwrap()
}

fn fresh_server(pki: &Pki) -> Connection {
    let mut config = server_config_tls12(pki);
    config.common.rsa_key_exchange = true;
    Connection::server(Arc::new(config)).unwrap()
}

fn modified_hello(
    pki: &Pki,
    change: impl FnOnce(&mut glasstls::internal::wire::ClientHello),
) -> Vec<u8> {
    let mut msg = client_hello(pki);
    let P::ClientHello(ch) = &mut msg.payload else {
        unreachable!()
    };
    change(ch);
    record(22, &msg.to_bytes())
}

// ---- hostile clients: what the server answers ----

#[test]
fn server_rejects_truncated_client_hello_with_decode_error() {
    let pki = Pki::new();
    let msg = client_hello(&pki).to_bytes();
    // Cut the last three bytes of the body and fix the handshake length: the extension block
    // now claims more than there is.
    let body = &msg[4..msg.len() - 3];
    expect_fatal(
        &mut fresh_server(&pki),
        &record(22, &handshake(1, body)),
        A::DecodeError,
    );
}

#[test]
fn server_rejects_trailing_bytes_after_client_hello_with_decode_error() {
    let pki = Pki::new();
    let msg = client_hello(&pki).to_bytes();
    let mut body = msg[4..].to_vec();
    body.push(0);
    expect_fatal(
        &mut fresh_server(&pki),
        &record(22, &handshake(1, &body)),
        A::DecodeError,
    );
}

#[test]
fn server_rejects_oversized_record_with_record_overflow() {
    let pki = Pki::new();
    let mut input = vec![22, 3, 3, 0x40, 0x01];
    input.extend(vec![0u8; 0x4001]);
    expect_fatal(&mut fresh_server(&pki), &input, A::RecordOverflow);
}

#[test]
fn server_rejects_unknown_record_type_with_unexpected_message() {
    let pki = Pki::new();
    expect_fatal(
        &mut fresh_server(&pki),
        &record(99, b"hello"),
        A::UnexpectedMessage,
    );
}

#[test]
fn server_rejects_finished_before_client_hello_with_unexpected_message() {
    let pki = Pki::new();
    expect_fatal(
        &mut fresh_server(&pki),
        &record(22, &handshake(20, &[0; 12])),
        A::UnexpectedMessage,
    );
}

#[test]
fn server_rejects_unknown_handshake_type_with_unexpected_message() {
    let pki = Pki::new();
    expect_fatal(
        &mut fresh_server(&pki),
        &record(22, &handshake(99, &[1, 2, 3])),
        A::UnexpectedMessage,
    );
}

#[test]
fn server_rejects_application_data_before_the_handshake() {
    let pki = Pki::new();
    expect_fatal(
        &mut fresh_server(&pki),
        &record(23, b"GET /"),
        A::UnexpectedMessage,
    );
}

#[test]
fn server_rejects_empty_handshake_record_with_decode_error() {
    let pki = Pki::new();
    expect_fatal(&mut fresh_server(&pki), &record(22, &[]), A::DecodeError);
}

#[test]
fn server_refuses_a_handshake_message_too_large_to_buffer_without_waiting_for_it() {
    let pki = Pki::new();
    // A ClientHello declaring 16 MiB, past the largest the syntax allows: we must not wait for
    // (or allocate) it, and a length past every bound is decode_error.
    expect_fatal(
        &mut fresh_server(&pki),
        &record(22, &[1, 0xff, 0xff, 0xff]),
        A::DecodeError,
    );
}

#[test]
fn server_rejects_malformed_alert_and_change_cipher_spec() {
    let pki = Pki::new();
    expect_fatal(
        &mut fresh_server(&pki),
        &record(21, &[2, 40, 0]),
        A::DecodeError,
    );
    expect_fatal(
        &mut fresh_server(&pki),
        &record(20, &[1, 1]),
        A::DecodeError,
    );
    expect_fatal(
        &mut fresh_server(&pki),
        &record(20, &[1]),
        A::UnexpectedMessage,
    );
    // RFC 5246 §7.2: AlertLevel is warning(1) or fatal(2); another level is no alert at all.
    for level in [0u8, 3, 0x42, 255] {
        expect_fatal(
            &mut fresh_server(&pki),
            &record(21, &[level, 10]),
            A::IllegalParameter,
        );
    }
}

#[test]
fn server_rejects_interleaving_inside_a_handshake_message() {
    let pki = Pki::new();
    let msg = client_hello(&pki).to_bytes();
    let mut input = record(22, &msg[..10]);
    input.extend(record(20, &[1]));
    expect_fatal(&mut fresh_server(&pki), &input, A::UnexpectedMessage);
}

#[test]
fn server_rejects_duplicate_extensions_with_decode_error() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        ch.extensions.push(Extension::ExtendedMasterSecret)
    });
    expect_fatal(&mut fresh_server(&pki), &input, A::DecodeError);
}

#[test]
fn server_rejects_tls_1_0_clients_with_protocol_version() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| ch.client_version = ProtocolVersion::TLSv1_0);
    expect_fatal(&mut fresh_server(&pki), &input, A::ProtocolVersion);
}

#[test]
fn server_without_common_suite_sends_handshake_failure() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        ch.cipher_suites = vec![glasstls::internal::wire::CipherSuite(0x002f)]
    });
    expect_fatal(&mut fresh_server(&pki), &input, A::HandshakeFailure);
}

#[test]
fn server_rejects_hello_without_null_compression() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| ch.compression_methods = vec![1]);
    expect_fatal(&mut fresh_server(&pki), &input, A::IllegalParameter);
}

#[test]
fn server_rejects_non_empty_renegotiation_info_on_initial_handshake() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        ch.extensions
            .retain(|e| e.typ() != ExtensionType::RenegotiationInfo);
        ch.extensions
            .push(Extension::RenegotiationInfo(vec![1; 12]));
    });
    expect_fatal(&mut fresh_server(&pki), &input, A::HandshakeFailure);
}

#[test]
fn server_serves_grease_and_unknown_extensions_normally() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        ch.cipher_suites
            .insert(0, glasstls::internal::wire::CipherSuite(0x1a1a));
        ch.extensions.insert(
            0,
            Extension::Unknown {
                typ: ExtensionType(0x2a2a),
                data: vec![],
            },
        );
    });
    let mut server = fresh_server(&pki);
    let mut err = None;
    feed_all(&mut server, &input, &mut err);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        split_records(&server.take_outgoing())[0].typ,
        22,
        "the server answers with its hello"
    );
}

#[test]
fn handshake_completes_when_every_byte_arrives_in_its_own_record() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config_tls12(&pki), server_config_tls12(&pki));
    for _ in 0..10 {
        // Re-fragment the client's plaintext handshake records into 1-byte records.
        let out = client.take_outgoing();
        let mut fragmented = Vec::new();
        for rec in split_records(&out) {
            if rec.typ == 22
                && server.is_handshaking()
                && fragmented.is_empty()
                && rec.payload.len() > 1
            {
                for b in &rec.payload {
                    fragmented.extend(record(22, &[*b]));
                }
            } else {
                fragmented.extend(record(rec.typ, &rec.payload));
            }
        }
        let mut err = None;
        feed_all(&mut server, &fragmented, &mut err);
        assert!(err.is_none(), "{err:?}");
        let back = server.take_outgoing();
        feed_all(&mut client, &back, &mut err);
        assert!(err.is_none(), "{err:?}");
        if !client.is_handshaking() && !server.is_handshaking() {
            return;
        }
    }
    panic!("handshake did not complete");
}

#[test]
fn client_accepts_a_whole_server_flight_coalesced_into_one_record() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config_tls12(&pki), server_config_tls12(&pki));
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    let flight = split_records(&server.take_outgoing());
    let coalesced: Vec<u8> = flight.iter().flat_map(|r| r.payload.clone()).collect();
    feed_all(&mut client, &record(22, &coalesced), &mut err);
    assert!(err.is_none(), "{err:?}");
    let (c, s) = pump(&mut client, &mut server);
    assert!(c.is_none() && s.is_none(), "{c:?} {s:?}");
    assert!(!client.is_handshaking() && !server.is_handshaking());
}

// ---- hostile servers: what the client answers ----

/// A client that has sent its ClientHello, and the real server's first flight (one record per
/// message: ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone).
fn client_and_flight(rsa_kx: bool) -> (Connection, Vec<Rec>) {
    let pki = Pki::new();
    let mut cc = client_config_tls12(&pki);
    let mut sc = server_config_tls12(&pki);
    if rsa_kx {
        cc.common.cipher_suites =
            vec![glasstls::internal::wire::CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
        cc.common.rsa_key_exchange = true;
        sc.common.rsa_key_exchange = true;
    }
    let (mut client, mut server) = pair(cc, sc);
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    assert!(err.is_none());
    (client, split_records(&server.take_outgoing()))
}

fn with_server_hello(
    change: impl FnOnce(&mut glasstls::internal::wire::ServerHello),
) -> (Connection, Vec<u8>) {
    let (client, mut flight) = client_and_flight(false);
    let mut msg = HandshakeMessage::from_bytes(&flight[0].payload).unwrap();
    let P::ServerHello(sh) = &mut msg.payload else {
        unreachable!()
    };
    change(sh);
    flight[0].payload = msg.to_bytes();
    (client, join(&flight))
}

#[test]
fn client_rejects_a_suite_it_did_not_offer_with_illegal_parameter() {
    let (mut client, input) =
        with_server_hello(|sh| sh.cipher_suite = glasstls::internal::wire::CipherSuite(0x002f));
    expect_fatal(&mut client, &input, A::IllegalParameter);
}

#[test]
fn client_rejects_tls_1_1_server_hello_with_protocol_version() {
    let (mut client, input) = with_server_hello(|sh| sh.server_version = ProtocolVersion::TLSv1_1);
    expect_fatal(&mut client, &input, A::ProtocolVersion);
}

#[test]
fn client_rejects_unsolicited_extension_with_unsupported_extension() {
    // status_request: the client never asks for OCSP stapling.
    let (mut client, input) = with_server_hello(|sh| {
        sh.extensions.push(Extension::Unknown {
            typ: ExtensionType::StatusRequest,
            data: vec![],
        })
    });
    expect_fatal(&mut client, &input, A::UnsupportedExtension);
}

#[test]
fn client_rejects_server_hello_done_before_certificate_with_unexpected_message() {
    let (mut client, flight) = client_and_flight(false);
    let reordered = [&flight[0], flight.last().unwrap()]
        .iter()
        .flat_map(|r| record(r.typ, &r.payload))
        .collect::<Vec<_>>();
    expect_fatal(&mut client, &reordered, A::UnexpectedMessage);
}

#[test]
fn client_rejects_trailing_bytes_in_certificate_with_decode_error() {
    let (mut client, mut flight) = client_and_flight(false);
    let mut body = flight[1].payload[4..].to_vec();
    body.push(0);
    flight[1].payload = handshake(11, &body);
    expect_fatal(&mut client, &join(&flight), A::DecodeError);
}

#[test]
fn client_rejects_empty_certificate_list_with_decode_error() {
    // RFC 8446 §4.4.2.4 (and RFC 5246 §7.4.2's "the sender's certificate MUST come first").
    let (mut client, mut flight) = client_and_flight(false);
    flight[1].payload = handshake(11, &[0, 0, 0]);
    expect_fatal(&mut client, &join(&flight), A::DecodeError);
}

#[test]
fn client_rejects_a_forged_server_key_exchange_signature_with_decrypt_error() {
    let (mut client, mut flight) = client_and_flight(false);
    let last = flight[2].payload.len() - 1;
    flight[2].payload[last] ^= 0x80;
    expect_fatal(&mut client, &join(&flight), A::DecryptError);
}

#[test]
fn client_rejects_truncated_server_key_exchange_with_decode_error() {
    let (mut client, mut flight) = client_and_flight(false);
    let body = flight[2].payload[4..flight[2].payload.len() - 5].to_vec();
    flight[2].payload = handshake(12, &body);
    expect_fatal(&mut client, &join(&flight), A::DecodeError);
}

#[test]
fn client_rejects_oversized_record_with_record_overflow() {
    let (mut client, _) = client_and_flight(false);
    let mut input = vec![22, 3, 3, 0x40, 0x01];
    input.extend(vec![0u8; 0x4001]);
    expect_fatal(&mut client, &input, A::RecordOverflow);
}

#[test]
fn client_rejects_a_tampered_encrypted_finished_with_bad_record_mac() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config_tls12(&pki), server_config_tls12(&pki));
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    feed_all(&mut client, &server.take_outgoing(), &mut err);
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    assert!(err.is_none());
    let mut flight = split_records(&server.take_outgoing());
    // NewSessionTicket, ChangeCipherSpec, Finished.
    assert_eq!(
        flight.iter().map(|r| r.typ).collect::<Vec<_>>(),
        vec![22, 20, 22]
    );
    flight[2].payload[10] ^= 1;
    let e = expect_fatal(&mut client, &join(&flight), A::BadRecordMac);
    assert_eq!(e, Error::BadRecordMac);
}

// ---- RFC 5246 §7.4.7.1: a bad RSA ClientKeyExchange is indistinguishable ----

/// Runs an RSA-key-exchange handshake whose ClientKeyExchange carries `encrypted` instead of
/// what the client computed. Returns what the server did after the ClientKeyExchange alone
/// (it must do nothing), and the error it reports after CCS and Finished.
fn server_reaction_to_client_key_exchange(
    encrypted: impl FnOnce(&[u8]) -> Vec<u8>,
) -> (Vec<u8>, Option<Error>, Vec<u8>) {
    let pki = Pki::new();
    let mut cc = client_config_tls12(&pki);
    cc.common.cipher_suites =
        vec![glasstls::internal::wire::CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
    cc.common.rsa_key_exchange = true;
    let mut sc = server_config_tls12(&pki);
    sc.common.rsa_key_exchange = true;
    let (mut client, mut server) = pair(cc, sc);
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    feed_all(&mut client, &server.take_outgoing(), &mut err);
    assert!(err.is_none());
    let flight = split_records(&client.take_outgoing());
    assert_eq!(
        flight.iter().map(|r| r.typ).collect::<Vec<_>>(),
        vec![22, 20, 22]
    );
    let spki = rcgen::PublicKeyData::subject_public_key_info(
        &rcgen::KeyPair::from_pem(&pki.rsa.key_pem).unwrap(),
    );
    let cke = handshake(16, &{
        let c = encrypted(&spki);
        let mut body = (c.len() as u16).to_be_bytes().to_vec();
        body.extend(c);
        body
    });
    feed_all(&mut server, &record(22, &cke), &mut err);
    let after_cke = server.take_outgoing();
    assert!(
        err.is_none(),
        "the server must not react to the ClientKeyExchange itself: {err:?}"
    );
    feed_all(&mut server, &join(&flight[1..]), &mut err);
    (after_cke, err, server.take_outgoing())
}

fn encrypt(spki: &[u8], plaintext: &[u8]) -> Vec<u8> {
    glasstls::internal::crypto::rsa_encrypt_pre_master_secret(spki, plaintext).unwrap()
}

/// Makes a ClientKeyExchange's encrypted pre-master secret from the server's public key.
type Forge = Box<dyn FnOnce(&[u8]) -> Vec<u8>>;

#[test]
fn bad_rsa_client_key_exchanges_all_fail_the_same_way_at_finished() {
    let mut pms = vec![3u8, 3];
    pms.extend([0x5a; 46]);
    let cases: Vec<(&str, Forge)> = vec![
        ("wrong padding", Box::new(|_| vec![0x42; 256])),
        ("wrong ciphertext length", Box::new(|_| vec![0x42; 255])),
        (
            "wrong plaintext length",
            Box::new(|spki| encrypt(spki, &[3; 47])),
        ),
        (
            "wrong version",
            Box::new(|spki| {
                let mut p = vec![3u8, 2];
                p.extend([7; 46]);
                encrypt(spki, &p)
            }),
        ),
        (
            "well-formed but not the client's",
            Box::new(move |spki| encrypt(spki, &pms)),
        ),
    ];
    let mut outcomes = Vec::new();
    for (name, case) in cases {
        let (after_cke, err, alert) = server_reaction_to_client_key_exchange(case);
        assert!(
            after_cke.is_empty(),
            "{name}: the server answered the ClientKeyExchange early"
        );
        assert_eq!(err, Some(Error::BadRecordMac), "{name}");
        assert_eq!(
            plaintext_alerts(&alert),
            vec![(2, A::BadRecordMac.0)],
            "{name}"
        );
        outcomes.push((err, alert.len()));
    }
    assert!(
        outcomes.windows(2).all(|w| w[0] == w[1]),
        "outcomes differ: {outcomes:?}"
    );
}
