//! Certificate verification failures: each gives its typed error, a sentence a person
//! understands, and the alert RFC 5246 §7.2.2 names, which the server receives.

mod common;

use common::*;
use glasstls::AlertDescription;
use glasstls::{CertificateError, Error, Identity};
use glasstls_test::pki::{self, Ca, KeyKind, Leaf};

/// Runs an in-memory handshake with the server presenting `leaf`; returns both sides' errors.
fn handshake_with(pki: &Pki, leaf: &Leaf) -> (Error, Error) {
    let server = glasstls::ServerConfig::new(vec![
        Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
    ]);
    let (mut client, mut server) = pair(client_config(pki), server);
    let (client_err, server_err) = pump(&mut client, &mut server);
    (
        client_err.expect("the client must refuse"),
        server_err.expect("the server must hear the alert"),
    )
}

#[test]
fn refuses_an_expired_certificate_with_certificate_expired() {
    let pki = Pki::new();
    let leaf = pki
        .ca
        .issue_with_validity(&["localhost"], KeyKind::EcdsaP256, (-30, -2))
        .unwrap();
    let (client, server) = handshake_with(&pki, &leaf);
    assert!(
        matches!(client, Error::Certificate(CertificateError::Expired { .. })),
        "{client:?}"
    );
    assert!(
        client
            .to_string()
            .contains("expired: the certificate was valid until"),
        "{client}"
    );
    assert_eq!(
        server,
        Error::AlertReceived(AlertDescription::CertificateExpired)
    );
}

#[test]
fn refuses_a_not_yet_valid_certificate() {
    let pki = Pki::new();
    let leaf = pki
        .ca
        .issue_with_validity(&["localhost"], KeyKind::EcdsaP256, (3, 30))
        .unwrap();
    let (client, server) = handshake_with(&pki, &leaf);
    assert!(
        matches!(
            client,
            Error::Certificate(CertificateError::NotYetValid { .. })
        ),
        "{client:?}"
    );
    assert_eq!(
        server,
        Error::AlertReceived(AlertDescription::CertificateExpired)
    );
}

#[test]
fn refuses_a_certificate_for_another_name_with_bad_certificate() {
    let pki = Pki::new();
    let leaf = pki.ca.issue(&["other.test"], KeyKind::Rsa2048).unwrap();
    let (client, server) = handshake_with(&pki, &leaf);
    match &client {
        Error::Certificate(CertificateError::NotValidForName {
            expected,
            presented,
        }) => {
            assert_eq!(expected, "localhost");
            assert!(
                presented.iter().any(|p| p.contains("other.test")),
                "{presented:?}"
            );
        }
        other => panic!("wrong error: {other:?}"),
    }
    assert!(client.to_string().contains("wrong name"), "{client}");
    assert_eq!(
        server,
        Error::AlertReceived(AlertDescription::BadCertificate)
    );
}

#[test]
fn refuses_a_certificate_from_an_unknown_ca_with_unknown_ca() {
    let pki = Pki::new();
    let stranger = Ca::new("Some Other CA").unwrap();
    let leaf = stranger.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let (client, server) = handshake_with(&pki, &leaf);
    match &client {
        Error::Certificate(CertificateError::UnknownIssuer { issuer, .. }) => {
            assert!(issuer.contains("Some Other CA"))
        }
        other => panic!("wrong error: {other:?}"),
    }
    assert!(
        client.to_string().contains("not a trusted root"),
        "{client}"
    );
    assert_eq!(server, Error::AlertReceived(AlertDescription::UnknownCa));
}

#[test]
fn refuses_a_self_signed_certificate_and_says_so() {
    let pki = Pki::new();
    let leaf = pki::self_signed(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let (client, server) = handshake_with(&pki, &leaf);
    assert!(
        matches!(
            client,
            Error::Certificate(CertificateError::SelfSigned { .. })
        ),
        "{client:?}"
    );
    assert!(client.to_string().contains("self-signed"), "{client}");
    assert_eq!(server, Error::AlertReceived(AlertDescription::UnknownCa));
}

#[test]
fn refuses_a_certificate_whose_signature_was_tampered_with() {
    let pki = Pki::new();
    let mut leaf = pki.ca.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let mut der = leaf.chain[0].to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    leaf.chain = vec![der.into()];
    let (client, server) = handshake_with(&pki, &leaf);
    assert!(
        matches!(client, Error::Certificate(CertificateError::BadSignature)),
        "{client:?}"
    );
    assert_eq!(
        server,
        Error::AlertReceived(AlertDescription::BadCertificate)
    );
}

/// A verifier of the application's own: it sees the chain and the name, and its verdict
/// replaces the roots (here: it trusts exactly one certificate, by its bytes).
struct PinnedCertificate(Vec<u8>, std::sync::Mutex<Vec<String>>);

impl glasstls::ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &glasstls::pki_types::CertificateDer<'_>,
        _intermediates: &[glasstls::pki_types::CertificateDer<'_>],
        server_name: &glasstls::ServerName<'_>,
        _now: glasstls::UnixTime,
    ) -> Result<(), CertificateError> {
        self.1
            .lock()
            .unwrap()
            .push(server_name.to_str().into_owned());
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(())
        } else {
            Err(CertificateError::Other("not the pinned certificate".into()))
        }
    }
}

#[test]
fn a_custom_verifier_replaces_the_roots_but_not_the_signature_check() {
    let pki = Pki::new();
    // A CA nobody trusts issues the server's certificate: the roots would refuse it.
    let stranger = Ca::new("a CA the client does not trust").unwrap();
    let leaf = stranger.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let server = || {
        glasstls::ServerConfig::new(vec![
            Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
        ])
    };
    let pinned = std::sync::Arc::new(PinnedCertificate(
        leaf.chain[0].as_ref().to_vec(),
        Default::default(),
    ));
    let mut config = client_config(&pki);
    config.verifier = Some(pinned.clone());
    config.common.trace = true;
    let (mut client, mut server_conn) = pair(config.clone(), server());
    let (c, s) = pump(&mut client, &mut server_conn);
    assert_eq!((c, s), (None, None), "the pinned chain is accepted");
    assert_eq!(*pinned.1.lock().unwrap(), vec!["localhost".to_string()]);
    let decisions: Vec<_> = client
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            glasstls::Event::Decision(d) => Some(d.kind()),
            _ => None,
        })
        .collect();
    assert!(
        decisions.contains(&"chain_accepted_by_verifier") && !decisions.contains(&"chain_verified"),
        "{decisions:?}"
    );

    // Another certificate is refused by the verifier, with its reason and bad_certificate.
    let other = stranger.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let server2 = glasstls::ServerConfig::new(vec![
        Identity::new(other.chain.clone(), &other.key_der()).unwrap(),
    ]);
    let (mut client, mut server_conn) = pair(config.clone(), server2);
    let (c, s) = pump(&mut client, &mut server_conn);
    assert!(
        c.as_ref()
            .is_some_and(|e| e.to_string().contains("not the pinned certificate")),
        "{c:?}"
    );
    assert_eq!(
        s,
        Some(Error::AlertReceived(AlertDescription::CertificateUnknown))
    );

    // The pinned certificate with a key that is not its own: the verifier says yes, the
    // handshake signature still says no.
    let wrong_key = stranger.issue(&["localhost"], KeyKind::EcdsaP256).unwrap();
    let server3 = glasstls::ServerConfig::new(vec![
        Identity::new_unchecked(leaf.chain.clone(), &wrong_key.key_der()).unwrap(),
    ]);
    let (mut client, mut server_conn) = pair(config, server3);
    let (c, _) = pump(&mut client, &mut server_conn);
    assert!(
        matches!(c, Some(Error::DecryptError(_))),
        "a signature by another key must fail: {c:?}"
    );
}

/// A P-521 certificate (ECDSA with SHA-512) is served and verified in both versions.
#[test]
fn a_p521_certificate_serves_both_versions() {
    let pki = Pki::new();
    let leaf = pki.ca.issue(&["localhost"], KeyKind::EcdsaP521).unwrap();
    for version in [glasstls::Version::Tls12, glasstls::Version::Tls13] {
        let mut client = client_config(&pki);
        client.common.versions = vec![version];
        let server = glasstls::ServerConfig::new(vec![
            Identity::new(leaf.chain.clone(), &leaf.key_der()).unwrap(),
        ]);
        let (mut client, mut server) = pair(client, server);
        assert_eq!(pump(&mut client, &mut server), (None, None), "{version:?}");
        assert_eq!(
            client.info().signature_scheme,
            Some(glasstls::SignatureScheme::ecdsa_secp521r1_sha512)
        );
    }
}

/// `Identity::with_signing_schemes` decides which scheme the server signs with, in its order;
/// when none of them is one the version allows, there is nothing to sign with.
#[test]
fn signing_schemes_choose_the_servers_signature() {
    use glasstls::SignatureScheme as S;
    let pki = Pki::new();
    let leaf = pki.ca.issue(&["localhost"], KeyKind::Rsa2048).unwrap();
    let identity = |schemes: Vec<S>| {
        Identity::new(leaf.chain.clone(), &leaf.key_der())
            .unwrap()
            .with_signing_schemes(schemes)
    };
    let run = |version, schemes| {
        let mut client = client_config(&pki);
        client.common.versions = vec![version];
        let (mut client, mut server) =
            pair(client, glasstls::ServerConfig::new(vec![identity(schemes)]));
        let errors = pump(&mut client, &mut server);
        (errors, client.info().signature_scheme)
    };
    // Unrestricted, the server prefers PSS.
    let ((c, s), scheme) = run(glasstls::Version::Tls12, vec![]);
    assert!(c.is_some() && s.is_some(), "an empty list signs nothing");
    assert_eq!(scheme, None);
    let (errors, scheme) = run(
        glasstls::Version::Tls12,
        vec![S::rsa_pkcs1_sha384, S::rsa_pss_rsae_sha256],
    );
    assert_eq!(errors, (None, None));
    assert_eq!(scheme, Some(S::rsa_pkcs1_sha384));
    // TLS 1.3 forbids PKCS #1 v1.5 in CertificateVerify (RFC 8446 §4.4.3), so it is skipped.
    let (errors, scheme) = run(
        glasstls::Version::Tls13,
        vec![S::rsa_pkcs1_sha384, S::rsa_pss_rsae_sha512],
    );
    assert_eq!(errors, (None, None));
    assert_eq!(scheme, Some(S::rsa_pss_rsae_sha512));
    let ((_, server), _) = run(glasstls::Version::Tls13, vec![S::rsa_pkcs1_sha256]);
    assert!(
        matches!(server, Some(Error::PeerIncompatible(_))),
        "{server:?}"
    );
}

/// An identity whose key is not its certificate's is refused when it is made, not at every
/// handshake (where the signature would fail: decrypt_error).
#[test]
fn an_identity_whose_key_is_not_its_certificates_is_refused() {
    let pki = Pki::new();
    let mismatched = glasstls::Identity::new(pki.ecdsa.chain.clone(), &pki.rsa.key_der());
    assert!(
        matches!(
            mismatched,
            Err(glasstls::Error::Config(
                glasstls::error::ConfigError::KeyMismatch { files: None }
            ))
        ),
        "{mismatched:?}"
    );
    assert!(glasstls::Identity::new(pki.ecdsa.chain.clone(), &pki.ecdsa.key_der()).is_ok());
    assert!(glasstls::Identity::new(pki.rsa.chain.clone(), &pki.rsa.key_der()).is_ok());
}
