//! What the server decides from a ClientHello and its configuration, as pure functions: the
//! version, the TLS 1.2 suite with its certificate, group and signature scheme, the TLS 1.3
//! suite, certificate and group (or a HelloRetryRequest), ALPN, and whether an offered session
//! may be resumed. The states in `tls12` and `tls13` act on these decisions; nothing here
//! sends, traces or draws randomness.

use crate::config::{Common, Identity, ServerConfig};
use crate::crypto::{KeyExchange, Suite, Suite13};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::session::{Session, SessionSecrets};
use crate::trace::RefusalReason;
use crate::version::Version;
use crate::wire::{
    CipherSuite, ClientHello, Extension, ExtensionType, KeyShareEntry, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use rustls_pki_types::UnixTime;

/// RFC 8446 §4.2.9: psk_dhe_ke, the only PSK mode we use (forward secrecy kept).
pub(super) const PSK_DHE_KE: u8 = 1;

/// The version to negotiate.
///
/// RFC 8446 §4.2.1: "If this extension is present in the ClientHello, servers MUST NOT use the
/// ClientHello.legacy_version value for version negotiation and MUST use only the
/// "supported_versions" extension to determine client preferences. Servers MUST only select a
/// version of TLS present in that extension and MUST ignore any unknown versions". Without the
/// extension, "servers which are compliant with this specification and which also support TLS
/// 1.2 MUST negotiate TLS 1.2 or prior as specified in [RFC5246], even if
/// ClientHello.legacy_version is 0x0304 or later" (and RFC 5246 Appendix E.1: a client_version
/// below ours gets protocol_version).
///
/// RFC 7507 §3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites and the highest
/// protocol version supported by the server is higher than the version indicated in
/// ClientHello.client_version, the server MUST respond with a fatal inappropriate_fallback
/// alert". With supported_versions, the version the client indicates is the highest it lists.
pub(super) fn choose_version(common: &Common, hello: &ClientHello) -> Result<Version, Error> {
    // RFC 5246 §7.4.1.2: the list "MUST contain" null compression.
    if !hello.compression_methods.contains(&0) {
        return Err(PeerMisbehaved::NoNullCompression.into());
    }
    let tls13 = !common.tls13_suites().is_empty();
    let tls12 = common.enables(Version::Tls12);
    // The fallback signal is judged first: a client that falls back below our highest version
    // (even to one we do not speak) is told so, not that its version is too low.
    let client_highest = match hello.find(ExtensionType::SupportedVersions) {
        Some(Extension::SupportedVersions(offered)) => offered
            .iter()
            .copied()
            .filter(|v| v.0 >> 8 == 3)
            .max()
            .unwrap_or(hello.client_version),
        _ => hello.client_version,
    };
    let ours_highest = if tls13 {
        ProtocolVersion::TLSv1_3
    } else {
        ProtocolVersion::TLSv1_2
    };
    if client_highest < ours_highest
        && hello
            .cipher_suites
            .contains(&CipherSuite::TLS_FALLBACK_SCSV)
    {
        return Err(PeerMisbehaved::InappropriateFallback.into());
    }
    let chosen = match hello.find(ExtensionType::SupportedVersions) {
        Some(Extension::SupportedVersions(offered)) => {
            if tls13 && offered.contains(&ProtocolVersion::TLSv1_3) {
                Version::Tls13
            } else if tls12 && offered.contains(&ProtocolVersion::TLSv1_2) {
                Version::Tls12
            } else if !tls12 && offered.contains(&ProtocolVersion::TLSv1_2) {
                return Err(PeerIncompatible::ClientLacksTls13.into());
            } else {
                return Err(PeerIncompatible::NoVersionInCommon(offered.clone()).into());
            }
        }
        _ if hello.client_version < ProtocolVersion::TLSv1_2 => {
            return Err(PeerIncompatible::VersionTooLow(hello.client_version).into());
        }
        _ if tls12 => Version::Tls12,
        _ => return Err(PeerIncompatible::ClientLacksTls13.into()),
    };
    Ok(chosen)
}

/// RFC 7301 §3.2: the server's first preference the client also offers; with none in
/// common, "the server MUST respond with a fatal "no_application_protocol" alert".
pub(super) fn choose_alpn(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    let ours = &config.common.alpn_protocols;
    let Some(Extension::Alpn(theirs)) = hello.find(ExtensionType::Alpn) else {
        return Ok(None);
    };
    if ours.is_empty() {
        return Ok(None);
    }
    match ours.iter().find(|p| theirs.contains(p)) {
        Some(p) => Ok(Some(p.clone())),
        None => Err(PeerIncompatible::NoApplicationProtocol.into()),
    }
}

/// Whether the client's psk_key_exchange_modes includes psk_dhe_ke (RFC 8446 §4.2.9).
pub(super) fn client_takes_psk_dhe_ke(hello: &ClientHello) -> bool {
    matches!(hello.find(ExtensionType::PskKeyExchangeModes), Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PSK_DHE_KE))
}

/// RFC 5746 §3.6: the client signals secure renegotiation with an empty renegotiation_info or
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV; a non-empty one on the initial handshake "MUST" abort
/// with handshake_failure. Returns whether the client signalled.
pub(super) fn secure_renegotiation(hello: &ClientHello) -> Result<bool, Error> {
    let scsv = hello
        .cipher_suites
        .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    match hello.find(ExtensionType::RenegotiationInfo) {
        Some(Extension::RenegotiationInfo(data)) if !data.is_empty() => {
            Err(PeerMisbehaved::NonEmptyRenegotiationInfo.into())
        }
        Some(_) => Ok(true),
        None => Ok(scsv),
    }
}

/// What the server settled on for a TLS 1.2 full handshake.
pub(super) struct Choice12<'a> {
    pub suite: &'static Suite,
    pub identity: &'a Identity,
    /// Group and signature scheme, for ECDHE suites.
    pub ecdhe: Option<(NamedGroup, SignatureScheme)>,
}

/// Picks the TLS 1.2 suite in the client's order of preference (the client knows whether it
/// has AES hardware), among the suites this server enables, for which we hold a fitting
/// certificate and, for ECDHE, share a group and a signature scheme with the client.
pub(super) fn choose12<'a>(
    common: &Common,
    hello: &ClientHello,
    identities: &[&'a Identity],
    server_order: bool,
) -> Result<Choice12<'a>, Error> {
    let enabled = common.tls12_suites();
    let in_order = in_preference_order(&enabled, &hello.cipher_suites, server_order, |s| s.suite);
    let client_groups = match hello.find(ExtensionType::SupportedGroups) {
        Some(Extension::SupportedGroups(g)) => Some(g.as_slice()),
        _ => None,
    };
    let client_schemes: &[SignatureScheme] = match hello.find(ExtensionType::SignatureAlgorithms) {
        Some(Extension::SignatureAlgorithms(s)) => s,
        // RFC 5246 §7.4.1.4.1: without the extension the client supports only SHA-1
        // signatures, which we do not make: ECDHE is then impossible.
        _ => &[],
    };
    // RFC 8422 §4: with no supported_groups the client "supports" any; we take our first.
    let group = common
        .tls12_groups()
        .into_iter()
        .find(|g| client_groups.is_none_or(|c| c.contains(g)));
    for suite in in_order {
        // RFC 8422 §5.1: "A server participating in an ECDHE_ECDSA key exchange may use
        // different curves for the ECDSA or EdDSA key in its certificate and for the
        // ephemeral ECDH key in the ServerKeyExchange message. The server MUST consider the
        // extensions in both cases."
        let usable = |i: &&&Identity| {
            suite.auth.fits(i.key.kind())
                && i.key
                    .ecdsa_curve()
                    .is_none_or(|curve| client_groups.is_none_or(|c| c.contains(&curve)))
        };
        for identity in identities.iter().filter(usable) {
            match suite.kx {
                KeyExchange::Rsa => {
                    return Ok(Choice12 {
                        suite,
                        identity,
                        ecdhe: None,
                    });
                }
                KeyExchange::Ecdhe => {
                    let scheme = identity
                        .signing_schemes(Version::Tls12)
                        .find(|s| client_schemes.contains(s));
                    if let (Some(group), Some(scheme)) = (group, scheme) {
                        return Ok(Choice12 {
                            suite,
                            identity,
                            ecdhe: Some((group, scheme)),
                        });
                    }
                }
            }
        }
    }
    Err(PeerIncompatible::NoCommonSuite.into())
}

/// What the ClientHello says about resuming a TLS 1.2 session.
pub(super) struct Hello12 {
    pub server_name: Option<String>,
    pub ems: bool,
}

/// Whether an offered TLS 1.2 session may be resumed by this ClientHello: `Ok(Ok(()))` yes,
/// `Ok(Err(reason))` a full handshake instead (RFC 5246 §7.4.1.2: "the server ... may choose
/// to generate a new session ID"), `Err` the one case that ends the connection.
pub(super) fn resumable12(
    common: &Common,
    session: &Session,
    hello: &ClientHello,
    offer: &Hello12,
    now: UnixTime,
) -> Result<Result<(), RefusalReason>, Error> {
    if session.is_expired(now) {
        return Ok(Err(RefusalReason::Expired));
    }
    let SessionSecrets::Tls12 {
        extended_master_secret,
        ..
    } = &session.secrets
    else {
        return Ok(Err(RefusalReason::OtherVersion));
    };
    if !session.is_for_server_name(offer.server_name.as_deref()) {
        return Ok(Err(RefusalReason::OtherServerName));
    }
    // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but
    // the new ClientHello does not contain it, the server MUST abort the abbreviated
    // handshake." / "If the original session did not use the extension but the new
    // ClientHello contains the extension, then the server MUST NOT perform the abbreviated
    // handshake. Instead, it SHOULD continue with a full handshake". The contrast between the
    // two bullets ("abort" against "continue with a full handshake") makes the first fatal, as
    // OpenSSL and BoringSSL read it: a session whose master secret was bound to its handshake
    // is offered without that binding, which is what the triple-handshake attack needs.
    match (*extended_master_secret, offer.ems) {
        (true, false) => return Err(PeerMisbehaved::EmsDroppedOnResumption.into()),
        (false, true) => return Ok(Err(RefusalReason::EmsDiffers)),
        _ => {}
    }
    // RFC 5246 §7.4.1.2: the client "MUST include at least the cipher_suite from that
    // session"; we also still have to enable it.
    let usable = common
        .tls12_suites()
        .iter()
        .any(|s| s.suite == session.cipher_suite)
        && hello.cipher_suites.contains(&session.cipher_suite);
    if !usable {
        return Ok(Err(RefusalReason::SuiteUnavailable));
    }
    Ok(Ok(()))
}

/// What an `IdentityResolver` is told of `hello`.
pub(super) fn hello_info<'a>(
    hello: &'a ClientHello,
    server_name: Option<&'a str>,
) -> crate::config::HelloInfo<'a> {
    crate::config::HelloInfo {
        server_name,
        signature_schemes: match hello.find(ExtensionType::SignatureAlgorithms) {
            Some(Extension::SignatureAlgorithms(schemes)) => schemes,
            _ => &[],
        },
        cipher_suites: &hello.cipher_suites,
    }
}

/// The TLS 1.3 suite: in the client's order among ours (or ours, with `server_order`).
pub(super) fn choose_suite13(
    common: &Common,
    hello: &ClientHello,
    server_order: bool,
) -> Result<&'static Suite13, Error> {
    let enabled = common.tls13_suites();
    in_preference_order(&enabled, &hello.cipher_suites, server_order, |s| s.suite)
        .next()
        .ok_or(PeerIncompatible::NoCommonSuiteTls13.into())
}

/// The suites both sides have, in the client's order or (`server_order`, nginx's
/// `ssl_prefer_server_ciphers`) in ours; lazily, with nothing allocated (this runs in every
/// handshake).
fn in_preference_order<'s, S: Copy>(
    enabled: &'s [S],
    offered: &'s [CipherSuite],
    server_order: bool,
    code: fn(&S) -> CipherSuite,
) -> impl Iterator<Item = S> + 's {
    let ours = server_order.then(|| {
        enabled
            .iter()
            .filter(move |s| offered.contains(&code(s)))
            .copied()
    });
    let theirs = (!server_order).then(|| {
        offered
            .iter()
            .filter_map(move |o| enabled.iter().find(|s| code(s) == *o).copied())
    });
    ours.into_iter()
        .flatten()
        .chain(theirs.into_iter().flatten())
}

/// The first identity (in the resolver's order) with a TLS 1.3 scheme the client accepts.
pub(super) fn choose_identity13<'a>(
    identities: &[&'a Identity],
    client_schemes: &[SignatureScheme],
) -> Result<(&'a Identity, SignatureScheme), Error> {
    identities
        .iter()
        .find_map(|identity| {
            let scheme = identity
                .signing_schemes(Version::Tls13)
                .find(|s| client_schemes.contains(s))?;
            Some((*identity, scheme))
        })
        .ok_or(PeerIncompatible::NoCertificateSchemeInCommon.into())
}

/// How the TLS 1.3 key exchange proceeds.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeyExchange13<'a> {
    /// With this share of the client's.
    Share(&'a KeyShareEntry),
    /// RFC 8446 §4.1.4: a HelloRetryRequest asking for a share in this group.
    Retry(NamedGroup),
}

/// The group: the first of ours the client supports and sent a share for; else ask for the
/// first of ours it supports. After our HelloRetryRequest, exactly the share we asked for.
pub(super) fn choose_group13<'a>(
    ours: &[NamedGroup],
    client_groups: &[NamedGroup],
    client_shares: &'a [KeyShareEntry],
    asked: Option<NamedGroup>,
) -> Result<KeyExchange13<'a>, Error> {
    if let Some(asked) = asked {
        return match client_shares {
            [only] if only.group == asked => Ok(KeyExchange13::Share(only)),
            // "If the ... key_share ... does not contain exactly one KeyShareEntry for the
            // selected group, the server MUST abort with illegal_parameter."
            _ => Err(PeerMisbehaved::SecondHelloLacksShare.into()),
        };
    }
    let mut acceptable = ours.iter().filter(|g| client_groups.contains(g));
    if let Some(share) = acceptable
        .clone()
        .find_map(|g| client_shares.iter().find(|s| s.group == *g))
    {
        return Ok(KeyExchange13::Share(share));
    }
    match acceptable.next() {
        Some(group) => Ok(KeyExchange13::Retry(*group)),
        None => Err(PeerIncompatible::NoCommonGroup.into()),
    }
}

/// RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group.
/// Clients MUST NOT offer any KeyShareEntry values for groups not listed in the client's
/// "supported_groups" extension. Servers MAY check for violations of these rules and abort the
/// handshake with an "illegal_parameter" alert if one is violated."
pub(super) fn check_key_shares(
    groups: &[NamedGroup],
    shares: &[KeyShareEntry],
) -> Result<(), Error> {
    for (i, share) in shares.iter().enumerate() {
        if !groups.contains(&share.group)
            || shares.iter().skip(i + 1).any(|s| s.group == share.group)
        {
            return Err(PeerMisbehaved::KeySharesDoNotMatchGroups.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ServerNameEntry;

    fn hello(versions: Option<&[ProtocolVersion]>, legacy: ProtocolVersion) -> ClientHello {
        let mut extensions = vec![Extension::ServerName(vec![ServerNameEntry {
            name_type: 0,
            name: b"a.test".to_vec(),
        }])];
        if let Some(v) = versions {
            extensions.push(Extension::SupportedVersions(v.to_vec()));
        }
        ClientHello {
            client_version: legacy,
            random: [0; 32],
            session_id: Vec::new(),
            cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
            compression_methods: vec![0],
            extensions,
        }
    }

    #[test]
    fn the_version_follows_supported_versions_and_what_we_enable() {
        use ProtocolVersion as P;
        use Version::{Tls12, Tls13};
        let both = Common::default();
        let only13 = Common {
            versions: vec![Tls13],
            ..Common::default()
        };
        let only12 = Common {
            versions: vec![Tls12],
            ..Common::default()
        };
        let cases: [(&Common, ClientHello, Result<Version, Error>); 6] = [
            (
                &both,
                hello(Some(&[P::TLSv1_3, P::TLSv1_2]), P::TLSv1_2),
                Ok(Tls13),
            ),
            (&both, hello(None, P::TLSv1_2), Ok(Tls12)),
            (
                &only12,
                hello(Some(&[P::TLSv1_3, P::TLSv1_2]), P::TLSv1_2),
                Ok(Tls12),
            ),
            (
                &only13,
                hello(None, P::TLSv1_2),
                Err(PeerIncompatible::ClientLacksTls13.into()),
            ),
            (
                &both,
                hello(None, P::TLSv1_1),
                Err(PeerIncompatible::VersionTooLow(P::TLSv1_1).into()),
            ),
            // A future legacy version still negotiates what we share.
            (&both, hello(None, ProtocolVersion(0x0305)), Ok(Tls12)),
        ];
        for (i, (common, hello, expected)) in cases.into_iter().enumerate() {
            assert_eq!(choose_version(common, &hello), expected, "case {i}");
        }
    }

    fn identity(alg: &'static rcgen::SignatureAlgorithm) -> Identity {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        Identity::new(vec![cert.der().clone()], &der).unwrap()
    }

    fn hello12(
        suites: &[CipherSuite],
        groups: Option<&[NamedGroup]>,
        schemes: Option<&[SignatureScheme]>,
    ) -> ClientHello {
        let mut h = hello(None, ProtocolVersion::TLSv1_2);
        h.cipher_suites = suites.to_vec();
        if let Some(g) = groups {
            h.extensions.push(Extension::SupportedGroups(g.to_vec()));
        }
        if let Some(s) = schemes {
            h.extensions
                .push(Extension::SignatureAlgorithms(s.to_vec()));
        }
        h
    }

    #[test]
    fn the_tls12_suite_follows_the_client_s_order_among_what_our_certificates_can_serve() {
        use CipherSuite as S;
        use NamedGroup as G;
        use SignatureScheme as Sig;
        let rsa = identity(&rcgen::PKCS_RSA_SHA256);
        let p256 = identity(&rcgen::PKCS_ECDSA_P256_SHA256);
        let ed25519 = identity(&rcgen::PKCS_ED25519);
        let all_schemes = crate::crypto::VERIFY_SCHEMES;
        let with_rsa_kx = Common {
            rsa_key_exchange: true,
            ..Common::default()
        };
        let defaults = Common::default();
        // (common, hello, identities) → (suite, key, group, scheme), or no suite in common.
        type Want = Option<(S, crate::crypto::KeyKind, Option<(G, Sig)>)>;
        let cases: Vec<(&Common, ClientHello, Vec<&Identity>, Want)> = vec![
            // The client's first suite wins, with the certificate it needs.
            (
                &defaults,
                hello12(
                    &[
                        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    ],
                    Some(&[G::X25519, G::secp256r1]),
                    Some(all_schemes),
                ),
                vec![&p256, &rsa],
                Some((
                    S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    crate::crypto::KeyKind::Rsa,
                    Some((G::X25519, Sig::rsa_pss_rsae_sha256)),
                )),
            ),
            // RFC 8422 §5.1: an ECDSA certificate needs its curve among the client's groups.
            (
                &defaults,
                hello12(
                    &[S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
                    Some(&[G::X25519]),
                    Some(all_schemes),
                ),
                vec![&p256],
                None,
            ),
            (
                &defaults,
                hello12(
                    &[S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
                    Some(&[G::X25519, G::secp256r1]),
                    Some(all_schemes),
                ),
                vec![&p256],
                Some((
                    S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    crate::crypto::KeyKind::Ecdsa,
                    Some((G::X25519, Sig::ecdsa_secp256r1_sha256)),
                )),
            ),
            // RFC 8422 §5.3: an Ed25519 certificate serves the ECDHE_ECDSA suites.
            (
                &defaults,
                hello12(
                    &[S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
                    Some(&[G::X25519]),
                    Some(all_schemes),
                ),
                vec![&ed25519],
                Some((
                    S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                    crate::crypto::KeyKind::Ed25519,
                    Some((G::X25519, Sig::ed25519)),
                )),
            ),
            // Without signature_algorithms ECDHE is impossible (SHA-1 only, RFC 5246
            // §7.4.1.4.1); the RSA key exchange needs no signature, if it is on.
            (
                &with_rsa_kx,
                hello12(
                    &[
                        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                        S::TLS_RSA_WITH_AES_128_GCM_SHA256,
                    ],
                    Some(&[G::X25519]),
                    None,
                ),
                vec![&rsa],
                Some((
                    S::TLS_RSA_WITH_AES_128_GCM_SHA256,
                    crate::crypto::KeyKind::Rsa,
                    None,
                )),
            ),
            (
                &defaults,
                hello12(
                    &[S::TLS_RSA_WITH_AES_128_GCM_SHA256],
                    Some(&[G::X25519]),
                    Some(all_schemes),
                ),
                vec![&rsa],
                None,
            ),
            // No supported_groups: any group (RFC 8422 §4), so our first TLS 1.2 one.
            (
                &defaults,
                hello12(
                    &[S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
                    None,
                    Some(all_schemes),
                ),
                vec![&rsa],
                Some((
                    S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    crate::crypto::KeyKind::Rsa,
                    Some((G::X25519, Sig::rsa_pss_rsae_sha256)),
                )),
            ),
        ];
        for (i, (common, hello, identities, want)) in cases.into_iter().enumerate() {
            let got = choose12(common, &hello, &identities, false)
                .map(|c| (c.suite.suite, c.identity.key.kind(), c.ecdhe))
                .ok();
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn a_tls12_session_resumes_only_in_the_state_it_was_made_in() {
        use std::time::Duration;
        let session = |version: Version, ems: bool| Session {
            cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            created: 1000,
            lifetime: Duration::from_secs(100),
            ticket: Vec::new(),
            server_name: Some("a.test".into()),
            alpn_protocol: None,
            peer_certificates: Vec::new(),
            group: None,
            signature_scheme: None,
            secrets: match version {
                Version::Tls12 => SessionSecrets::Tls12 {
                    master_secret: crate::tls12::MasterSecret::from_bytes([1; 48]),
                    extended_master_secret: ems,
                    session_id: vec![2; 32],
                },
                Version::Tls13 => SessionSecrets::Tls13 {
                    psk: crate::tls13::Secret::new(&[3; 32]),
                    age_add: 0,
                    received_ms: 0,
                },
            },
        };
        let now = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let offer = |name: &str, ems| Hello12 {
            server_name: Some(name.into()),
            ems,
        };
        let offered = hello12(
            &[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
            None,
            None,
        );
        let other_suite = hello12(
            &[CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384],
            None,
            None,
        );
        let common = Common::default();
        use RefusalReason as R;
        let cases = [
            (
                session(Version::Tls12, true),
                &offered,
                offer("a.test", true),
                now(1050),
                Ok(Ok(())),
            ),
            (
                session(Version::Tls12, true),
                &offered,
                offer("A.TEST", true),
                now(1050),
                Ok(Ok(())),
            ),
            (
                session(Version::Tls12, true),
                &offered,
                offer("a.test", true),
                now(1100),
                Ok(Err(R::Expired)),
            ),
            (
                session(Version::Tls13, true),
                &offered,
                offer("a.test", true),
                now(1050),
                Ok(Err(R::OtherVersion)),
            ),
            (
                session(Version::Tls12, true),
                &offered,
                offer("b.test", true),
                now(1050),
                Ok(Err(R::OtherServerName)),
            ),
            (
                session(Version::Tls12, true),
                &offered,
                offer("a.test", false),
                now(1050),
                Err(PeerMisbehaved::EmsDroppedOnResumption.into()),
            ),
            (
                session(Version::Tls12, false),
                &offered,
                offer("a.test", true),
                now(1050),
                Ok(Err(R::EmsDiffers)),
            ),
            (
                session(Version::Tls12, true),
                &other_suite,
                offer("a.test", true),
                now(1050),
                Ok(Err(R::SuiteUnavailable)),
            ),
        ];
        for (i, (session, hello, offer, at, want)) in cases.into_iter().enumerate() {
            assert_eq!(
                resumable12(&common, &session, hello, &offer, at),
                want,
                "case {i}"
            );
        }
    }

    fn share(group: NamedGroup) -> KeyShareEntry {
        KeyShareEntry {
            group,
            key_exchange: vec![1; 32],
        }
    }

    #[test]
    fn the_tls13_group_is_ours_first_among_the_shares_else_a_retry() {
        use NamedGroup as G;
        let ours = [G::X25519MLKEM768, G::X25519, G::secp256r1];
        let x25519 = [share(G::X25519)];
        let p256 = [share(G::secp256r1)];
        let both = [share(G::secp256r1), share(G::X25519)];
        type Case<'a> = (
            &'a [G],
            &'a [KeyShareEntry],
            Option<G>,
            Result<KeyExchange13<'a>, Error>,
        );
        let cases: [Case<'_>; 6] = [
            (
                &[G::X25519],
                &x25519,
                None,
                Ok(KeyExchange13::Share(&x25519[0])),
            ),
            // Our preference among the shares, not the client's order.
            (
                &[G::secp256r1, G::X25519],
                &both,
                None,
                Ok(KeyExchange13::Share(&both[1])),
            ),
            // No share we accept: ask for the first group we share.
            (
                &[G::secp384r1, G::secp256r1, G::X25519],
                &[],
                None,
                Ok(KeyExchange13::Retry(G::X25519)),
            ),
            (
                &[G::secp384r1],
                &[],
                None,
                Err(PeerIncompatible::NoCommonGroup.into()),
            ),
            // After the retry, exactly the share asked for.
            (
                &[G::secp256r1],
                &p256,
                Some(G::secp256r1),
                Ok(KeyExchange13::Share(&p256[0])),
            ),
            (
                &[G::secp256r1, G::X25519],
                &both,
                Some(G::secp256r1),
                Err(PeerMisbehaved::SecondHelloLacksShare.into()),
            ),
        ];
        for (i, (groups, shares, asked, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                choose_group13(&ours, groups, shares, asked),
                expected,
                "case {i}"
            );
        }
    }

    #[test]
    fn key_shares_must_match_supported_groups() {
        use NamedGroup as G;
        assert!(check_key_shares(&[G::X25519], &[share(G::X25519)]).is_ok());
        for shares in [
            vec![share(G::secp256r1)],
            vec![share(G::X25519), share(G::X25519)],
        ] {
            assert_eq!(
                check_key_shares(&[G::X25519], &shares),
                Err(PeerMisbehaved::KeySharesDoNotMatchGroups.into())
            );
        }
    }
}
