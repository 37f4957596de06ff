//! Interop with rustls (a dev-dependency, on the same aws-lc-rs), in memory, both directions:
//! the post-quantum hybrid X25519MLKEM768 that rustls prefers, every TLS 1.3 suite,
//! HelloRetryRequest both ways, TLS 1.2, and 1 MiB each way.

mod common;

use common::*;
use glasstls::trace::Decision;
use glasstls::{CipherSuite, Event, NamedGroup};
use glasstls::{Connection, UnixTime};
use rustls::crypto::aws_lc_rs as provider;
use std::io::{Read, Write};
use std::sync::Arc;

type Kx = &'static dyn rustls::crypto::SupportedKxGroup;

fn rustls_provider(groups: &[Kx]) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = provider::default_provider();
    if !groups.is_empty() {
        p.kx_groups = groups.to_vec();
    }
    Arc::new(p)
}

fn rustls_client(pki: &Pki, groups: &[Kx]) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(rustls_provider(groups))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

fn rustls_server(
    pki: &Pki,
    groups: &[Kx],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ServerConnection {
    let config = rustls::ServerConfig::builder_with_provider(rustls_provider(groups))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.ecdsa.chain.clone(), pki.ecdsa.key_der())
        .unwrap();
    rustls::ServerConnection::new(Arc::new(config)).unwrap()
}

/// Moves bytes until both sides are idle; returns what each received.
fn pump<S: rustls::SideData>(
    ours: &mut Connection,
    theirs: &mut rustls::ConnectionCommon<S>,
    mut ours_sends: &[u8],
    mut theirs_sends: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let (mut ours_got, mut theirs_got) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..10_000 {
        let mut progress = false;
        // Plaintext in, a slice at a time, once each side may send.
        if !ours.is_handshaking() && !ours_sends.is_empty() {
            let n = ours_sends.len().min(16 * 1024);
            ours.send(&ours_sends[..n]).unwrap();
            ours_sends = &ours_sends[n..];
            progress = true;
        }
        if !theirs.is_handshaking() && !theirs_sends.is_empty() {
            let n = theirs
                .writer()
                .write(&theirs_sends[..theirs_sends.len().min(16 * 1024)])
                .unwrap();
            theirs_sends = &theirs_sends[n..];
            progress |= n > 0;
        }
        // glasstls → rustls
        let out = ours.take_outgoing();
        if !out.is_empty() {
            progress = true;
            let mut rest = &out[..];
            while !rest.is_empty() {
                theirs.read_tls(&mut rest).unwrap();
                theirs
                    .process_new_packets()
                    .unwrap_or_else(|e| panic!("rustls refused: {e}"));
                loop {
                    match theirs.reader().read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => theirs_got.extend_from_slice(&buf[..n]),
                        Err(_) => break,
                    }
                }
            }
        }
        // rustls → glasstls
        let mut tls = Vec::new();
        while theirs.wants_write() {
            theirs.write_tls(&mut tls).unwrap();
        }
        if !tls.is_empty() {
            progress = true;
            let mut rest = &tls[..];
            while !rest.is_empty() {
                let n = ours.read_tls(rest);
                rest = &rest[n..];
                ours.process_new_packets(UnixTime::now())
                    .unwrap_or_else(|e| panic!("glasstls refused: {e}"));
                loop {
                    let n = ours.recv(&mut buf);
                    if n == 0 {
                        break;
                    }
                    ours_got.extend_from_slice(&buf[..n]);
                }
            }
        }
        if !progress {
            break;
        }
    }
    (ours_got, theirs_got)
}

fn check_megabyte_both_ways<S: rustls::SideData>(
    ours: &mut Connection,
    theirs: &mut rustls::ConnectionCommon<S>,
) {
    let up = hex_lines(1, 16 * 1024);
    let down = hex_lines(2, 16 * 1024);
    let (ours_got, theirs_got) = pump(ours, theirs, &up, &down);
    assert!(!ours.is_handshaking() && !theirs.is_handshaking());
    assert!(
        theirs_got == up,
        "rustls received {} of {} bytes, or corrupted",
        theirs_got.len(),
        up.len()
    );
    assert!(
        ours_got == down,
        "glasstls received {} of {} bytes, or corrupted",
        ours_got.len(),
        down.len()
    );
}

fn glasstls_server(pki: &Pki, configure: impl FnOnce(&mut glasstls::ServerConfig)) -> Connection {
    let mut config = server_config(pki);
    configure(&mut config);
    Connection::server(Arc::new(config)).unwrap()
}

fn glasstls_client(pki: &Pki, configure: impl FnOnce(&mut glasstls::ClientConfig)) -> Connection {
    let mut config = client_config(pki);
    configure(&mut config);
    Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

#[test]
fn rustls_client_gets_x25519mlkem768_from_glasstls_server() {
    let pki = Pki::new();
    let mut ours = glasstls_server(&pki, |_| {});
    let mut theirs = rustls_client(&pki, &[]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(ours.info().version, Some(glasstls::Version::Tls13));
    assert_eq!(ours.info().group, Some(NamedGroup::X25519MLKEM768));
    assert_eq!(
        theirs.negotiated_key_exchange_group().unwrap().name(),
        rustls::NamedGroup::X25519MLKEM768
    );
}

#[test]
fn glasstls_client_gets_x25519mlkem768_from_rustls_server() {
    let pki = Pki::new();
    let mut ours = glasstls_client(&pki, |_| {});
    let mut theirs = rustls_server(&pki, &[], &[&rustls::version::TLS13]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(ours.info().group, Some(NamedGroup::X25519MLKEM768));
    assert_eq!(
        theirs.negotiated_key_exchange_group().unwrap().name(),
        rustls::NamedGroup::X25519MLKEM768
    );
}

#[test]
fn every_tls13_suite_works_both_ways_with_rustls() {
    for suite in [
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_256_GCM_SHA384,
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    ] {
        let pki = Pki::new();
        let mut ours = glasstls_server(&pki, |c| c.common.cipher_suites = vec![suite]);
        let mut theirs = rustls_client(&pki, &[provider::kx_group::X25519]);
        check_megabyte_both_ways(&mut ours, &mut theirs);
        assert_eq!(ours.info().cipher_suite, Some(suite));
        let mut ours = glasstls_client(&pki, |c| c.common.cipher_suites = vec![suite]);
        let mut theirs = rustls_server(
            &pki,
            &[provider::kx_group::SECP384R1, provider::kx_group::X25519],
            &[&rustls::version::TLS13],
        );
        check_megabyte_both_ways(&mut ours, &mut theirs);
        assert_eq!(ours.info().cipher_suite, Some(suite));
    }
}

#[test]
fn hello_retry_request_both_ways_with_rustls() {
    let pki = Pki::new();
    // rustls shares P-256 first; our server takes only P-384.
    let mut ours = glasstls_server(&pki, |c| {
        c.common.groups = vec![NamedGroup::secp384r1];
        c.common.trace = true;
    });
    let mut theirs = rustls_client(
        &pki,
        &[provider::kx_group::SECP256R1, provider::kx_group::SECP384R1],
    );
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(ours.info().group, Some(NamedGroup::secp384r1));
    assert!(ours.info().hello_retry_request);
    assert!(
        ours.take_events()
            .contains(&Event::Decision(Decision::HelloRetryRequestSent {
                group: NamedGroup::secp384r1
            }))
    );
    // We share X25519MLKEM768 and X25519; the rustls server takes only P-256.
    let mut ours = glasstls_client(&pki, |c| c.common.trace = true);
    let mut theirs = rustls_server(
        &pki,
        &[provider::kx_group::SECP256R1],
        &[&rustls::version::TLS13],
    );
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(ours.info().group, Some(NamedGroup::secp256r1));
    assert!(ours.info().hello_retry_request);
    assert!(
        ours.take_events()
            .contains(&Event::Decision(Decision::HelloRetryRequested {
                group: Some(NamedGroup::secp256r1),
                cookie: false,
            }))
    );
}

#[test]
fn tls12_works_both_ways_with_rustls() {
    let pki = Pki::new();
    let mut ours = glasstls_client(&pki, |c| c.common.versions = vec![glasstls::Version::Tls12]);
    let mut theirs = rustls_server(&pki, &[], &[&rustls::version::TLS12]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(ours.info().version, Some(glasstls::Version::Tls12));
    assert!(ours.info().extended_master_secret);
    let mut ours = glasstls_server(&pki, |c| c.common.versions = vec![glasstls::Version::Tls12]);
    let mut theirs = rustls_client(&pki, &[]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    assert_eq!(
        theirs.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
}

#[test]
fn our_key_update_is_followed_by_rustls_both_ways() {
    let pki = Pki::new();
    let mut ours = glasstls_client(&pki, |c| c.common.trace = true);
    let mut theirs = rustls_server(&pki, &[], &[&rustls::version::TLS13]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    // KeyUpdate(update_requested): we switch our write keys; rustls must switch its read keys
    // and answer with its own KeyUpdate, after which both directions still carry data.
    ours.request_key_update().unwrap();
    check_megabyte_both_ways(&mut ours, &mut theirs);
    let events = ours.take_events();
    assert!(
        events.contains(&Event::Decision(Decision::KeyUpdateSent)),
        "{events:?}"
    );
    assert!(
        events.contains(&Event::Decision(Decision::KeyUpdateReceived)),
        "rustls did not answer: {events:?}"
    );
    // And on the server side.
    let mut ours = glasstls_server(&pki, |_| {});
    let mut theirs = rustls_client(&pki, &[]);
    check_megabyte_both_ways(&mut ours, &mut theirs);
    ours.request_key_update().unwrap();
    check_megabyte_both_ways(&mut ours, &mut theirs);
}

/// A rustls client that holds a ticket allowing `max_early_data` bytes of 0-RTT data, from a
/// rustls server for "localhost" (the same certificate as glasstls's).
fn rustls_client_with_early_data_ticket(
    pki: &Pki,
    max_early_data: u32,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider(&[]))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.enable_early_data = true;
    let config = Arc::new(config);
    let mut server_config = rustls::ServerConfig::builder_with_provider(rustls_provider(&[]))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.ecdsa.chain.clone(), pki.ecdsa.key_der())
        .unwrap();
    server_config.max_early_data_size = max_early_data;
    let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
    let mut client =
        rustls::ClientConnection::new(config.clone(), "localhost".try_into().unwrap()).unwrap();
    // Until the client has read the server's tickets.
    for _ in 0..10 {
        let mut bytes = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut bytes).unwrap();
        }
        server.read_tls(&mut &bytes[..]).unwrap();
        server.process_new_packets().unwrap();
        let mut bytes = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut bytes).unwrap();
        }
        client.read_tls(&mut &bytes[..]).unwrap();
        client.process_new_packets().unwrap();
    }
    assert!(!client.is_handshaking());
    config
}

/// Issue 12, item 9. RFC 8446 §4.2.10: a server that does not accept early data "skips past
/// early data by attempting to deprotect received records using the handshake traffic key,
/// discarding records which fail deprotection (up to the configured max_early_data_size)"; after
/// a HelloRetryRequest it skips "all records with an external content type of
/// "application_data"". rustls, holding a ticket that allows 0-RTT (from another server for the
/// same name), sends early data to a glasstls server, which cannot use the ticket: a full
/// handshake, the early data skipped, rustls told it was rejected and sending it again.
#[test]
fn a_rustls_client_sending_early_data_gets_a_handshake_and_its_data_through() {
    for hello_retry in [false, true] {
        let pki = Pki::new();
        let config = rustls_client_with_early_data_ticket(&pki, 16 * 1024);
        let mut theirs =
            rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
        let early = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
        let written = theirs
            .early_data()
            .expect("the ticket allows early data")
            .write(early)
            .unwrap();
        assert_eq!(written, early.len());
        let mut ours = glasstls_server(&pki, |c| {
            c.common.trace = true;
            if hello_retry {
                // rustls sends shares for X25519MLKEM768 and x25519 only.
                c.common.groups = vec![NamedGroup::secp384r1];
            }
        });
        let (ours_got, _) = pump(&mut ours, &mut theirs, b"", early);
        assert!(!ours.is_handshaking() && !theirs.is_handshaking());
        assert!(
            !theirs.is_early_data_accepted(),
            "glasstls accepts no early data"
        );
        assert_eq!(
            ours_got, early,
            "the data arrives after the handshake, once"
        );
        assert_eq!(ours.info().hello_retry_request, hello_retry);
        assert!(
            ours.take_events()
                .iter()
                .any(|e| matches!(e, Event::Decision(Decision::EarlyDataSkipped))),
            "the trace says the early data was skipped"
        );
    }
}

/// More early data than we skip (16 KiB) is unexpected_message (RFC 8446 §4.2.10: "A server
/// receiving more than max_early_data_size bytes of 0-RTT data SHOULD terminate the connection
/// with an "unexpected_message" alert").
#[test]
fn more_early_data_than_we_skip_is_unexpected_message() {
    let pki = Pki::new();
    let config = rustls_client_with_early_data_ticket(&pki, 64 * 1024);
    let mut theirs =
        rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let early = hex_lines(3, 600); // some 40 KB
    let mut early_writer = theirs.early_data().expect("the ticket allows early data");
    let mut written = 0;
    while written < early.len() {
        let n = early_writer.write(&early[written..]).unwrap();
        assert!(n > 0, "rustls took {written} bytes of early data");
        written += n;
    }
    let mut ours = glasstls_server(&pki, |_| {});
    let mut bytes = Vec::new();
    while theirs.wants_write() {
        theirs.write_tls(&mut bytes).unwrap();
    }
    let err = glasstls_test::deliver(&mut ours, &bytes, UnixTime::now()).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(glasstls::AlertDescription::UnexpectedMessage),
        "{err}"
    );
    assert!(err.to_string().contains("early data"), "{err}");
}

/// A TLS 1.3 client's alert about the server's encrypted flight is itself encrypted under the
/// client's handshake keys (RFC 8446 §6), so the server can read why: rustls hears
/// bad_certificate when glasstls refuses its certificate for another name.
#[test]
fn rustls_server_reads_the_alert_glasstls_sends_about_its_certificate() {
    let pki = Pki::new();
    let leaf = pki
        .ca
        .issue(&["elsewhere.test"], glasstls_test::pki::KeyKind::EcdsaP256)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(rustls_provider(&[]))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key_der())
        .unwrap();
    let mut theirs = rustls::ServerConnection::new(Arc::new(config)).unwrap();
    let mut ours = glasstls_client(&pki, |_| {});
    let mut to_them = ours.take_outgoing();
    let mut their_error = None;
    for _ in 0..10 {
        if !to_them.is_empty() {
            theirs.read_tls(&mut &to_them[..]).unwrap();
            if let Err(e) = theirs.process_new_packets() {
                their_error = Some(e);
                break;
            }
        }
        let mut to_us = Vec::new();
        while theirs.wants_write() {
            theirs.write_tls(&mut to_us).unwrap();
        }
        let _ = glasstls_test::deliver(&mut ours, &to_us, UnixTime::now());
        to_them = ours.take_outgoing();
    }
    assert!(ours.error().is_some(), "glasstls refuses the certificate");
    assert_eq!(
        their_error,
        Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::BadCertificate
        )),
        "rustls must be able to read the alert"
    );
}

/// A glasstls server holding `server_key` (and a certificate for the public name), and a
/// rustls ECH client for "localhost" given `client_config`'s ECHConfigList; the client's first
/// flight is returned as it crosses the wire, not yet delivered.
fn ech_pair(
    pki: &Pki,
    server_key: glasstls::ech::EchKey,
    client_config: &glasstls::ech::EchConfig,
) -> (Connection, rustls::ClientConnection, Vec<u8>) {
    use rustls::client::{EchConfig, EchMode};
    let list = glasstls::ech::config_list(std::slice::from_ref(client_config));
    let public = pki
        .ca
        .issue(&["public.example"], KeyKind::EcdsaP256)
        .unwrap();
    let mut server = server_config(pki);
    server.named_identities.push((
        "public.example".into(),
        glasstls::Identity::new(public.chain.clone(), &public.key_der()).unwrap(),
    ));
    server.ech_keys = vec![Arc::new(server_key)];
    let ours = Connection::server(Arc::new(server)).unwrap();
    let ech = EchConfig::new(list.into(), provider::hpke::ALL_SUPPORTED_SUITES).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(rustls_provider(&[]))
        .with_ech(EchMode::Enable(ech))
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut theirs =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let mut wire = Vec::new();
    while theirs.wants_write() {
        theirs.write_tls(&mut wire).unwrap();
    }
    (ours, theirs, wire)
}

/// RFC 9849: rustls's ECH client, given our ECHConfigList, sends the real name only inside the
/// encrypted inner ClientHello; glasstls opens it, handshakes on it, confirms acceptance in its
/// ServerHello random, and rustls reports ECH accepted. The outer hello on the wire names only
/// the public name.
#[test]
fn rustls_ech_client_is_accepted() {
    let pki = Pki::new();
    let key = glasstls::ech::EchKey::generate("public.example", 3).unwrap();
    let config = key.config.clone();
    let (mut ours, mut theirs, wire) = ech_pair(&pki, key, &config);
    assert!(
        !wire.windows(9).any(|w| w == b"localhost"),
        "the real name travels in clear"
    );
    assert!(wire.windows(14).any(|w| w == b"public.example"));
    assert_eq!(ours.read_tls(&wire), wire.len());
    ours.process_new_packets(UnixTime::now()).unwrap();
    let (got, _) = pump(&mut ours, &mut theirs, b"", b"hello");
    assert_eq!(got, b"hello");
    assert_eq!(theirs.ech_status(), rustls::client::EchStatus::Accepted);
    assert_eq!(ours.info().ech, glasstls::EchStatus::Accepted);
    assert_eq!(ours.info().server_name.as_deref(), Some("localhost"));
}

/// A config whose key the server no longer holds: the server completes the handshake for the
/// public name and sends retry_configs; rustls verifies the public name's certificate and
/// reports the rejection with the configs to retry with.
#[test]
fn rustls_ech_client_with_a_stale_config_gets_retry_configs() {
    let pki = Pki::new();
    let stale = glasstls::ech::EchKey::generate("public.example", 3).unwrap();
    let current = glasstls::ech::EchKey::generate("public.example", 4).unwrap();
    let (mut ours, mut theirs, wire) = ech_pair(&pki, current, &stale.config);
    ours.read_tls(&wire);
    ours.process_new_packets(UnixTime::now()).unwrap();
    assert_eq!(ours.info().ech, glasstls::EchStatus::Rejected);
    assert_eq!(ours.info().server_name.as_deref(), Some("public.example"));
    let out = ours.take_outgoing();
    let mut rest = &out[..];
    let mut refused = None;
    while !rest.is_empty() && refused.is_none() {
        theirs.read_tls(&mut rest).unwrap();
        refused = theirs.process_new_packets().err();
    }
    match refused {
        Some(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerRejectedEncryptedClientHello(Some(retry)),
        )) => assert!(!retry.is_empty()),
        other => panic!("expected a rejection with retry configs, got {other:?}"),
    }
}
