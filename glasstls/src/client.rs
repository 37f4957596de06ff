//! The TLS 1.2 client (RFC 5246 §7.3 flow), one struct per expected message:
//!
//! ```text
//!   start ──ClientHello──► ExpectServerHello ──► ExpectCertificate
//!        ──(ECDHE)──► ExpectServerKeyExchange ──► ExpectServerHelloDone
//!        ──(RSA)───────────────────────────────► ExpectServerHelloDone
//!   ExpectServerHelloDone ──[Certificate] ClientKeyExchange, ChangeCipherSpec, Finished──►
//!   ExpectChangeCipherSpec ──► ExpectFinished ──► Traffic
//! ```

use crate::config::ClientConfig;
use crate::conn::{Core, Input, PeerAuthenticated, State, Traffic, Transcript, unexpected};
use crate::crypto::{self, KeyExchange, KeyShare, Suite};
use crate::error::Error;
use crate::keys;
use crate::record::RecordCipher;
use crate::session::{DEFAULT_SESSION_LIFETIME, Resumption, Session};
use crate::trace::{Event, hex};
use crate::verify::{self, ServerCertVerified};
use crate::wire::{
    ClientHello, ClientKeyExchange, Codec, EcdheServerKeyExchange, Extension, HandshakeMessage,
    HandshakePayload as P, NewSessionTicket, ProtocolVersion, ServerHello, ServerNameEntry,
};
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// Builds and queues the ClientHello; returns the first state. With TLS 1.3 enabled it offers
/// both versions (RFC 8446 §4.2.1) and key shares for the first group, plus X25519 when the
/// first is the post-quantum hybrid, so a server without the hybrid needs no HelloRetryRequest.
pub(crate) fn start(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    core: &mut Core,
) -> Result<Box<dyn State>, Error> {
    let suites = config.common.enabled_suites();
    let suites13 = config.common.enabled_suites_tls13();
    if suites.is_empty() && suites13.is_empty() {
        return Err(Error::General("no cipher suite is enabled".into()));
    }
    let offer13 = !suites13.is_empty();
    let offer12 = !suites.is_empty();
    let groups = if offer13 {
        config.common.enabled_groups()
    } else {
        config.common.enabled_groups_tls12()
    };
    let random = crypto::random_bytes::<32>()?;
    let mut extensions = Vec::new();
    // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
    if let ServerName::DnsName(dns) = &server_name {
        extensions.push(Extension::ServerName(vec![ServerNameEntry {
            name_type: 0,
            name: dns.as_ref().as_bytes().to_vec(),
        }]));
        core.info.server_name = Some(dns.as_ref().to_string());
    }
    let mut shares = Vec::new();
    if offer13 {
        let mut versions = vec![ProtocolVersion::TLSv1_3];
        if offer12 {
            versions.push(ProtocolVersion::TLSv1_2);
        }
        extensions.push(Extension::SupportedVersions(versions));
        if let Some(first) = groups.first() {
            shares.push(KeyShare::generate(*first)?);
            if *first == crate::wire::NamedGroup::X25519MLKEM768 {
                if let Some(classical) = groups.iter().find(|g| crypto::group_usable_in_tls12(**g))
                {
                    shares.push(KeyShare::generate(*classical)?);
                }
            }
        }
        let entries = shares
            .iter()
            .map(|s| crate::wire::KeyShareEntry {
                group: s.group,
                key_exchange: s.public.clone(),
            })
            .collect();
        extensions.push(Extension::KeyShares(entries));
    }
    if offer13 || suites.iter().any(|s| s.kx == KeyExchange::Ecdhe) {
        extensions.push(Extension::SupportedGroups(groups.clone()));
    }
    if suites.iter().any(|s| s.kx == KeyExchange::Ecdhe) {
        // RFC 8422 §5.1.2: uncompressed is the only format.
        extensions.push(Extension::EcPointFormats(vec![0]));
    }
    extensions.push(Extension::SignatureAlgorithms(
        config.signature_schemes.clone(),
    ));
    let psk_offer = if offer13 {
        psk_offer(&config, &server_name)
    } else {
        None
    };
    if offer13 {
        // RFC 8446 §4.2.9: psk_dhe_ke, so the server may send us tickets (and take them).
        extensions.push(Extension::PskKeyExchangeModes(vec![1]));
    }
    let mut offer = None;
    if offer12 {
        extensions.push(Extension::ExtendedMasterSecret);
        // RFC 5746 §3.4: on the initial handshake, an empty renegotiation_info.
        extensions.push(Extension::RenegotiationInfo(Vec::new()));
        offer = session_offer(&config, &server_name)?;
        if config.tickets {
            // RFC 5077 §3.2: an empty extension asks for a ticket; a non-empty one offers it.
            let ticket = offer
                .as_ref()
                .filter(|o| o.by == Resumption::Ticket)
                .map(|o| o.session.ticket.clone());
            extensions.push(Extension::SessionTicket(ticket.unwrap_or_default()));
        }
    }
    if !config.common.alpn_protocols.is_empty() {
        extensions.push(Extension::Alpn(config.common.alpn_protocols.clone()));
    }
    if let Some(offer) = &offer {
        core.trace(|| {
            Event::step(format!(
                "offering to resume the TLS 1.2 session saved for {} (by {})",
                server_name.to_str(),
                offer.by
            ))
        });
    }
    // RFC 8446 §D.4: in middlebox compatibility mode the client sends a fresh 32-byte session
    // ID, so TLS 1.3 looks like a TLS 1.2 resumption to boxes on the path.
    let session_id = match &offer {
        Some(o) => o.session_id.clone(),
        None if offer13 => crypto::random_bytes::<32>()?.to_vec(),
        None => Vec::new(),
    };
    if let Some(PskOffer { session, .. }) = &psk_offer {
        core.trace(|| {
            Event::step(format!(
                "offering to resume the TLS 1.3 session saved for {} (ticket, PSK with binder)",
                server_name.to_str()
            ))
        });
        // RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension". We
        // are not told the time here, so we claim age 0: only 0-RTT (which we do not send)
        // depends on it.
        let hash_len =
            crypto::suite13(session.cipher_suite).map_or(32, |s| s.hash.digest().output_len);
        extensions.push(Extension::PreSharedKey(crate::wire::OfferedPsks {
            identities: vec![crate::wire::PskIdentity {
                identity: session.ticket.clone(),
                obfuscated_ticket_age: session.age_add,
            }],
            binders: vec![vec![0; hash_len]],
        }));
    }
    let mut hello = ClientHello {
        client_version: ProtocolVersion::TLSv1_2,
        random,
        session_id,
        cipher_suites: suites13
            .iter()
            .map(|s| s.suite)
            .chain(suites.iter().map(|s| s.suite))
            .collect(),
        compression_methods: vec![0],
        extensions,
    };
    if let Some(offer) = &psk_offer {
        fill_binder(&mut hello, offer, None)?;
    }
    core.info.offered_suites = hello.cipher_suites.clone();
    core.info.offered_groups = groups;
    core.info.offered_alpn = config.common.alpn_protocols.clone();
    let mut transcript = Transcript::new();
    core.send_handshake(
        &HandshakeMessage::new(P::ClientHello(hello.clone())),
        &mut transcript,
    )?;
    Ok(Box::new(ExpectServerHello {
        config,
        server_name,
        transcript,
        client_random: random,
        offer,
        hello,
        shares,
        offered13: offer13,
        retry_suite: None,
        psk_offer,
    }))
}

/// The TLS 1.3 session cached for this server, if its suite is still enabled.
fn psk_offer(config: &ClientConfig, server_name: &ServerName<'_>) -> Option<PskOffer> {
    let cache = config.session_cache.as_ref()?;
    let session = Session::decode(&cache.get(&cache_key(server_name))?).ok()?;
    let usable = session.version == ProtocolVersion::TLSv1_3
        && !session.ticket.is_empty()
        && config
            .common
            .enabled_suites_tls13()
            .iter()
            .any(|s| s.suite == session.cipher_suite);
    let suite = crypto::suite13(session.cipher_suite).filter(|_| usable)?;
    Some(PskOffer {
        early: crate::keys13::EarlySecret::new(suite.hash, Some(&session.psk)),
        session,
    })
}

/// A TLS 1.3 session offered as a PSK, with the Early Secret it makes: computed once for the
/// binder (again after a HelloRetryRequest) and, if the server takes it, the key schedule.
pub(crate) struct PskOffer {
    pub(crate) session: Session,
    pub(crate) early: crate::keys13::EarlySecret,
}

/// RFC 8446 §4.2.11.2: the binder is `finished_verify_data` under the binder key, over the
/// transcript up to and including the ClientHello without its binders (`prefix` holds what
/// came before, after a HelloRetryRequest).
pub(crate) fn fill_binder(
    hello: &mut ClientHello,
    offer: &PskOffer,
    prefix: Option<&Transcript>,
) -> Result<(), Error> {
    let suite =
        crypto::suite13(offer.session.cipher_suite).ok_or(Error::Internal("PSK suite vanished"))?;
    let bytes = HandshakeMessage::new(P::ClientHello(hello.clone())).to_bytes();
    let Some(Extension::PreSharedKey(offered)) = hello.extensions.last_mut() else {
        return Err(Error::Internal("pre_shared_key must be the last extension"));
    };
    let truncated = bytes
        .get(..bytes.len().saturating_sub(offered.binders_len()))
        .unwrap_or_default();
    let mut transcript = match prefix {
        Some(t) => t.clone(),
        None => {
            let mut t = Transcript::new();
            t.start_hash(suite.hash);
            t
        }
    };
    transcript.add(truncated);
    let binder_key = offer.early.resumption_binder_key();
    let binder = crate::keys13::finished_verify_data(
        suite.hash,
        &binder_key,
        transcript.current_hash()?.as_ref(),
    );
    offered.binders = vec![binder];
    Ok(())
}

/// A cached session we offer, and the session ID that will tell us the server took it.
struct Offer {
    session: Session,
    session_id: Vec<u8>,
    by: Resumption,
}

/// The session cached for this server, if it can be offered with the suites now enabled. Its
/// age is judged by the server, which has the clock's word for it in the handshake; the client
/// core is not given the time before the ClientHello.
fn session_offer(
    config: &ClientConfig,
    server_name: &ServerName<'_>,
) -> Result<Option<Offer>, Error> {
    let Some(cache) = &config.session_cache else {
        return Ok(None);
    };
    let Some(session) = cache
        .get(&cache_key(server_name))
        .and_then(|b| Session::decode(&b).ok())
    else {
        return Ok(None);
    };
    if session.version != ProtocolVersion::TLSv1_2
        || !config
            .common
            .enabled_suites()
            .iter()
            .any(|s| s.suite == session.cipher_suite)
    {
        return Ok(None);
    }
    if config.tickets && !session.ticket.is_empty() {
        // RFC 5077 §3.4: "the client MAY generate and include a Session ID ... the server
        // MUST echo the same Session ID" when it accepts the ticket.
        let session_id = crypto::random_bytes::<32>()?.to_vec();
        return Ok(Some(Offer {
            session,
            session_id,
            by: Resumption::Ticket,
        }));
    }
    if session.session_id.is_empty() {
        return Ok(None);
    }
    let session_id = session.session_id.clone();
    Ok(Some(Offer {
        session,
        session_id,
        by: Resumption::SessionId,
    }))
}

pub(crate) struct ExpectServerHello {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) transcript: Transcript,
    pub(crate) client_random: [u8; 32],
    offer: Option<Offer>,
    /// The ClientHello as sent (a HelloRetryRequest makes us send it again, changed).
    pub(crate) hello: ClientHello,
    /// Our TLS 1.3 key shares.
    pub(crate) shares: Vec<KeyShare>,
    offered13: bool,
    /// Set after a HelloRetryRequest: the suite it chose.
    pub(crate) retry_suite: Option<crate::wire::CipherSuite>,
    /// The TLS 1.3 session whose ticket we offer as a PSK.
    pub(crate) psk_offer: Option<PskOffer>,
}

impl State for ExpectServerHello {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg: HandshakeMessage {
                payload: P::ServerHello(hello),
            },
            raw,
        } = input
        else {
            return Err(unexpected("ServerHello", &input));
        };
        if self.offered13 && hello.is_retry_request() {
            return crate::client13::hello_retry(self, core, hello, raw);
        }
        if self.offered13 && hello.selected_version() == ProtocolVersion::TLSv1_3 {
            return crate::client13::server_hello(self, core, hello, raw);
        }
        // RFC 8446 §4.2.1: a server that negotiates TLS 1.2 sends no supported_versions; one
        // that names anything but TLS 1.3 there is broken.
        if hello
            .find(crate::wire::ExtensionType::SupportedVersions)
            .is_some()
        {
            return Err(Error::IllegalParameter(
                "supported_versions selects a version other than TLS 1.3",
            ));
        }
        if self.retry_suite.is_some() {
            return Err(Error::IllegalParameter("TLS 1.2 after a HelloRetryRequest"));
        }
        // RFC 8446 §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below
        // MUST check that the last 8 bytes are not equal to either of these values. ... If a
        // match is found, the client MUST abort the handshake with an "illegal_parameter" alert."
        if self.offered13 && hello.random[24..] == crate::wire::DOWNGRADE_TLS12 {
            return Err(Error::IllegalParameter(
                "downgrade detected: a TLS 1.3 server answered with TLS 1.2",
            ));
        }
        // RFC 5246 §7.4.1.3 / Appendix E.1: TLS 1.2 is the oldest we speak.
        if hello.server_version != ProtocolVersion::TLSv1_2 {
            return Err(Error::ProtocolVersion(format!(
                "the server chose {}",
                hello.server_version
            )));
        }
        let suite = self
            .config
            .common
            .enabled_suites()
            .into_iter()
            .find(|s| s.suite == hello.cipher_suite)
            .ok_or(Error::IllegalParameter(
                "the server chose a cipher suite we did not offer",
            ))?;
        if hello.compression_method != 0 {
            return Err(Error::IllegalParameter(
                "the server chose a compression method we did not offer",
            ));
        }
        let (ems, ticket_expected) = self.check_extensions(core, &hello, suite)?;
        self.transcript.add(raw);
        self.transcript.start_hash(suite.hash);
        core.info.session_id = hello.session_id.clone();
        let resumed = self
            .offer
            .take()
            .filter(|o| !hello.session_id.is_empty() && hello.session_id == o.session_id);
        if let Some(offer) = resumed {
            return self.resume(core, &hello, suite, ems, ticket_expected, offer);
        }
        core.info.version = Some(ProtocolVersion::TLSv1_2);
        core.info.cipher_suite = Some(suite.suite);
        core.info.extended_master_secret = ems;
        core.trace(|| {
            Event::step(format!(
                "negotiated TLSv1.2 with {}{}",
                suite.suite,
                if ems {
                    ", extended master secret (RFC 7627)"
                } else {
                    ", without extended master secret"
                }
            ))
        });
        Ok(Box::new(ExpectCertificate {
            hs: Tls12Client {
                config: self.config,
                server_name: self.server_name,
                transcript: self.transcript,
                client_random: self.client_random,
                server_random: hello.random,
                suite,
                ems,
                server_session_id: hello.session_id,
                ticket_expected,
                resumed_from: None,
            },
        }))
    }
}

impl ExpectServerHello {
    /// RFC 5246 §7.3: the server echoed our session ID, so it resumes: no Certificate, no key
    /// exchange; the keys come from the saved master secret and the two new randoms.
    fn resume(
        self: Box<Self>,
        core: &mut Core,
        hello: &ServerHello,
        suite: &'static Suite,
        ems: bool,
        ticket_expected: bool,
        offer: Offer,
    ) -> Result<Box<dyn State>, Error> {
        let session = offer.session;
        // RFC 5246 §7.4.1.3: a resumed session keeps its cipher suite.
        if suite.suite != session.cipher_suite {
            return Err(Error::IllegalParameter(
                "the server resumed the session with another cipher suite",
            ));
        }
        // RFC 7627 §5.3: "If the original session used the extension but the new ServerHello
        // does not contain the extension, the client MUST abort the handshake." (and the
        // converse).
        if ems != session.extended_master_secret {
            return Err(Error::HandshakeFailure(
                "the server resumed with a different extended master secret state",
            ));
        }
        core.info.version = Some(ProtocolVersion::TLSv1_2);
        core.info.cipher_suite = Some(suite.suite);
        core.info.extended_master_secret = ems;
        core.info.resumed = Some(offer.by);
        core.info.peer_certificates = session.peer_certificates.clone();
        core.trace(|| {
            Event::step(format!(
                "the server resumes the session (by {}): no Certificate, ServerKeyExchange, ServerHelloDone or ClientKeyExchange; the master secret is the saved one, the keys are new because both randoms are",
                offer.by
            ))
        });
        let master_secret = session.master_secret.clone();
        let (write, read) =
            core.tls12_keys(suite, &master_secret, &self.client_random, &hello.random)?;
        let hs = Tls12Client {
            config: self.config,
            server_name: self.server_name,
            transcript: self.transcript,
            client_random: self.client_random,
            server_random: hello.random,
            suite,
            ems,
            server_session_id: hello.session_id.clone(),
            ticket_expected,
            resumed_from: Some(session),
        };
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            master_secret,
            read,
            peer: PeerAuthenticated::ServerResumed,
            write: Some(write),
            new_ticket: None,
        }))
    }
}

impl ExpectServerHello {
    /// RFC 5246 §7.4.1.4: "If a client receives an extension type in ServerHello that it did
    /// not request in the associated ClientHello, it MUST abort the handshake with an
    /// unsupported_extension fatal alert." Returns whether EMS was negotiated.
    fn check_extensions(
        &self,
        core: &mut Core,
        hello: &ServerHello,
        suite: &Suite,
    ) -> Result<(bool, bool), Error> {
        let mut ems = false;
        let mut ticket_expected = false;
        for ext in &hello.extensions {
            match ext {
                Extension::ServerNameAck if matches!(self.server_name, ServerName::DnsName(_)) => {}
                Extension::EcPointFormats(formats) if suite.kx == KeyExchange::Ecdhe => {
                    // RFC 8422 §5.2: the server's list must include uncompressed.
                    if !formats.contains(&0) {
                        return Err(Error::IllegalParameter(
                            "ec_point_formats without uncompressed",
                        ));
                    }
                }
                Extension::ExtendedMasterSecret => ems = true,
                Extension::SessionTicket(data) if self.config.tickets && data.is_empty() => {
                    ticket_expected = true;
                }
                // RFC 5746 §3.4: "the client MUST then verify that the length of the
                // "renegotiated_connection" field is zero, and if it is not, MUST abort the
                // handshake (by sending a fatal handshake_failure alert)."
                Extension::RenegotiationInfo(data) if !data.is_empty() => {
                    return Err(Error::HandshakeFailure(
                        "non-empty renegotiation_info on the initial handshake",
                    ));
                }
                Extension::RenegotiationInfo(_) => {}
                // RFC 7301 §3.1: the server's list "MUST contain exactly one" protocol we offered.
                Extension::Alpn(protocols) if !self.config.common.alpn_protocols.is_empty() => {
                    accept_alpn(core, &self.config, protocols)?;
                }
                other => return Err(Error::UnsupportedExtension(other.typ().to_string())),
            }
        }
        // RFC 7627 §5.2: a client that requires EMS aborts with handshake_failure.
        if !ems && self.config.common.require_extended_master_secret {
            return Err(Error::HandshakeFailure(
                "the server does not support the extended master secret",
            ));
        }
        Ok((ems, ticket_expected))
    }
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
        _ => Err(Error::IllegalParameter(
            "the server chose an ALPN protocol we did not offer",
        )),
    }
}

/// RFC 5246 §7.4.2 / RFC 8446 §4.4.2: verifies the server's chain, traces the verdict, and
/// keeps the chain; returns the proof and the end-entity certificate.
pub(crate) fn verify_chain(
    core: &mut Core,
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    chain: Vec<CertificateDer<'static>>,
) -> Result<(ServerCertVerified, CertificateDer<'static>), Error> {
    let verified = verify::verify_server_chain(&config.roots, &chain, server_name, core.now);
    let name = server_name.to_str().into_owned();
    match &verified {
        Ok(_) => core.trace(|| {
            Event::step(format!(
                "certificate chain verified: trusted root found, valid now, valid for {name}"
            ))
        }),
        Err(e) => core.trace(|| Event::step(format!("certificate chain rejected: {e}"))),
    }
    let verified = verified?;
    core.info.peer_certificates = chain.clone();
    let end_entity = chain
        .into_iter()
        .next()
        .ok_or(crate::verify::CertificateError::NoCertificate)?;
    Ok((verified, end_entity))
}

/// What every state after ServerHello carries.
struct Tls12Client {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: &'static Suite,
    ems: bool,
    server_session_id: Vec<u8>,
    /// ServerHello carried an empty SessionTicket: a NewSessionTicket comes before its CCS.
    ticket_expected: bool,
    /// The saved session this handshake resumes.
    resumed_from: Option<Session>,
}

struct ExpectCertificate {
    hs: Tls12Client,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg: HandshakeMessage {
                payload: P::Certificate(chain),
            },
            raw,
        } = input
        else {
            return Err(unexpected("Certificate", &input));
        };
        self.hs.transcript.add(raw);
        let (verified, end_entity) =
            verify_chain(core, &self.hs.config, &self.hs.server_name, chain)?;
        let next = AfterCertificate {
            hs: self.hs,
            verified,
            end_entity,
        };
        Ok(match next.hs.suite.kx {
            KeyExchange::Ecdhe => Box::new(ExpectServerKeyExchange { next }),
            KeyExchange::Rsa => Box::new(ExpectServerHelloDone {
                next,
                ecdhe: None,
                certificate_requested: false,
            }),
        })
    }
}

struct AfterCertificate {
    hs: Tls12Client,
    verified: ServerCertVerified,
    end_entity: CertificateDer<'static>,
}

struct ExpectServerKeyExchange {
    next: AfterCertificate,
}

impl State for ExpectServerKeyExchange {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg:
                HandshakeMessage {
                    payload: P::ServerKeyExchange(body),
                },
            raw,
        } = input
        else {
            return Err(unexpected("ServerKeyExchange", &input));
        };
        let hs = &mut self.next.hs;
        hs.transcript.add(raw);
        let ske = EcdheServerKeyExchange::from_bytes(&body)?;
        // RFC 8422 §5.4: the server must pick a curve the client offered.
        if !hs
            .config
            .common
            .enabled_groups_tls12()
            .contains(&ske.params.group)
        {
            return Err(Error::IllegalParameter(
                "the server chose a group we did not offer",
            ));
        }
        // RFC 5246 §7.4.3: the signature algorithm must be one the client offered, and it must
        // match the suite's authentication. RFC 8422 §2.1: "In ECDHE_ECDSA, the server's
        // certificate MUST contain an ECDSA- or EdDSA-capable public key."
        let scheme = ske.signed.scheme;
        let fits_suite = match hs.suite.auth {
            crypto::Auth::Rsa => scheme.name().is_some_and(|n| n.starts_with("rsa_")),
            crypto::Auth::Ecdsa => {
                scheme == crate::wire::SignatureScheme::ed25519
                    || scheme.name().is_some_and(|n| n.starts_with("ecdsa_"))
            }
        };
        if !hs.config.signature_schemes.contains(&scheme) || !fits_suite {
            return Err(Error::IllegalParameter(
                "the server signed with a scheme we did not offer",
            ));
        }
        // RFC 8422 §5.4: signed_params covers ClientHello.random + ServerHello.random + ServerECDHParams.
        let mut signed = Vec::with_capacity(64 + 4 + ske.params.public.len());
        signed.extend_from_slice(&hs.client_random);
        signed.extend_from_slice(&hs.server_random);
        ske.params.encode(&mut signed);
        let cert = webpki::EndEntityCert::try_from(&self.next.end_entity)
            .map_err(|_| Error::Internal("verified certificate no longer parses"))?;
        let ok = crypto::verification_algorithms(scheme).iter().any(|alg| {
            cert.verify_signature(*alg, &signed, &ske.signed.signature)
                .is_ok()
        });
        if !ok {
            return Err(Error::DecryptError(
                "the ServerKeyExchange signature does not verify with the certificate's key",
            ));
        }
        core.info.group = Some(ske.params.group);
        core.info.signature_scheme = Some(scheme);
        core.trace(|| {
            Event::step_with(
                "ECDHE parameters received and their signature verified",
                vec![
                    ("group".into(), ske.params.group.to_string()),
                    ("server public".into(), hex(&ske.params.public)),
                    (
                        "signature".into(),
                        format!("{scheme}, verified with the certificate's key"),
                    ),
                ],
            )
        });
        Ok(Box::new(ExpectServerHelloDone {
            next: self.next,
            ecdhe: Some(ske.params),
            certificate_requested: false,
        }))
    }
}

struct ExpectServerHelloDone {
    next: AfterCertificate,
    ecdhe: Option<crate::wire::EcdheParams>,
    certificate_requested: bool,
}

impl State for ExpectServerHelloDone {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::CertificateRequest(_),
                    },
                raw,
            } if !self.certificate_requested => {
                self.next.hs.transcript.add(raw);
                self.certificate_requested = true;
                core.trace(|| {
                    Event::step("the server asks for a client certificate; we will send none")
                });
                Ok(self)
            }
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::ServerHelloDone,
                    },
                raw,
            } => {
                self.next.hs.transcript.add(raw);
                self.finish_flight(core)
            }
            other => Err(unexpected("ServerHelloDone", &other)),
        }
    }
}

impl ExpectServerHelloDone {
    /// Our second flight: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    fn finish_flight(self: Box<Self>, core: &mut Core) -> Result<Box<dyn State>, Error> {
        let AfterCertificate {
            mut hs,
            verified,
            end_entity,
        } = self.next;
        if self.certificate_requested {
            // RFC 5246 §7.4.6: "If no suitable certificate is available, the client MUST send
            // a certificate message containing no certificates."
            core.send_handshake(
                &HandshakeMessage::new(P::Certificate(Vec::new())),
                &mut hs.transcript,
            )?;
        }
        let (pre_master_secret, cke) = match self.ecdhe {
            Some(params) => {
                let share = KeyShare::generate(params.group)?;
                let public = share.public.clone();
                let secret = share.agree(&params.public)?;
                core.trace(|| {
                    Event::step_with(
                        "ECDHE: our key share generated; pre-master secret = shared secret",
                        vec![("client public".into(), hex(&public))],
                    )
                });
                (secret, ClientKeyExchange::Ecdhe(public))
            }
            None => {
                // RFC 5246 §7.4.7.1: client_version (the version offered) + 46 random bytes,
                // encrypted to the server certificate's RSA key.
                let mut pms = Zeroizing::new(Vec::with_capacity(48));
                pms.extend_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
                pms.extend_from_slice(&crypto::random_bytes::<46>()?);
                let cert = webpki::EndEntityCert::try_from(&end_entity)
                    .map_err(|_| Error::Internal("verified certificate no longer parses"))?;
                let encrypted = crypto::rsa_encrypt_pre_master_secret(
                    cert.subject_public_key_info().as_ref(),
                    &pms,
                )?;
                let len = encrypted.len();
                core.trace(|| {
                    Event::step(format!(
                        "RSA key exchange: 48-byte pre-master secret encrypted with the server's public key ({len} bytes; no forward secrecy)"
                    ))
                });
                (pms, ClientKeyExchange::Rsa(encrypted))
            }
        };
        let mut body = Vec::new();
        cke.encode(&mut body);
        core.send_handshake(
            &HandshakeMessage::new(P::ClientKeyExchange(body)),
            &mut hs.transcript,
        )?;
        core.trace_secret("pre-master secret", &pre_master_secret);

        let master_secret = if hs.ems {
            keys::extended_master_secret(
                hs.suite.hash,
                &pre_master_secret,
                hs.transcript.current_hash()?.as_ref(),
            )
        } else {
            keys::master_secret(
                hs.suite.hash,
                &pre_master_secret,
                &hs.client_random,
                &hs.server_random,
            )
        };
        drop(pre_master_secret);
        core.trace_secret(
            if hs.ems {
                "master secret (extended)"
            } else {
                "master secret"
            },
            master_secret.as_bytes(),
        );
        core.log_key("CLIENT_RANDOM", &hs.client_random, master_secret.as_bytes());
        let (write, read) = core.tls12_keys(
            hs.suite,
            &master_secret,
            &hs.client_random,
            &hs.server_random,
        )?;

        core.send_change_cipher_spec_and_finished(
            write,
            hs.suite,
            &master_secret,
            &mut hs.transcript,
        )?;
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            master_secret,
            read,
            peer: PeerAuthenticated::Server(verified),
            write: None,
            new_ticket: None,
        }))
    }
}

struct ExpectChangeCipherSpec {
    hs: Tls12Client,
    master_secret: keys::MasterSecret,
    read: RecordCipher,
    peer: PeerAuthenticated,
    /// Our write keys, switched on after the server's Finished when resuming; `None` in a full
    /// handshake, where our Finished went first.
    write: Option<RecordCipher>,
    new_ticket: Option<NewSessionTicket>,
}

impl State for ExpectChangeCipherSpec {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            // RFC 5077 §3.3: promised by the empty SessionTicket extension in ServerHello,
            // "sent ... before the ChangeCipherSpec message".
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::NewSessionTicket(ticket),
                    },
                raw,
            } if self.hs.ticket_expected && self.new_ticket.is_none() => {
                self.hs.transcript.add(raw);
                self.new_ticket = Some(ticket);
                Ok(self)
            }
            Input::ChangeCipherSpec if self.hs.ticket_expected && self.new_ticket.is_none() => {
                Err(unexpected("NewSessionTicket", &input))
            }
            Input::ChangeCipherSpec => {
                core.set_decrypter(self.read);
                Ok(Box::new(ExpectFinished {
                    hs: self.hs,
                    master_secret: self.master_secret,
                    peer: self.peer,
                    write: self.write,
                    new_ticket: self.new_ticket,
                }))
            }
            other => Err(unexpected("ChangeCipherSpec", &other)),
        }
    }
}

struct ExpectFinished {
    hs: Tls12Client,
    master_secret: keys::MasterSecret,
    peer: PeerAuthenticated,
    write: Option<RecordCipher>,
    new_ticket: Option<NewSessionTicket>,
}

impl State for ExpectFinished {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg: HandshakeMessage {
                payload: P::Finished(received),
            },
            raw,
        } = input
        else {
            return Err(unexpected("Finished", &input));
        };
        let mut hs = self.hs;
        let finished =
            core.verify_peer_finished(hs.suite, &self.master_secret, &hs.transcript, &received)?;
        core.trace(|| Event::step("server Finished verified: the handshake was not tampered with; application data may flow"));
        if let Some(write) = self.write {
            // Abbreviated handshake: our ChangeCipherSpec and Finished come last.
            hs.transcript.add(raw);
            core.send_change_cipher_spec_and_finished(
                write,
                hs.suite,
                &self.master_secret,
                &mut hs.transcript,
            )?;
        }
        hs.save_session(core, &self.master_secret, self.new_ticket);
        core.start_traffic()?;
        Ok(Traffic::start(finished, self.peer))
    }
}

impl Tls12Client {
    /// Keeps the session for this server name, so a later connection can offer it.
    fn save_session(
        &self,
        core: &mut Core,
        master_secret: &keys::MasterSecret,
        new_ticket: Option<NewSessionTicket>,
    ) {
        let previous = self.resumed_from.as_ref();
        let got_ticket = new_ticket.as_ref().is_some_and(|t| !t.ticket.is_empty());
        let (ticket, lifetime) = match new_ticket {
            // RFC 5077 §3.3: "A ticket_lifetime_hint of zero is reserved to indicate that the
            // lifetime of the ticket is unspecified."
            Some(t) if !t.ticket.is_empty() => {
                let hint = Duration::from_secs(u64::from(t.lifetime_hint));
                (
                    t.ticket,
                    if hint.is_zero() {
                        DEFAULT_SESSION_LIFETIME
                    } else {
                        hint.min(DEFAULT_SESSION_LIFETIME)
                    },
                )
            }
            _ => match previous {
                Some(p) => (p.ticket.clone(), p.lifetime),
                None => (Vec::new(), DEFAULT_SESSION_LIFETIME),
            },
        };
        let session = Session {
            version: ProtocolVersion::TLSv1_2,
            cipher_suite: self.suite.suite,
            master_secret: master_secret.clone(),
            extended_master_secret: self.ems,
            created: previous.map_or(core.now.as_secs(), |p| p.created),
            lifetime,
            session_id: self.server_session_id.clone(),
            ticket,
            server_name: core.info.server_name.clone(),
            alpn_protocol: core.info.alpn_protocol.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            psk: Vec::new(),
            age_add: 0,
        };
        if session.session_id.is_empty() && session.ticket.is_empty() {
            return;
        }
        // A resumption that brought no new ticket changed nothing the cache holds (same
        // master secret, session ID, ticket and creation time): the entry it was read from
        // stays, and re-encoding the session would only cost time.
        let unchanged = previous.is_some() && !got_ticket;
        if let (Some(cache), false) = (&self.config.session_cache, unchanged) {
            cache.put(cache_key(&self.server_name), session.encode().to_vec());
            let how = if session.ticket.is_empty() {
                "session ID"
            } else {
                "ticket"
            };
            core.trace(|| {
                Event::step(format!(
                    "session saved for {}: a later connection can resume it by {how}",
                    self.server_name.to_str()
                ))
            });
        }
        core.session = Some(session);
    }
}

/// Sessions are kept per server name (a DNS name, or an IP address written out).
pub(crate) fn cache_key(server_name: &ServerName<'_>) -> Vec<u8> {
    server_name.to_str().as_bytes().to_vec()
}
