//! The ClientHello: what it offers is decided by a pure function of the configuration and the
//! cached session ([`plan`]); [`send_client_hello`] then draws the randoms and key shares,
//! writes the hello and sends it. What was sent ([`HelloSent`]) is what the ServerHello is
//! checked against, in both versions.

use super::ech::{self, EchOffer};
use crate::config::ClientConfig;
use crate::conn::{Core, Transcript};
use crate::crypto::{self, KeyExchange, KeyShare};
use crate::ech::EchMode;
use crate::error::{ConfigError, Error, InternalError, PeerMisbehaved};
use crate::session::{Resumption, Session, SessionSecrets};
use crate::tls13::{EarlySecret, psk_binder};
use crate::trace::Decision;
use crate::version::Version;
use crate::wire::{
    CipherSuite, ClientHello, Codec, Extension, HandshakeMessage, HandshakePayload as P,
    KeyShareEntry, NamedGroup, OfferedPsks, PskIdentity, ServerNameEntry,
};
use rustls_pki_types::{ServerName, UnixTime};
use std::sync::Arc;

/// RFC 8446 §4.2.9: psk_dhe_ke, the only PSK mode we offer (forward secrecy kept).
pub(crate) const PSK_DHE_KE: u8 = 1;

/// What a ClientHello offers, decided before any randomness is drawn.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The versions offered, best first.
    pub versions: Vec<Version>,
    /// The suites offered: TLS 1.3's first, then TLS 1.2's.
    pub suites: Vec<CipherSuite>,
    /// supported_groups.
    pub groups: Vec<NamedGroup>,
    /// The groups a key share is sent for (TLS 1.3): the first, plus X25519 when the first is
    /// the post-quantum hybrid, so that a server without the hybrid needs no retry.
    pub shares: Vec<NamedGroup>,
    /// Whether a TLS 1.2 ECDHE suite is offered (supported_groups and ec_point_formats).
    pub ecdhe12: bool,
    /// The cached session offered, and how.
    pub resume: Resume,
}

/// Which cached session a ClientHello offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// None: a first contact, or nothing usable is cached.
    Nothing,
    /// A TLS 1.2 session, by session ID or by ticket (RFC 5077 §3.4).
    Tls12(Resumption),
    /// A TLS 1.3 ticket as a PSK (RFC 8446 §4.2.11).
    Tls13,
}

/// Decides what to offer, from the configuration and the session cached for this server;
/// `tls13_only` for the inner hello of an Encrypted Client Hello offer (RFC 9849 §6.1: it
/// "MUST NOT offer to negotiate TLS 1.2 or below"; the outer hello is planned without it, and
/// without a session).
pub(crate) fn plan(
    config: &ClientConfig,
    cached: Option<&Session>,
    tls13_only: bool,
) -> Result<Plan, Error> {
    let suites12 = match tls13_only {
        true => Vec::new(),
        false => config.common.tls12_suites(),
    };
    let suites13 = config.common.tls13_suites();
    if suites12.is_empty() && suites13.is_empty() {
        return Err(ConfigError::NoCipherSuite.into());
    }
    let (offer13, offer12) = (!suites13.is_empty(), !suites12.is_empty());
    let versions = [(offer13, Version::Tls13), (offer12, Version::Tls12)]
        .into_iter()
        .filter_map(|(on, v)| on.then_some(v))
        .collect();
    let groups = if offer13 {
        config.common.groups()
    } else {
        config.common.tls12_groups()
    };
    let mut shares = Vec::new();
    if let (true, Some(&first)) = (offer13, groups.first()) {
        shares.push(first);
        if first == NamedGroup::X25519MLKEM768 {
            shares.extend(
                groups
                    .iter()
                    .find(|g| crypto::group_usable_in_tls12(**g))
                    .copied(),
            );
        }
    }
    let resume = match cached {
        Some(s) if s.version() == Version::Tls13 && offer13 => {
            let usable =
                !s.ticket().is_empty() && suites13.iter().any(|x| x.suite == s.cipher_suite());
            if usable {
                Resume::Tls13
            } else {
                Resume::Nothing
            }
        }
        Some(s) if s.version() == Version::Tls12 && offer12 => {
            if !suites12.iter().any(|x| x.suite == s.cipher_suite()) {
                Resume::Nothing
            } else if config.tickets && !s.ticket().is_empty() {
                Resume::Tls12(Resumption::Ticket)
            } else if !s.session_id().is_empty() {
                Resume::Tls12(Resumption::SessionId)
            } else {
                Resume::Nothing
            }
        }
        _ => Resume::Nothing,
    };
    Ok(Plan {
        versions,
        suites: suites13
            .iter()
            .map(|s| s.suite)
            .chain(suites12.iter().map(|s| s.suite))
            .collect(),
        groups,
        shares,
        ecdhe12: suites12.iter().any(|s| s.kx == KeyExchange::Ecdhe),
        resume,
    })
}

/// A TLS 1.3 session offered as a PSK, with the Early Secret it makes: computed once for the
/// binder (again after a HelloRetryRequest) and, if the server takes it, the key schedule.
pub(crate) struct PskOffer {
    pub session: Session,
    pub early: EarlySecret,
}

/// A TLS 1.2 session offered, and the session ID that will tell us the server took it.
pub(crate) struct SessionOffer {
    pub session: Session,
    pub session_id: Vec<u8>,
    pub by: Resumption,
}

/// What a ClientHello sent, for checking the server's answer: the state that expects the
/// ServerHello (its `State` is in `client/mod.rs`).
pub(crate) struct ExpectServerHello {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    pub transcript: Transcript,
    pub client_random: [u8; 32],
    /// The hello as sent (a HelloRetryRequest makes us send it again, changed).
    pub hello: ClientHello,
    /// Our TLS 1.3 key shares.
    pub shares: Vec<KeyShare>,
    pub offered13: bool,
    pub session_offer: Option<SessionOffer>,
    pub psk_offer: Option<PskOffer>,
    /// Set after a HelloRetryRequest: the suite it chose.
    pub retry_suite: Option<CipherSuite>,
    /// Whether TLS 1.2 was offered (with Encrypted Client Hello, by the outer hello only: an
    /// answer in TLS 1.2 is a rejection).
    pub offered12: bool,
    /// An Encrypted Client Hello offer: `hello` is then the inner ClientHello, the one the
    /// handshake runs on if the server accepts, and this holds the outer one.
    pub ech: Option<Box<EchOffer>>,
    /// Whether an encrypted_client_hello went out, real or GREASE: the server may then answer
    /// with one (in a HelloRetryRequest or EncryptedExtensions).
    pub ech_sent: bool,
    /// Set when the server did not accept our offer: `hello` is then the outer one.
    pub ech_rejected: Option<Box<ech::Rejected>>,
}

/// Sessions are kept per server name (a DNS name, or an IP address written out).
pub(crate) fn cache_key(server_name: &ServerName<'_>) -> Vec<u8> {
    server_name.to_str().as_bytes().to_vec()
}

/// Plans, builds and sends the first ClientHello.
pub(crate) fn send_client_hello(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    core: &mut Core,
) -> Result<ExpectServerHello, Error> {
    let cached = config
        .session_cache
        .as_ref()
        .and_then(|cache| cache.get(&cache_key(&server_name)))
        .and_then(|bytes| Session::decode(&bytes).ok());
    // RFC 8446 §4.6.1 and RFC 5077 §3.3: a session past its lifetime is not offered, and is
    // forgotten.
    let cached = match cached {
        Some(session) if session.is_expired(core.now) => {
            if let Some(cache) = &config.session_cache {
                cache.take(&cache_key(&server_name));
            }
            core.decide(|| Decision::CachedSessionExpired {
                server_name: server_name.to_str().into_owned(),
            });
            None
        }
        other => other,
    };
    // RFC 9849 §6.1: offer ECH with the first usable config, when TLS 1.3 is on.
    let (configs, is_retry) = match &config.ech {
        EchMode::Offer(configs) => (configs.as_slice(), false),
        EchMode::Retry(configs) => (configs.as_slice(), true),
        _ => (&[][..], false),
    };
    let chosen = ech::choose(configs).filter(|_| !config.common.tls13_suites().is_empty());
    let plan = plan(&config, cached.as_ref(), chosen.is_some())?;
    // With ECH the outer hello offers every version we speak (a server that rejects ECH may
    // answer in TLS 1.2, which RFC 9849 §6.1.6 treats as ECH securely disabled) and no
    // session: what the outer hello offers, an eavesdropper reads.
    let outer_plan = match chosen {
        Some(_) => Some(self::plan(&config, None, false)?),
        None => None,
    };
    let offered12 = outer_plan
        .as_ref()
        .unwrap_or(&plan)
        .versions
        .contains(&Version::Tls12);
    let offered13 = plan.versions.contains(&Version::Tls13);

    // Randomness is drawn in this order: the client random, the key shares, then a session ID.
    let client_random = crypto::random_bytes::<32>()?;
    let shares = plan
        .shares
        .iter()
        .map(|g| KeyShare::generate(*g))
        .collect::<Result<Vec<_>, _>>()?;
    let (session_offer, psk_offer) = offers(plan.resume, cached)?;
    // RFC 8446 §D.4: in middlebox compatibility mode the client sends a fresh 32-byte session
    // ID, so TLS 1.3 looks like a TLS 1.2 resumption to boxes on the path.
    let session_id = match &session_offer {
        Some(o) => o.session_id.clone(),
        None if offered13 => crypto::random_bytes::<32>()?.to_vec(),
        None => Vec::new(),
    };

    trace_offers(
        core,
        &server_name,
        session_offer.as_ref(),
        psk_offer.is_some(),
    );
    let offered = Offered {
        config: &config,
        server_name: &server_name,
        plan: &plan,
        offered12,
        shares: &shares,
        session_offer: session_offer.as_ref(),
        psk_offer: psk_offer.as_ref(),
        now: core.now,
    };
    // The inner hello (or the only one) offers TLS 1.2 only without ECH.
    let offered = Offered {
        offered12: offered12 && outer_plan.is_none(),
        ..offered
    };
    let mut hello = ClientHello {
        client_version: crate::wire::ProtocolVersion::TLSv1_2,
        random: client_random,
        session_id,
        cipher_suites: plan.suites.clone(),
        compression_methods: vec![0],
        extensions: offered.extensions(),
    };
    // RFC 9849 §5: the inner hello carries ECH of type inner; without a config, GREASE
    // (§6.2.1), if TLS 1.3 is offered and GREASE is not turned off.
    let ech_extension = match (&chosen, &config.ech) {
        (Some(_), _) => Some(ech::inner_extension()),
        (None, EchMode::Off) => None,
        (None, _) if offered13 => Some(ech::grease()?),
        (None, _) => None,
    };
    let ech_sent = ech_extension.is_some();
    if let Some(ext) = ech_extension {
        hello.insert_before_psk(ext);
    }
    if let Some(offer) = &psk_offer {
        fill_binder(&mut hello, offer, None)?;
    }
    core.info.offered_suites = hello.cipher_suites.clone();
    core.info.offered_alpn = config.common.alpn_protocols.clone();
    let mut transcript = Transcript::new();
    // A TLS 1.2 CertificateVerify signs the messages themselves (RFC 5246 §7.4.8).
    if config.identity.is_some() {
        transcript.keep_messages();
    }
    let ech = match chosen {
        Some(chosen) => {
            // RFC 9849 §6.1: the outer hello has the public name, a fresh random, the same
            // session ID and key shares, the suites of every version we speak, and no session
            // (§6.1.2: no PSK).
            let public_name = ServerName::try_from(chosen.config.public_name.clone())
                .map_err(|_| InternalError::StateInvariant)?;
            let outer_plan = outer_plan.as_ref().unwrap_or(&plan);
            let mut outer = ClientHello {
                random: crypto::random_bytes::<32>()?,
                cipher_suites: outer_plan.suites.clone(),
                extensions: Offered {
                    server_name: &public_name,
                    plan: outer_plan,
                    offered12,
                    session_offer: None,
                    psk_offer: None,
                    ..offered
                }
                .extensions(),
                ..hello.clone()
            };
            outer.extensions.extend(ech::grease_psk(&hello)?);
            let mut offer = ech::offer(&chosen, &hello, outer, is_retry)?;
            core.info.ech = crate::conn::EchStatus::Rejected;
            core.decide(|| Decision::EchOffered {
                public_name: chosen.config.public_name.clone(),
                server_name: match &server_name {
                    ServerName::DnsName(dns) => dns.as_ref().to_string(),
                    _ => String::new(),
                },
                config_id: chosen.config.config_id,
                encoded_len: offer.encoded_len,
            });
            ech::send(core, &mut offer, &hello, &mut transcript)?;
            Some(Box::new(offer))
        }
        None => {
            if ech_sent {
                core.info.ech = crate::conn::EchStatus::Grease;
                core.decide(|| Decision::EchGreaseSent);
            }
            core.send_handshake(
                &HandshakeMessage::new(P::ClientHello(hello.clone())),
                &mut transcript,
            )?;
            None
        }
    };
    core.info.offered_groups = plan.groups;
    Ok(ExpectServerHello {
        config,
        server_name,
        transcript,
        client_random,
        hello,
        shares,
        offered13,
        session_offer,
        psk_offer,
        retry_suite: None,
        offered12,
        ech,
        ech_sent,
        ech_rejected: None,
    })
}

/// Records the name asked for, and traces the sessions offered.
fn trace_offers(
    core: &mut Core,
    server_name: &ServerName<'_>,
    session_offer: Option<&SessionOffer>,
    psk_offered: bool,
) {
    if let ServerName::DnsName(dns) = server_name {
        core.info.server_name = Some(dns.as_ref().to_string());
    }
    let offered = [
        session_offer.map(|o| (Version::Tls12, o.by)),
        psk_offered.then_some((Version::Tls13, Resumption::Ticket)),
    ];
    for (version, by) in offered.into_iter().flatten() {
        core.decide(|| Decision::ResumptionOffered {
            version,
            server_name: server_name.to_str().into_owned(),
            by,
        });
    }
}

/// The cached session as the plan offers it: a TLS 1.2 session with the session ID that will
/// tell us the server took it, or a TLS 1.3 PSK with its Early Secret.
fn offers(
    resume: Resume,
    cached: Option<Session>,
) -> Result<(Option<SessionOffer>, Option<PskOffer>), Error> {
    Ok(match (resume, cached) {
        (Resume::Tls12(by), Some(session)) => {
            let session_id = match by {
                // RFC 5077 §3.4: "the client MAY generate and include a Session ID ... the
                // server MUST echo the same Session ID" when it accepts the ticket.
                Resumption::Ticket => crypto::random_bytes::<32>()?.to_vec(),
                Resumption::SessionId => session.session_id().to_vec(),
            };
            let offer = SessionOffer {
                session,
                session_id,
                by,
            };
            (Some(offer), None)
        }
        (Resume::Tls13, Some(session)) => {
            let early = match (&session.secrets, crypto::suite13(session.cipher_suite())) {
                (SessionSecrets::Tls13 { psk, .. }, Some(suite)) => {
                    EarlySecret::new(suite.hash, Some(psk))
                }
                _ => return Err(InternalError::StateInvariant.into()),
            };
            (None, Some(PskOffer { session, early }))
        }
        _ => (None, None),
    })
}

/// Everything the extensions are made from.
#[derive(Clone, Copy)]
struct Offered<'a> {
    config: &'a ClientConfig,
    server_name: &'a ServerName<'a>,
    plan: &'a Plan,
    offered12: bool,
    shares: &'a [KeyShare],
    session_offer: Option<&'a SessionOffer>,
    psk_offer: Option<&'a PskOffer>,
    now: UnixTime,
}

impl Offered<'_> {
    /// The hello's extensions, in the order we always send them.
    fn extensions(&self) -> Vec<Extension> {
        let Self {
            config,
            server_name,
            plan,
            offered12,
            shares,
            session_offer,
            psk_offer,
            now,
        } = *self;
        let offered13 = plan.versions.contains(&Version::Tls13);
        let mut extensions = Vec::new();
        // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
        if let ServerName::DnsName(dns) = server_name {
            extensions.push(Extension::ServerName(vec![ServerNameEntry {
                name_type: 0,
                name: dns.as_ref().as_bytes().to_vec(),
            }]));
        }
        if offered13 {
            // RFC 8446 §4.2.1: both versions, best first.
            extensions.push(Extension::SupportedVersions(
                plan.versions.iter().map(|v| v.wire()).collect(),
            ));
            extensions.push(Extension::KeyShares(
                shares
                    .iter()
                    .map(|s| KeyShareEntry {
                        group: s.group,
                        key_exchange: s.public.clone(),
                    })
                    .collect(),
            ));
        }
        if offered13 || plan.ecdhe12 {
            extensions.push(Extension::SupportedGroups(plan.groups.clone()));
        }
        if plan.ecdhe12 {
            // RFC 8422 §5.1.2: uncompressed is the only format.
            extensions.push(Extension::EcPointFormats(vec![0]));
        }
        extensions.push(Extension::SignatureAlgorithms(
            config.signature_schemes.clone(),
        ));
        if offered13 {
            // RFC 8446 §4.2.9: psk_dhe_ke, so the server may send us tickets (and take them).
            extensions.push(Extension::PskKeyExchangeModes(vec![PSK_DHE_KE]));
        }
        if offered12 {
            extensions.push(Extension::ExtendedMasterSecret);
            // RFC 5746 §3.4: on the initial handshake, an empty renegotiation_info.
            extensions.push(Extension::RenegotiationInfo(Vec::new()));
            if config.tickets {
                // RFC 5077 §3.2: an empty extension asks for a ticket; a non-empty one offers it.
                let ticket = session_offer
                    .filter(|o| o.by == Resumption::Ticket)
                    .map(|o| o.session.ticket().to_vec());
                extensions.push(Extension::SessionTicket(ticket.unwrap_or_default()));
            }
        }
        if !config.common.alpn_protocols.is_empty() {
            extensions.push(Extension::Alpn(config.common.alpn_protocols.clone()));
        }
        if let Some(offer) = psk_offer {
            extensions.push(psk_extension(&offer.session, now));
        }
        extensions
    }
}

/// RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension". §4.2.11.1:
/// "The "obfuscated_ticket_age" field of each PskIdentity contains an obfuscated version of the
/// ticket age formed by taking the age in milliseconds and adding the "ticket_age_add" value
/// that was included with the ticket, modulo 2^32." The binder is a placeholder of the right
/// length until the hello is complete (`fill_binder`).
fn psk_extension(session: &Session, now: UnixTime) -> Extension {
    let hash_len =
        crypto::suite13(session.cipher_suite()).map_or(32, |s| s.hash.digest().output_len);
    let (age_add, received_ms) = match &session.secrets {
        SessionSecrets::Tls13 {
            age_add,
            received_ms,
            ..
        } => (*age_add, *received_ms),
        SessionSecrets::Tls12 { .. } => (0, 0),
    };
    let age_ms = super::tls13::unix_ms(now).saturating_sub(received_ms);
    Extension::PreSharedKey(OfferedPsks {
        identities: vec![PskIdentity {
            identity: session.ticket().to_vec(),
            obfuscated_ticket_age: (age_ms as u32).wrapping_add(age_add),
        }],
        binders: vec![vec![0; hash_len]],
    })
}

/// RFC 8446 §4.2.11.2: fills in the binder, computed over the hello up to its binders
/// (`prefix` holds what came before, after a HelloRetryRequest).
pub(crate) fn fill_binder(
    hello: &mut ClientHello,
    offer: &PskOffer,
    prefix: Option<&Transcript>,
) -> Result<(), Error> {
    let suite = crypto::suite13(offer.session.cipher_suite())
        .ok_or(Error::Internal(InternalError::StateInvariant))?;
    let bytes = HandshakeMessage::new(P::ClientHello(hello.clone())).to_bytes();
    let Some(Extension::PreSharedKey(offered)) = hello.extensions.last_mut() else {
        return Err(Error::Internal(InternalError::StateInvariant));
    };
    let truncated = bytes
        .get(..bytes.len().saturating_sub(offered.binders_len()))
        .unwrap_or_default();
    offered.binders = vec![psk_binder(suite.hash, &offer.early, prefix, truncated)?];
    Ok(())
}

/// RFC 7301 §3.1: the server's answer "MUST contain exactly one" protocol, one we offered.
pub(crate) fn accept_alpn(
    core: &mut Core,
    config: &ClientConfig,
    protocols: &[Vec<u8>],
) -> Result<(), Error> {
    match protocols {
        [one] if config.common.alpn_protocols.contains(one) => {
            core.info.alpn_protocol = Some(one.clone());
            Ok(())
        }
        _ => Err(PeerMisbehaved::AlpnNotOffered.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionSecrets;
    use crate::tls12::MasterSecret;
    use crate::verify::RootStore;
    use std::time::Duration;

    fn config(versions: &[Version], groups: &[NamedGroup], tickets: bool) -> ClientConfig {
        let mut c = ClientConfig::new(RootStore::empty());
        c.common.versions = versions.to_vec();
        c.common.groups = groups.to_vec();
        c.tickets = tickets;
        c
    }

    fn session(version: Version, ticket: bool, session_id: bool) -> Session {
        Session {
            cipher_suite: match version {
                Version::Tls12 => CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                Version::Tls13 => CipherSuite::TLS_AES_128_GCM_SHA256,
            },
            created: 0,
            lifetime: Duration::from_secs(60),
            ticket: if ticket { vec![1; 40] } else { Vec::new() },
            server_name: Some("a.test".into()),
            alpn_protocol: None,
            peer_certificates: Vec::new(),
            group: None,
            signature_scheme: None,
            secrets: match version {
                Version::Tls12 => SessionSecrets::Tls12 {
                    master_secret: MasterSecret::from_bytes([7; 48]),
                    extended_master_secret: true,
                    session_id: if session_id { vec![2; 32] } else { Vec::new() },
                },
                Version::Tls13 => SessionSecrets::Tls13 {
                    psk: crate::tls13::Secret::new(&[3; 32]),
                    age_add: 9,
                    received_ms: 0,
                },
            },
        }
    }

    use NamedGroup as G;
    use Version::{Tls12, Tls13};

    #[test]
    fn what_a_client_hello_offers_follows_from_the_config_and_the_cache() {
        struct Case {
            versions: &'static [Version],
            groups: &'static [NamedGroup],
            tickets: bool,
            cached: Option<(Version, bool, bool)>,
            offers: &'static [Version],
            shares: &'static [NamedGroup],
            resume: Resume,
        }
        let all = &[G::X25519MLKEM768, G::X25519, G::secp256r1, G::secp384r1][..];
        let cases = [
            // Defaults: both versions, the hybrid share and an X25519 share beside it.
            Case {
                versions: &[Tls13, Tls12],
                groups: all,
                tickets: true,
                cached: None,
                offers: &[Tls13, Tls12],
                shares: &[G::X25519MLKEM768, G::X25519],
                resume: Resume::Nothing,
            },
            // A classical first group: one share.
            Case {
                versions: &[Tls13],
                groups: &[G::secp256r1, G::X25519],
                tickets: true,
                cached: None,
                offers: &[Tls13],
                shares: &[G::secp256r1],
                resume: Resume::Nothing,
            },
            // TLS 1.2 only: no shares, the hybrid is not offered at all.
            Case {
                versions: &[Tls12],
                groups: all,
                tickets: true,
                cached: None,
                offers: &[Tls12],
                shares: &[],
                resume: Resume::Nothing,
            },
            // A TLS 1.2 session with a ticket is offered by ticket, if tickets are on ...
            Case {
                versions: &[Tls13, Tls12],
                groups: all,
                tickets: true,
                cached: Some((Tls12, true, true)),
                offers: &[Tls13, Tls12],
                shares: &[G::X25519MLKEM768, G::X25519],
                resume: Resume::Tls12(Resumption::Ticket),
            },
            // ... else by its session ID.
            Case {
                versions: &[Tls12],
                groups: all,
                tickets: false,
                cached: Some((Tls12, true, true)),
                offers: &[Tls12],
                shares: &[],
                resume: Resume::Tls12(Resumption::SessionId),
            },
            // Neither: nothing to offer.
            Case {
                versions: &[Tls12],
                groups: all,
                tickets: false,
                cached: Some((Tls12, true, false)),
                offers: &[Tls12],
                shares: &[],
                resume: Resume::Nothing,
            },
            // A TLS 1.3 session is offered as a PSK, only when TLS 1.3 is offered.
            Case {
                versions: &[Tls13, Tls12],
                groups: all,
                tickets: true,
                cached: Some((Tls13, true, false)),
                offers: &[Tls13, Tls12],
                shares: &[G::X25519MLKEM768, G::X25519],
                resume: Resume::Tls13,
            },
            Case {
                versions: &[Tls12],
                groups: all,
                tickets: true,
                cached: Some((Tls13, true, false)),
                offers: &[Tls12],
                shares: &[],
                resume: Resume::Nothing,
            },
            // A TLS 1.2 session is not offered to a TLS 1.3-only config.
            Case {
                versions: &[Tls13],
                groups: all,
                tickets: true,
                cached: Some((Tls12, true, true)),
                offers: &[Tls13],
                shares: &[G::X25519MLKEM768, G::X25519],
                resume: Resume::Nothing,
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let config = config(case.versions, case.groups, case.tickets);
            let cached = case.cached.map(|(v, t, id)| session(v, t, id));
            let plan = plan(&config, cached.as_ref(), false).unwrap();
            assert_eq!(plan.versions, case.offers, "case {i}");
            assert_eq!(plan.shares, case.shares, "case {i}");
            assert_eq!(plan.resume, case.resume, "case {i}");
            assert!(
                case.offers.contains(&Tls13) || !plan.groups.contains(&G::X25519MLKEM768),
                "case {i}: the hybrid only with TLS 1.3"
            );
        }
    }

    #[test]
    fn a_session_whose_suite_is_no_longer_enabled_is_not_offered() {
        let mut config = config(&[Tls12], &[G::X25519], true);
        config.common.cipher_suites = vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384];
        let plan = plan(&config, Some(&session(Tls12, true, true)), false).unwrap();
        assert_eq!(plan.resume, Resume::Nothing);
    }

    #[test]
    fn no_enabled_suite_is_a_configuration_error() {
        let mut config = config(&[Tls12], &[G::X25519], true);
        config.common.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        assert_eq!(
            plan(&config, None, false).unwrap_err(),
            Error::Config(ConfigError::NoCipherSuite)
        );
    }
}
