//! What a server application decides: its certificate per ClientHello through an
//! `IdentityResolver` (and swapping it while serving), and the suite order it prefers.

mod common;
use common::*;

use glasstls::{CipherSuite, HelloInfo, Identity, IdentityResolver, ServerConfig, Version};
use glasstls_test::Pair;
use std::sync::{Arc, RwLock};

/// Serves whatever certificate it holds now, to names it knows; refuses the others.
struct Reloadable {
    current: RwLock<Arc<Identity>>,
    names: Vec<String>,
}

impl IdentityResolver for Reloadable {
    fn resolve(&self, hello: &HelloInfo<'_>) -> Vec<Arc<Identity>> {
        match hello.server_name {
            Some(name) if self.names.iter().any(|n| n == name) => {
                vec![Arc::clone(&self.current.read().unwrap())]
            }
            _ => Vec::new(),
        }
    }
}

fn identity(pki: &Pki, kind: KeyKind) -> Arc<Identity> {
    let leaf = pki.ca.issue(&["localhost"], kind).unwrap();
    Arc::new(Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap())
}

#[test]
fn a_resolver_chooses_the_certificate_and_can_swap_it_while_serving() {
    let pki = Pki::new();
    let first = identity(&pki, KeyKind::EcdsaP256);
    let second = identity(&pki, KeyKind::Rsa2048);
    let resolver = Arc::new(Reloadable {
        current: RwLock::new(Arc::clone(&first)),
        names: vec!["localhost".into()],
    });
    let mut server = ServerConfig::new(Vec::new());
    server.resolver = Some(resolver.clone());
    let server = Arc::new(server);
    let client = Arc::new(client_config(&pki));
    for (version, expected) in [(Version::Tls13, &first), (Version::Tls12, &first)] {
        let mut c = (*client).clone();
        c.common.versions = vec![version];
        let mut pair = Pair::from_arcs(&Arc::new(c), &server, "localhost");
        pair.handshake();
        assert_eq!(
            pair.client.info().peer_certificates,
            expected.chain(),
            "{version:?}"
        );
    }
    // A reload: the next connection gets the new certificate, with no new config.
    *resolver.current.write().unwrap() = Arc::clone(&second);
    let mut pair = Pair::from_arcs(&client, &server, "localhost");
    pair.handshake();
    assert_eq!(pair.client.info().peer_certificates, second.chain());
    // A name the resolver does not serve: unrecognized_name.
    let mut pair = Pair::from_arcs(&client, &server, "other.test");
    let (_, server_err) = pair.pump();
    assert!(
        matches!(server_err, Some(glasstls::Error::PeerIncompatible(_))),
        "{server_err:?}"
    );
    assert_eq!(
        server_err.unwrap().alert(),
        Some(glasstls::AlertDescription::UnrecognizedName)
    );
}

/// nginx's `ssl_prefer_server_ciphers`: with `prefer_server_suite_order` the server's order
/// decides; by default the client's.
#[test]
fn the_server_may_prefer_its_own_suite_order() {
    let pki = Pki::new();
    let cases = [
        (
            Version::Tls13,
            [
                CipherSuite::TLS_AES_128_GCM_SHA256,
                CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
            ],
        ),
        (
            Version::Tls12,
            [
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            ],
        ),
    ];
    for (version, [client_first, server_first]) in cases {
        for prefer_server in [false, true] {
            let mut client = client_config(&pki);
            client.common.versions = vec![version];
            client.common.cipher_suites = vec![client_first, server_first];
            let mut server = server_config(&pki);
            server.common.cipher_suites = vec![server_first, client_first];
            server.prefer_server_suite_order = prefer_server;
            let mut pair = Pair::new(client, server);
            pair.handshake();
            let expected = if prefer_server {
                server_first
            } else {
                client_first
            };
            assert_eq!(
                pair.client.info().cipher_suite,
                Some(expected),
                "{version:?}, prefer_server {prefer_server}"
            );
        }
    }
}
