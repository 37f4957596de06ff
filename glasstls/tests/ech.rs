//! Encrypted Client Hello between our client and our server (RFC 9849): acceptance, with and
//! without a HelloRetryRequest and with resumption; a stale config rejected, its retry configs
//! used once; a server that has turned ECH off; GREASE. The peers of other stacks are in
//! `interop_rustls.rs` and the CLI's tests (NSS, BoringSSL).

mod common;
use common::*;

use glasstls::NamedGroup;
use glasstls::ech::{EchConfig, EchKey, EchMode, EchRejection};
use glasstls::trace::{Decision, Event};
use glasstls::{ClientConfig, EchStatus, Error, Identity, ServerConfig};
use glasstls_test::Pair;
use std::sync::Arc;

const PUBLIC: &str = "public.example";

/// A server for localhost that also holds a certificate for the public name, with `keys`.
fn server(pki: &Pki, keys: Vec<EchKey>) -> ServerConfig {
    let public = pki.ca.issue(&[PUBLIC], KeyKind::EcdsaP256).unwrap();
    let mut server = server_config(pki);
    server.named_identities.push((
        PUBLIC.into(),
        Identity::new(public.chain.clone(), &public.key_der()).unwrap(),
    ));
    server.ech_keys = keys.into_iter().map(Arc::new).collect();
    server
}

fn client(pki: &Pki, ech: EchMode) -> ClientConfig {
    let mut client = client_config(pki);
    client.ech = ech;
    client.common.trace = true;
    client
}

/// The ticket (or stateful PSK identity) the client saved for localhost.
fn saved_ticket(client: &ClientConfig) -> Vec<u8> {
    let cache = client.session_cache.as_ref().unwrap();
    glasstls::session::Session::decode(&cache.get(b"localhost").unwrap())
        .unwrap()
        .ticket()
        .to_vec()
}

/// Client and server, with the client's first flight recorded as it crossed the wire.
fn run(client: ClientConfig, server: ServerConfig) -> (Pair, Vec<u8>) {
    let mut pair = Pair::new(client, server);
    let first = pair.client.take_outgoing();
    let data = glasstls_test::deliver(&mut pair.server, &first, pair.now);
    if let Err(e) = data {
        pair.errors.1 = Some(e);
    }
    pair.pump();
    (pair, first)
}

fn decisions(conn: &mut glasstls::Connection) -> Vec<Decision> {
    conn.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Decision(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn rejection(e: &Option<Error>) -> &EchRejection {
    match e {
        Some(Error::EchRejected(r)) => r,
        other => panic!("expected an ECH rejection, got {other:?}"),
    }
}

/// The offer is accepted: both sides say so, the server handshook for the real name, and the
/// first flight names only the public one.
#[test]
fn an_offer_with_the_servers_config_is_accepted() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let config = key.config.clone();
    let (mut pair, first) = run(
        client(&pki, EchMode::Offer(vec![config])),
        server(&pki, vec![key]),
    );
    assert_eq!(pair.errors, (None, None));
    assert!(
        !first.windows(9).any(|w| w == b"localhost"),
        "the real name in clear"
    );
    assert!(first.windows(PUBLIC.len()).any(|w| w == PUBLIC.as_bytes()));
    assert_eq!(pair.client.info().ech, EchStatus::Accepted);
    assert_eq!(pair.server.info().ech, EchStatus::Accepted);
    assert_eq!(pair.server.info().server_name.as_deref(), Some("localhost"));
    pair.client.send(b"ping").unwrap();
    pair.pump();
    assert_eq!(pair.received.1, b"ping");
    let events = pair.client.take_events();
    let inner: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) if m.ech_inner => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(inner.len(), 1, "the inner hello is in the trace");
    assert!(inner[0].raw.windows(9).any(|w| w == b"localhost"));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Decision(Decision::EchOffered { public_name, server_name, .. })
            if public_name == PUBLIC && server_name == "localhost"
    )));
}

/// RFC 9849 §6.1.5 and §7.2.1: a HelloRetryRequest (the server wants another group) confirms
/// acceptance, the second inner hello goes sealed under the same HPKE context, and the
/// ServerHello confirms again.
#[test]
fn acceptance_survives_a_hello_retry_request() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let config = key.config.clone();
    let mut server = server(&pki, vec![key]);
    server.common.groups = vec![NamedGroup::secp256r1];
    let (mut pair, _) = run(client(&pki, EchMode::Offer(vec![config])), server);
    assert_eq!(pair.errors, (None, None));
    assert!(pair.client.info().hello_retry_request);
    assert_eq!(pair.client.info().ech, EchStatus::Accepted);
    assert_eq!(pair.server.info().server_name.as_deref(), Some("localhost"));
    let inner = pair
        .client
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::Message(m) if m.ech_inner))
        .count();
    assert_eq!(inner, 2, "both inner hellos are traced");
}

/// A stale config: the server handshakes for the public name and sends its current configs;
/// our client authenticates the public name, ends with ech_required, and reports the configs.
/// Retrying with them (once) is accepted.
#[test]
fn a_stale_config_is_rejected_with_retry_configs_and_the_retry_is_accepted() {
    let pki = Pki::new();
    let stale = EchKey::generate(PUBLIC, 1).unwrap();
    let current = EchKey::generate(PUBLIC, 2).unwrap();
    let current_config = current.config.clone();
    let server = Arc::new(server(&pki, vec![current]));
    let offer = Arc::new(client(&pki, EchMode::Offer(vec![stale.config.clone()])));
    let mut pair = Pair::from_arcs(&offer, &server, "localhost");
    let (client_err, server_err) = pair.pump();
    let rejected = rejection(&client_err);
    assert_eq!(rejected.public_name, PUBLIC);
    assert_eq!(rejected.retry_configs, vec![current_config]);
    assert!(!rejected.after_retry);
    assert_eq!(server_err, Some(Error::AlertReceived(A::EchRequired)));
    assert_eq!(pair.client.info().ech, EchStatus::Rejected);
    assert!(
        decisions(&mut pair.client).iter().any(
            |d| matches!(d, Decision::EchNotAccepted { public_name } if public_name == PUBLIC)
        )
    );
    // The rejected connection saved nothing (RFC 9849 §6.1.7: "MUST ignore all session
    // tickets").
    let cache = offer.session_cache.as_ref().unwrap();
    assert!(cache.get(b"localhost").is_none() && cache.get(PUBLIC.as_bytes()).is_none());

    let retry = Arc::new(client(&pki, EchMode::Retry(rejected.retry_configs.clone())));
    let mut pair = Pair::from_arcs(&retry, &server, "localhost");
    assert_eq!(pair.pump(), (None, None));
    assert_eq!(pair.client.info().ech, EchStatus::Accepted);
    assert_eq!(pair.server.info().server_name.as_deref(), Some("localhost"));
}

/// RFC 9849 §6.1.6: retry configs in answer to a retry are a misconfigured server: reported
/// with `after_retry`, for the caller not to loop.
#[test]
fn a_rejected_retry_is_reported_as_such() {
    let pki = Pki::new();
    let stale = EchKey::generate(PUBLIC, 1).unwrap();
    let current = EchKey::generate(PUBLIC, 2).unwrap();
    let (pair, _) = run(
        client(&pki, EchMode::Retry(vec![stale.config])),
        server(&pki, vec![current]),
    );
    assert!(rejection(&pair.errors.0).after_retry);
}

/// A server without ECH keys answers for the public name and sends no retry configs: ECH is
/// "securely disabled", and the client says so rather than sending the name in clear.
#[test]
fn a_server_without_ech_says_so_through_an_empty_rejection() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let (pair, _) = run(
        client(&pki, EchMode::Offer(vec![key.config])),
        server(&pki, Vec::new()),
    );
    let rejected = rejection(&pair.errors.0);
    assert!(rejected.retry_configs.is_empty());
    assert!(
        rejected.to_string().contains("turned ECH off"),
        "{rejected}"
    );
}

/// RFC 9849 §6.1.7: on rejection the certificate must be valid for the public name; one that
/// is not fails the connection with a certificate error, and no retry configs are taken.
#[test]
fn a_rejection_from_a_server_without_the_public_names_certificate_is_a_certificate_error() {
    let pki = Pki::new();
    let stale = EchKey::generate(PUBLIC, 1).unwrap();
    let current = EchKey::generate(PUBLIC, 2).unwrap();
    let mut server = server_config(&pki);
    server.ech_keys = vec![Arc::new(current)];
    let (pair, _) = run(client(&pki, EchMode::Offer(vec![stale.config])), server);
    assert!(
        matches!(pair.errors.0, Some(Error::Certificate(_))),
        "{:?}",
        pair.errors.0
    );
}

/// A session made under ECH resumes under ECH: the PSK travels in the inner hello only.
#[test]
fn resumption_runs_inside_the_inner_hello() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let offer = Arc::new(client(&pki, EchMode::Offer(vec![key.config.clone()])));
    let server = Arc::new(server(&pki, vec![key]));
    let mut first = Pair::from_arcs(&offer, &server, "localhost");
    first.handshake();
    let mut second = Pair::from_arcs(&offer, &server, "localhost");
    let hello = second.client.take_outgoing();
    let ticket = saved_ticket(&offer);
    assert!(
        !hello.windows(ticket.len()).any(|w| w == ticket.as_slice()),
        "the ticket travels in clear"
    );
    // RFC 9849 §6.1.2: the outer hello carries a GREASE pre_shared_key of the same shape, last,
    // so that the ServerHello's pre_shared_key does not look unsolicited.
    {
        use glasstls::internal::wire::{Codec, Extension, HandshakeMessage, HandshakePayload};
        let first = split_records(&hello);
        let msg = HandshakeMessage::from_bytes(&first[0].payload).unwrap();
        let HandshakePayload::ClientHello(outer) = msg.payload else {
            panic!("not a ClientHello")
        };
        let Some(Extension::PreSharedKey(grease)) = outer.extensions.last() else {
            panic!("no pre_shared_key last in the outer hello")
        };
        assert_eq!(grease.identities.len(), 1);
        assert_eq!(grease.identities[0].identity.len(), ticket.len());
        assert_ne!(grease.identities[0].identity, ticket);
    }
    glasstls_test::deliver(&mut second.server, &hello, second.now).unwrap();
    second.handshake();
    assert_eq!(second.client.info().ech, EchStatus::Accepted);
    assert!(second.client.info().resumed.is_some());
}

/// A server that resumes TLS 1.3 from a session store on the network (stateful PSKs, no
/// tickets) looks up what the ClientHello names before the handshake: under ECH that is the
/// inner hello's PSK, which the outer hello hides behind a GREASE identity of the same shape.
/// `peek_client_hello_for` opens the offer with the server's keys and names the real one;
/// `peek_client_hello`, which has no keys, names the GREASE one.
#[test]
fn the_store_is_asked_for_the_inner_hellos_psk() {
    use glasstls::peek::{HelloPeek, peek_client_hello, peek_client_hello_for};
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let offer = Arc::new(client(&pki, EchMode::Offer(vec![key.config.clone()])));
    let mut stateful = server(&pki, vec![key]);
    stateful.tickets = None;
    let stateful = Arc::new(stateful);
    let mut first = Pair::from_arcs(&offer, &stateful, "localhost");
    first.handshake();
    let identity = saved_ticket(&offer);
    let stored = stateful.session_store.get(&identity);
    assert!(
        stored.is_some(),
        "the server keeps the session under its PSK identity"
    );
    let mut second = Pair::from_arcs(&offer, &stateful, "localhost");
    let hello = second.client.take_outgoing();
    let lookups = |peek: HelloPeek| match peek {
        HelloPeek::Hello(keys) => keys
            .lookups(&stateful)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>(),
        other => panic!("no hello read: {other:?}"),
    };
    assert_eq!(
        lookups(peek_client_hello_for(&hello, &stateful)),
        vec![identity.clone()]
    );
    let outer = lookups(peek_client_hello(&hello));
    assert_eq!(outer.len(), 1);
    assert_ne!(
        outer[0], identity,
        "the outer hello names the GREASE identity"
    );
    // And the handshake resumes from the store as the lookup said.
    glasstls_test::deliver(&mut second.server, &hello, second.now).unwrap();
    second.handshake();
    assert_eq!(second.server.info().ech, EchStatus::Accepted);
    assert!(second.server.info().resumed.is_some());
}

/// GREASE by default: a server with keys cannot open it and sends retry configs, which the
/// client checks and ignores (RFC 9849 §6.2.1); a server without keys ignores it.
#[test]
fn grease_is_sent_by_default_and_changes_nothing() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    for keys in [vec![key], Vec::new()] {
        let with_keys = !keys.is_empty();
        let mut pair = Pair::new(client(&pki, EchMode::default()), server(&pki, keys));
        pair.handshake();
        assert_eq!(pair.client.info().ech, EchStatus::Grease);
        let expected = match with_keys {
            true => EchStatus::Rejected,
            false => EchStatus::NotOffered,
        };
        assert_eq!(pair.server.info().ech, expected);
        assert_eq!(pair.server.info().server_name.as_deref(), Some("localhost"));
        assert!(decisions(&mut pair.client).contains(&Decision::EchGreaseSent));
    }
    let mut off = Pair::new(client(&pki, EchMode::Off), server(&pki, Vec::new()));
    off.handshake();
    assert_eq!(off.client.info().ech, EchStatus::NotOffered);
}

/// Configs we cannot use are skipped (RFC 9849 §6.1): another KEM, a mandatory extension we
/// do not know, a public name that reads as an IPv4 address; with none usable the client
/// sends GREASE and the handshake runs in clear, as if no config had been given.
#[test]
fn unusable_configs_fall_back_to_grease() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let variants: Vec<EchConfig> = vec![
        EchConfig {
            kem_id: 0x0010,
            ..key.config.clone()
        },
        EchConfig {
            extensions: vec![(0xfa00, Vec::new())],
            ..key.config.clone()
        },
        EchConfig {
            public_name: "192.0.2.1".into(),
            ..key.config.clone()
        },
    ];
    for config in variants {
        let mut pair = Pair::new(
            client(&pki, EchMode::Offer(vec![config.clone()])),
            server(&pki, Vec::new()),
        );
        pair.handshake();
        assert_eq!(pair.client.info().ech, EchStatus::Grease, "{config:?}");
    }
}

/// A stale config and a HelloRetryRequest: the HelloRetryRequest carries no confirmation, so
/// the client goes on with the outer hello from there and still gets the retry configs.
#[test]
fn a_rejection_through_a_hello_retry_request() {
    let pki = Pki::new();
    let stale = EchKey::generate(PUBLIC, 1).unwrap();
    let current = EchKey::generate(PUBLIC, 2).unwrap();
    let current_config = current.config.clone();
    let mut server = server(&pki, vec![current]);
    server.common.groups = vec![NamedGroup::secp256r1];
    let (pair, _) = run(client(&pki, EchMode::Offer(vec![stale.config])), server);
    assert!(pair.client.info().hello_retry_request);
    assert_eq!(
        rejection(&pair.errors.0).retry_configs,
        vec![current_config]
    );
}

/// RFC 9849 §6.1.4 and §6.1.6: a server that answers in TLS 1.2 has rejected ECH; the outer
/// hello offered TLS 1.2 (the inner one does not), the handshake authenticates the public name
/// and ends with ech_required, ECH "securely disabled" (no retry configs in TLS 1.2).
#[test]
fn a_tls12_answer_is_a_rejection_that_disables_ech() {
    let pki = Pki::new();
    let key = EchKey::generate(PUBLIC, 1).unwrap();
    let mut server = server(&pki, Vec::new());
    server.common.versions = vec![glasstls::Version::Tls12];
    let (pair, _) = run(client(&pki, EchMode::Offer(vec![key.config])), server);
    let rejected = rejection(&pair.errors.0);
    assert!(rejected.retry_configs.is_empty() && rejected.retry_config_list.is_empty());
    assert_eq!(pair.client.info().version, Some(glasstls::Version::Tls12));
    assert_eq!(pair.errors.1, Some(Error::AlertReceived(A::EchRequired)));
}

/// A resumption offered inside an ECH offer the server cannot open: the server sees only the
/// outer hello's GREASE pre_shared_key, which names no ticket of its own, and makes a full
/// handshake for the public name; the client still gets its retry configs.
#[test]
fn a_rejected_offer_with_a_session_resumes_nothing() {
    let pki = Pki::new();
    let old = EchKey::generate(PUBLIC, 1).unwrap();
    let new = EchKey::generate(PUBLIC, 2).unwrap();
    let new_config = new.config.clone();
    let offer = Arc::new(client(&pki, EchMode::Offer(vec![old.config.clone()])));
    let before = Arc::new(server(&pki, vec![old]));
    let mut first = Pair::from_arcs(&offer, &before, "localhost");
    first.handshake();
    assert!(
        offer
            .session_cache
            .as_ref()
            .unwrap()
            .get(b"localhost")
            .is_some()
    );
    // The server rotated its key (and its ticket keys went with the restart).
    let after = Arc::new(server(&pki, vec![new]));
    let mut second = Pair::from_arcs(&offer, &after, "localhost");
    let (client_err, _) = second.pump();
    assert_eq!(rejection(&client_err).retry_configs, vec![new_config]);
    assert!(second.server.info().resumed.is_none());
}
