//! Hostile TLS 1.3 input to both roles: missing and duplicate extensions, key shares that do
//! not fit, a second HelloRetryRequest, plaintext where records must be encrypted, and the
//! downgrade sentinel. Each ends with the RFC's alert, a dead connection and no panic.

mod common;

use common::*;
use glasstls::internal::wire::{
    AlertDescription as A, ClientHello, Codec, Extension, ExtensionType, HandshakeMessage,
    HandshakePayload as P, KeyShareEntry, NamedGroup, ServerHello,
};
use glasstls::{Connection, UnixTime};
use std::sync::Arc;

/// A TLS 1.3 ClientHello from a real glasstls client, changed by `change`, as a record.
fn modified_hello(pki: &Pki, change: impl FnOnce(&mut ClientHello)) -> Vec<u8> {
    hello_record(client_config(pki), change)
}

fn server(pki: &Pki) -> Connection {
    Connection::server(Arc::new(server_config(pki))).unwrap()
}

fn without(typ: ExtensionType) -> impl FnOnce(&mut ClientHello) {
    move |ch| ch.extensions.retain(|e| e.typ() != typ)
}

#[test]
fn server_requires_key_share_supported_groups_and_signature_algorithms() {
    let pki = Pki::new();
    for typ in [
        ExtensionType::KeyShare,
        ExtensionType::SupportedGroups,
        ExtensionType::SignatureAlgorithms,
    ] {
        let input = modified_hello(&pki, without(typ));
        expect_fatal(&mut server(&pki), &input, A::MissingExtension);
    }
}

#[test]
fn server_rejects_duplicate_extensions_in_a_tls13_hello() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        let dup = ch
            .extensions
            .iter()
            .find(|e| e.typ() == ExtensionType::KeyShare)
            .unwrap()
            .clone();
        ch.extensions.push(dup);
    });
    expect_fatal(&mut server(&pki), &input, A::DecodeError);
}

fn set_shares(ch: &mut ClientHello, shares: Vec<KeyShareEntry>) {
    for ext in &mut ch.extensions {
        if let Extension::KeyShares(s) = ext {
            *s = shares.clone();
        }
    }
}

#[test]
fn server_rejects_key_shares_that_do_not_fit_supported_groups() {
    let pki = Pki::new();
    // A share for a group the client does not list.
    let input = modified_hello(&pki, |ch| {
        for ext in &mut ch.extensions {
            if let Extension::SupportedGroups(g) = ext {
                g.retain(|g| *g != NamedGroup::X25519);
            }
        }
    });
    expect_fatal(&mut server(&pki), &input, A::IllegalParameter);
    // Two shares for one group.
    let input = modified_hello(&pki, |ch| {
        let share = KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: vec![9; 32],
        };
        set_shares(ch, vec![share.clone(), share]);
    });
    expect_fatal(&mut server(&pki), &input, A::IllegalParameter);
}

#[test]
fn server_rejects_malformed_key_shares() {
    let pki = Pki::new();
    // A hybrid share of the wrong length, and an X25519 share that is not a point.
    let input = modified_hello(&pki, |ch| {
        set_shares(
            ch,
            vec![KeyShareEntry {
                group: NamedGroup::X25519MLKEM768,
                key_exchange: vec![1; 100],
            }],
        );
    });
    expect_fatal(&mut server(&pki), &input, A::IllegalParameter);
    let input = modified_hello(&pki, |ch| {
        set_shares(
            ch,
            vec![KeyShareEntry {
                group: NamedGroup::secp256r1,
                key_exchange: vec![4; 65],
            }],
        );
    });
    expect_fatal(&mut server(&pki), &input, A::IllegalParameter);
}

#[test]
fn server_rejects_compression_in_tls13() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| ch.compression_methods = vec![1, 0]);
    expect_fatal(&mut server(&pki), &input, A::IllegalParameter);
}

#[test]
fn server_rejects_a_plaintext_record_once_the_client_must_encrypt() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config(&pki), server_config(&pki));
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    feed_all(&mut client, &server.take_outgoing(), &mut err);
    assert!(err.is_none());
    // Instead of its encrypted Finished, the client's flight is replaced by a plaintext one.
    let _ = client.take_outgoing();
    expect_fatal(
        &mut server,
        &record(22, &handshake(20, &[0; 32])),
        A::UnexpectedMessage,
    );
}

#[test]
fn second_client_hello_without_the_requested_share_is_illegal() {
    let pki = Pki::new();
    let mut config = server_config(&pki);
    config.common.groups = vec![NamedGroup::secp384r1];
    let mut server = Connection::server(Arc::new(config)).unwrap();
    let mut client = Connection::client(
        Arc::new(client_config(&pki)),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let first = client.take_outgoing();
    let mut err = None;
    feed_all(&mut server, &first, &mut err);
    assert!(err.is_none());
    let hrr = split_records(&server.take_outgoing());
    let sh = HandshakeMessage::from_bytes(&hrr[0].payload).unwrap();
    let P::ServerHello(sh) = sh.payload else {
        panic!()
    };
    assert!(sh.is_retry_request());
    // The same ClientHello again: still no secp384r1 share.
    expect_fatal(&mut server, &first, A::IllegalParameter);
}

// ---- hostile servers ----

/// A client that has sent its ClientHello, and a real server's answer.
fn client_and_server_flight(
    configure: impl FnOnce(&mut glasstls::ServerConfig),
) -> (Connection, Vec<Rec>) {
    let pki = Pki::new();
    let mut config = server_config(&pki);
    configure(&mut config);
    let (mut client, mut server) = pair(client_config(&pki), config);
    let mut err = None;
    feed_all(&mut server, &client.take_outgoing(), &mut err);
    assert!(err.is_none(), "{err:?}");
    (client, split_records(&server.take_outgoing()))
}

fn change_server_hello(records: &mut [Rec], change: impl FnOnce(&mut ServerHello)) {
    let mut msg = HandshakeMessage::from_bytes(&records[0].payload).unwrap();
    let P::ServerHello(sh) = &mut msg.payload else {
        unreachable!()
    };
    change(sh);
    records[0].payload = msg.to_bytes();
}

#[test]
fn client_rejects_a_second_hello_retry_request_with_unexpected_message() {
    let (mut client, flight) =
        client_and_server_flight(|c| c.common.groups = vec![NamedGroup::secp384r1]);
    let hrr = join(&flight[..1]);
    let mut err = None;
    feed_all(&mut client, &hrr, &mut err);
    assert!(
        err.is_none(),
        "the first HelloRetryRequest is fine: {err:?}"
    );
    expect_fatal(&mut client, &hrr, A::UnexpectedMessage);
}

#[test]
fn client_rejects_a_share_for_a_group_it_sent_no_share_for() {
    let (mut client, mut flight) = client_and_server_flight(|_| {});
    change_server_hello(&mut flight, |sh| {
        for ext in &mut sh.extensions {
            if let Extension::KeyShare(share) = ext {
                share.group = NamedGroup::secp384r1;
            }
        }
    });
    expect_fatal(&mut client, &join(&flight[..1]), A::IllegalParameter);
}

#[test]
fn client_requires_the_servers_key_share() {
    let (mut client, mut flight) = client_and_server_flight(|_| {});
    change_server_hello(&mut flight, |sh| {
        sh.extensions.retain(|e| e.typ() != ExtensionType::KeyShare)
    });
    expect_fatal(&mut client, &join(&flight[..1]), A::MissingExtension);
}

#[test]
fn client_rejects_a_legacy_session_id_echo_that_does_not_match() {
    let (mut client, mut flight) = client_and_server_flight(|_| {});
    change_server_hello(&mut flight, |sh| sh.session_id = vec![7; 32]);
    expect_fatal(&mut client, &join(&flight[..1]), A::IllegalParameter);
}

#[test]
fn client_rejects_plaintext_handshake_records_after_server_hello() {
    let (mut client, flight) = client_and_server_flight(|_| {});
    // ServerHello, the compatibility CCS, then an unencrypted EncryptedExtensions.
    let mut input = join(&flight[..2]);
    input.extend(record(22, &handshake(8, &[0, 0])));
    expect_fatal(&mut client, &input, A::UnexpectedMessage);
}

#[test]
fn client_rejects_an_encrypted_record_it_cannot_authenticate() {
    let (mut client, mut flight) = client_and_server_flight(|_| {});
    let last = flight.len() - 1;
    flight[last].payload[3] ^= 1;
    let e = expect_fatal(&mut client, &join(&flight), A::BadRecordMac);
    assert_eq!(e, glasstls::Error::BadRecordMac);
}

#[test]
fn client_detects_a_downgrade_to_tls12_by_the_servers_random() {
    // An attacker strips supported_versions and key_share from a TLS 1.3 ClientHello; the
    // server (TLS 1.3 capable) negotiates TLS 1.2 and says so in its random (RFC 8446 §4.1.3).
    let pki = Pki::new();
    let (mut client, mut server) = pair(client_config(&pki), server_config(&pki));
    let hello = split_records(&client.take_outgoing());
    let mut msg = HandshakeMessage::from_bytes(&hello[0].payload).unwrap();
    let P::ClientHello(ch) = &mut msg.payload else {
        unreachable!()
    };
    ch.extensions.retain(|e| {
        !matches!(
            e.typ(),
            ExtensionType::SupportedVersions | ExtensionType::KeyShare
        )
    });
    let mut err = None;
    feed_all(&mut server, &record(22, &msg.to_bytes()), &mut err);
    assert!(err.is_none());
    let flight = server.take_outgoing();
    let sh = HandshakeMessage::from_bytes(&split_records(&flight)[0].payload).unwrap();
    let P::ServerHello(sh) = sh.payload else {
        panic!()
    };
    assert_eq!(
        &sh.random[24..],
        b"DOWNGRD\x01",
        "the server marks its TLS 1.2 random"
    );
    let e = expect_fatal(&mut client, &flight, A::IllegalParameter);
    assert_eq!(
        e,
        glasstls::Error::PeerMisbehaved(glasstls::error::PeerMisbehaved::DowngradeDetected)
    );
}

#[test]
fn unknown_and_grease_values_in_a_tls13_hello_are_ignored() {
    let pki = Pki::new();
    let input = modified_hello(&pki, |ch| {
        ch.cipher_suites
            .insert(0, glasstls::internal::wire::CipherSuite(0x3a3a));
        ch.extensions.insert(
            0,
            Extension::Unknown {
                typ: ExtensionType(0x4a4a),
                data: vec![0],
            },
        );
        ch.extensions.push(Extension::Unknown {
            typ: ExtensionType::CompressCertificate,
            data: vec![2, 0, 2],
        });
        for ext in &mut ch.extensions {
            match ext {
                Extension::SupportedGroups(g) => g.insert(0, NamedGroup(0x5a5a)),
                Extension::SupportedVersions(v) => {
                    v.insert(0, glasstls::internal::wire::ProtocolVersion(0x6a6a))
                }
                Extension::KeyShares(s) => s.insert(
                    0,
                    KeyShareEntry {
                        group: NamedGroup(0x5a5a),
                        key_exchange: vec![0],
                    },
                ),
                _ => {}
            }
        }
    });
    let mut s = server(&pki);
    s.read_tls(&input);
    s.process_new_packets(UnixTime::now()).unwrap();
    let out = split_records(&s.take_outgoing());
    let sh = HandshakeMessage::from_bytes(&out[0].payload).unwrap();
    let P::ServerHello(sh) = sh.payload else {
        panic!()
    };
    assert!(!sh.is_retry_request());
    assert_eq!(s.info().version, Some(glasstls::Version::Tls13));
}
