//! Client certificates (mutual TLS) in both versions: the server asks, the client answers with
//! its chain and a CertificateVerify, the server verifies both and knows who connected; a
//! missing or untrusted certificate is refused with the alert each RFC names; resumption keeps
//! the identity and never skips a certificate the server now requires.

mod common;

use common::*;
use glasstls::session::Resumption;
use glasstls::{
    CertificateError, ClientAuth, ClientConfig, Error, Identity, ServerConfig, Version,
};
use glasstls_test::Pair;
use std::sync::Arc;

const BOTH: [Version; 2] = [Version::Tls12, Version::Tls13];

fn configs(pki: &Pki, version: Version, required: bool) -> (ClientConfig, ServerConfig) {
    let mut client = client_config(pki);
    client.common.versions = vec![version];
    client.identity = Some(pki.client_identity());
    let mut server = server_config(pki);
    server.client_auth = Some(ClientAuth::new(pki.roots(), required));
    (client, server)
}

#[test]
fn the_server_learns_who_the_client_is_in_both_versions() {
    let pki = Pki::new();
    for version in BOTH {
        let (client, server) = configs(&pki, version, true);
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert_eq!(
            pair.server.info().peer_certificates,
            pki.client.chain,
            "{version:?}"
        );
        assert_eq!(pair.server.info().version, Some(version));
    }
}

/// TLS 1.2's CertificateVerify signs the handshake messages with the scheme's own hash, which
/// need not be the suite's: an RSA or P-384 key under a SHA-256 suite, a P-256 key under
/// SHA-384.
#[test]
fn tls12_client_signatures_hash_with_the_schemes_hash() {
    use glasstls::CipherSuite as C;
    let pki = Pki::new();
    for (kind, suite) in [
        (KeyKind::Rsa2048, C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        (KeyKind::EcdsaP384, C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        (
            KeyKind::EcdsaP256,
            C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ),
    ] {
        let leaf = pki.ca.issue_client("another client", kind).unwrap();
        let (mut client, server) = configs(&pki, Version::Tls12, true);
        client.identity = Some(Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap());
        client.common.cipher_suites = vec![suite];
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert_eq!(pair.server.info().peer_certificates, leaf.chain, "{kind:?}");
        assert_eq!(pair.server.info().cipher_suite, Some(suite));
    }
}

#[test]
fn a_required_certificate_that_is_missing_gets_the_alert_of_each_version() {
    let pki = Pki::new();
    for (version, alert) in [
        (Version::Tls12, A::HandshakeFailure),
        (Version::Tls13, A::CertificateRequired),
    ] {
        let (mut client, server) = configs(&pki, version, true);
        client.identity = None;
        let mut pair = Pair::new(client, server);
        let (client_err, server_err) = pair.pump();
        let server_err = server_err.expect("the server refuses");
        assert_eq!(server_err.alert(), Some(alert), "{version:?}: {server_err}");
        assert!(
            server_err
                .to_string()
                .contains("a client certificate is required"),
            "{server_err}"
        );
        assert_eq!(client_err, Some(Error::AlertReceived(alert)));
    }
}

#[test]
fn an_optional_certificate_may_be_missing() {
    let pki = Pki::new();
    for version in BOTH {
        let (mut client, server) = configs(&pki, version, false);
        client.identity = None;
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert!(
            pair.server.info().peer_certificates.is_empty(),
            "{version:?}"
        );
    }
}

#[test]
fn a_client_certificate_from_an_unknown_ca_is_refused() {
    let pki = Pki::new();
    let other = Ca::new("someone else's CA").unwrap();
    let leaf = other.issue_client("stranger", KeyKind::EcdsaP256).unwrap();
    for version in BOTH {
        let (mut client, server) = configs(&pki, version, false);
        client.identity = Some(Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap());
        let mut pair = Pair::new(client, server);
        let (client_err, server_err) = pair.pump();
        assert!(
            matches!(
                server_err,
                Some(Error::Certificate(CertificateError::UnknownIssuer { .. }))
            ),
            "{version:?}: {server_err:?}"
        );
        assert_eq!(client_err, Some(Error::AlertReceived(A::UnknownCa)));
    }
}

/// rustls-webpki checks the extended key usage: a server certificate does not authenticate a
/// client.
#[test]
fn a_server_certificate_does_not_authenticate_a_client() {
    let pki = Pki::new();
    for version in BOTH {
        let (mut client, server) = configs(&pki, version, true);
        client.identity =
            Some(Identity::new(pki.ecdsa.chain.clone(), &pki.ecdsa.key_der()).unwrap());
        let mut pair = Pair::new(client, server);
        let (_, server_err) = pair.pump();
        assert!(
            matches!(server_err, Some(Error::Certificate(_))),
            "{version:?}: {server_err:?}"
        );
    }
}

/// A client whose key cannot sign with any scheme the server offers sends an empty
/// Certificate rather than a signature the server would refuse.
#[test]
fn a_client_without_a_scheme_in_common_sends_no_certificate() {
    let pki = Pki::new();
    for version in BOTH {
        let (client, mut server) = configs(&pki, version, false);
        if let Some(auth) = &mut server.client_auth {
            auth.signature_schemes = vec![glasstls::SignatureScheme::rsa_pss_rsae_sha256];
        }
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert!(
            pair.server.info().peer_certificates.is_empty(),
            "{version:?}"
        );
    }
}

#[test]
fn resumption_keeps_the_clients_identity() {
    let pki = Pki::new();
    for version in BOTH {
        let (client, server) = configs(&pki, version, true);
        let (client, server) = (Arc::new(client), Arc::new(server));
        Pair::from_arcs(&client, &server, "localhost").handshake();
        let mut again = Pair::from_arcs(&client, &server, "localhost");
        again.handshake();
        assert!(again.server.info().resumed.is_some(), "{version:?}");
        assert_eq!(again.server.info().peer_certificates, pki.client.chain);
    }
}

/// A session made while certificates were optional, without one, is not resumed by a server
/// that now requires one: the client must show a certificate in a full handshake.
#[test]
fn resumption_never_skips_a_certificate_that_is_now_required() {
    let pki = Pki::new();
    for version in BOTH {
        let (mut client, optional) = configs(&pki, version, false);
        client.identity = None;
        let client = Arc::new(client);
        let optional = Arc::new(optional);
        Pair::from_arcs(&client, &optional, "localhost").handshake();
        // The same ticket keys and session store, now requiring a certificate.
        let mut required = (*optional).clone();
        if let Some(auth) = &mut required.client_auth {
            auth.required = true;
        }
        let required = Arc::new(required);
        let mut again = Pair::from_arcs(&client, &required, "localhost");
        let (_, server_err) = again.pump();
        assert_eq!(
            again.server.info().resumed,
            None::<Resumption>,
            "{version:?}"
        );
        assert!(
            matches!(server_err, Some(Error::PeerIncompatible(_))),
            "{version:?}: {server_err:?}"
        );
    }
}
