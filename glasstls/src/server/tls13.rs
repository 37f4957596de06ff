//! The TLS 1.3 server (RFC 8446 §2), one struct per expected message:
//!
//! ```text
//!   ClientHello ──(HelloRetryRequest──► ExpectSecondClientHello)──►
//!     ServerHello, [ChangeCipherSpec], {EncryptedExtensions, [CertificateRequest],
//!     Certificate, CertificateVerify, Finished} ──► [ExpectCertificate
//!     ──► [ExpectCertificateVerify]] ──► ExpectFinished ──[NewSessionTicket]──► Traffic13
//! ```

use super::auth;
use super::hello::{self, KeyExchange13};
use crate::config::{ClientAuth, Identity, ServerConfig};
use crate::conn::{Core, EarlyDataSkip, Input, PeerAuthenticated, State, Transcript};
use crate::crypto::{self, KeyShare, Suite13};
use crate::error::{
    DecryptError, Error, Expected, InternalError, PeerIncompatible, PeerMisbehaved,
};
use crate::session::{Resumption, Session, SessionSecrets};
use crate::side::Side;
use crate::tls13::{self, EarlySecret, HandshakeStage, PeerFinished, Traffic13, TrafficStage};
use crate::trace::{Decision, RefusalReason};
use crate::version::Version;
use crate::wire::{
    Certificate13, CertificateEntry, CertificateRequest13, ClientHello, Codec, DigitallySigned,
    Extension, ExtensionType, HELLO_RETRY_REQUEST_RANDOM, HandshakeMessage, HandshakePayload as P,
    HandshakeType, KeyShareEntry, NamedGroup, NewSessionTicket13, OfferedPsks, ProtocolVersion,
    ServerHello, SignatureScheme,
};
use std::sync::Arc;

/// RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)".
const MAX_TICKET_LIFETIME: u64 = 604_800;

/// What a HelloRetryRequest settled, for the second ClientHello.
pub(super) struct AfterRetry {
    transcript: Transcript,
    suite: &'static Suite13,
    group: NamedGroup,
    session_id: Vec<u8>,
}

struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    after: AfterRetry,
    /// When the first ClientHello's ECH was accepted: what opens the second.
    ech: Option<super::ech::Retry>,
}

impl State for ExpectSecondClientHello {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::ClientHello)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::ClientHello(hello), raw) = input.expect(HandshakeType::ClientHello)? else {
            return Err(InternalError::StateInvariant.into());
        };
        match self.ech {
            Some(mut retry) => {
                let (inner, bytes) = super::ech::open_second(&mut retry, &hello, raw)?;
                core.trace_ech_inner(crate::trace::Direction::Received, &inner, &bytes);
                client_hello(self.config, core, inner, &bytes, Some(self.after), None)
            }
            None => client_hello(self.config, core, hello, raw, Some(self.after), None),
        }
    }
}

/// The extensions a TLS 1.3 ClientHello must carry for a certificate handshake (RFC 8446
/// §9.2), checked against each other (§4.2.8).
struct Offered<'a> {
    schemes: &'a [SignatureScheme],
    groups: &'a [NamedGroup],
    shares: &'a [KeyShareEntry],
}

fn offered(hello: &ClientHello) -> Result<Offered<'_>, Error> {
    let missing = |typ| Error::PeerIncompatible(PeerIncompatible::MissingExtension(typ));
    let Some(Extension::SignatureAlgorithms(schemes)) =
        hello.find(ExtensionType::SignatureAlgorithms)
    else {
        return Err(missing(ExtensionType::SignatureAlgorithms));
    };
    let Some(Extension::SupportedGroups(groups)) = hello.find(ExtensionType::SupportedGroups)
    else {
        return Err(missing(ExtensionType::SupportedGroups));
    };
    let Some(Extension::KeyShares(shares)) = hello.find(ExtensionType::KeyShare) else {
        return Err(missing(ExtensionType::KeyShare));
    };
    hello::check_key_shares(groups, shares)?;
    Ok(Offered {
        schemes,
        groups,
        shares,
    })
}

/// What the server chose for this handshake: resumption, or a certificate and its scheme.
/// (One per handshake, moved twice: the Early Secret's size does not matter here.)
#[allow(clippy::large_enum_variant)]
enum Authentication<'a> {
    Resumed(EarlySecret),
    Certificate(&'a Identity, SignatureScheme),
}

/// A TLS 1.3 ClientHello (first, or second after our HelloRetryRequest).
pub(super) fn client_hello(
    config: Arc<ServerConfig>,
    core: &mut Core,
    hello: ClientHello,
    raw: &[u8],
    after_retry: Option<AfterRetry>,
    ech: Option<super::ech::Retry>,
) -> Result<Box<dyn State>, Error> {
    core.version = Some(Version::Tls13);
    // RFC 8446 §4.2.10: we never accept early data, so a client that offers it is answered as
    // if it had not, and its early records are skipped. "A client MUST NOT include the
    // "early_data" extension in its followup ClientHello": after a HelloRetryRequest the skipping
    // ends with the second ClientHello, and no new skipping starts.
    let skips_early_data = after_retry.is_none() && hello.find(ExtensionType::EarlyData).is_some();
    if after_retry.is_some() {
        core.skip_early_data(None);
    }
    if skips_early_data {
        core.decide(|| Decision::EarlyDataSkipped);
    }
    // RFC 8446 §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one
    // byte, set to zero".
    if hello.compression_methods != [0] {
        return Err(PeerMisbehaved::Tls13CompressionNotNull.into());
    }
    let server_name = core.info.server_name.clone();
    let (resolved, name_used) =
        config.resolve(&hello::hello_info(&hello, server_name.as_deref()))?;
    let identities = resolved.refs();
    let offered = offered(&hello)?;
    let (suite, auth) = authenticate(
        &config,
        core,
        &hello,
        raw,
        after_retry.as_ref(),
        &identities,
        offered.schemes,
    )?;
    let share = match hello::choose_group13(
        &config.common.groups(),
        offered.groups,
        offered.shares,
        after_retry.as_ref().map(|a| a.group),
    )? {
        KeyExchange13::Share(share) => share,
        KeyExchange13::Retry(group) => {
            if skips_early_data {
                core.skip_early_data(Some(EarlyDataSkip::AllEncrypted));
            }
            return hello_retry_request(config, core, &hello, raw, suite, group, ech);
        }
    };
    let alpn = hello::choose_alpn(&config, &hello)?;
    let transcript = match after_retry {
        Some(mut after) => {
            after.transcript.add(raw);
            after.transcript
        }
        None => {
            let mut t = Transcript::new();
            t.add(raw);
            t.start_hash(suite.hash);
            t
        }
    };
    let resumed = matches!(auth, Authentication::Resumed(..));
    // RFC 8446 §4.3.2: a certificate is asked for only in a certificate handshake ("Servers
    // which are authenticating with a resumption PSK MUST NOT send the CertificateRequest").
    let client_auth = config.client_auth.as_ref().filter(|_| !resumed);
    let flight = Flight {
        hello: &hello,
        suite,
        share,
        alpn,
        name_used,
        client_auth,
        config: &config,
    };
    let (transcript, keys, traffic) = flight.send(core, transcript, auth)?;
    if skips_early_data {
        core.skip_early_data(Some(EarlyDataSkip::Undecryptable));
    }
    let peer = match (resumed, core.info.peer_certificates.is_empty()) {
        (true, false) => PeerAuthenticated::ClientResumed,
        _ => PeerAuthenticated::ClientNotRequested,
    };
    let finished = ExpectFinished {
        config: Arc::clone(&config),
        suite,
        transcript,
        client_finished: keys.into_peer_finished(Side::Server),
        traffic,
        server_name,
        alpn: core.info.alpn_protocol.clone(),
        // RFC 8446 §4.6.1: tickets only for clients that can use them.
        client_takes_tickets: hello::client_takes_psk_dhe_ke(&hello),
        peer,
    };
    Ok(match client_auth {
        Some(_) => Box::new(ExpectCertificate { finished }),
        None => Box::new(finished),
    })
}

/// The suite, and how the server proves who it is: the client's ticket (RFC 8446 §4.2.11), or
/// a certificate and a scheme the client accepts. The suite is the client's first among ours,
/// kept across a HelloRetryRequest (after which only a PSK for that suite will do); a resumed
/// session keeps its own.
fn authenticate<'a>(
    config: &ServerConfig,
    core: &mut Core,
    hello: &ClientHello,
    raw: &[u8],
    after_retry: Option<&AfterRetry>,
    identities: &[&'a Identity],
    schemes: &[SignatureScheme],
) -> Result<(&'static Suite13, Authentication<'a>), Error> {
    let suite = match after_retry {
        Some(after) => {
            if !hello.cipher_suites.contains(&after.suite.suite)
                || hello.session_id != after.session_id
            {
                return Err(PeerMisbehaved::SecondHelloChanged.into());
            }
            after.suite
        }
        None => hello::choose_suite13(&config.common, hello, config.prefer_server_suite_order)?,
    };
    let retry = after_retry.map(|a| (&a.transcript, a.suite));
    Ok(match find_psk(config, core, hello, raw, retry)? {
        Some((session, early)) => {
            // The client is who it proved to be in the session's full handshake.
            core.info.peer_certificates = session.peer_certificates.clone();
            core.info.client_signature_scheme = session.signature_scheme;
            (
                crypto::suite13(session.cipher_suite).unwrap_or(suite),
                Authentication::Resumed(early),
            )
        }
        None => {
            let (identity, scheme) = hello::choose_identity13(identities, schemes)?;
            (suite, Authentication::Certificate(identity, scheme))
        }
    })
}

/// The server's first flight: what was decided, and the ClientHello it answers.
struct Flight<'a> {
    hello: &'a ClientHello,
    suite: &'static Suite13,
    share: &'a KeyShareEntry,
    alpn: Option<Vec<u8>>,
    name_used: bool,
    /// Set when a CertificateRequest goes before our Certificate.
    client_auth: Option<&'a ClientAuth>,
    /// For retry_configs.
    config: &'a ServerConfig,
}

impl Flight<'_> {
    /// ServerHello, [ChangeCipherSpec], EncryptedExtensions, [Certificate, CertificateVerify],
    /// Finished; returns the transcript and both key schedule stages.
    fn send(
        self,
        core: &mut Core,
        mut transcript: Transcript,
        auth: Authentication<'_>,
    ) -> Result<(Transcript, HandshakeStage, TrafficStage), Error> {
        let resumed = matches!(auth, Authentication::Resumed(..));
        let shared_secret = self.send_server_hello(core, &mut transcript, &auth)?;
        // The Early Secret the binder was checked under, or the one without a PSK.
        let (early, certificate) = match auth {
            Authentication::Resumed(early) => (early, None),
            Authentication::Certificate(identity, scheme) => (
                EarlySecret::new(self.suite.hash, None),
                Some((identity, scheme)),
            ),
        };
        let keys = HandshakeStage::new(
            core,
            self.suite,
            early,
            &shared_secret,
            &transcript,
            self.hello.random,
        )?;
        keys.install_write(core)?;
        let mut extensions = Vec::new();
        if let Some(protocol) = self.alpn {
            extensions.push(Extension::Alpn(vec![protocol]));
        }
        // RFC 6066 §3, as in TLS 1.2 (`server::tls12`): the name is used (certificate and
        // session binding), so it is acknowledged, in full handshakes.
        if core.info.server_name.is_some() && !resumed {
            extensions.push(Extension::ServerNameAck);
        }
        // RFC 9849 §7.1: a rejected offer gets the configs to retry with.
        if core.info.ech == crate::conn::EchStatus::Rejected {
            extensions.push(super::ech::retry_configs(self.config));
        }
        core.send_handshake(
            &HandshakeMessage::new(P::EncryptedExtensions(extensions)),
            &mut transcript,
        )?;
        if let Some(auth) = self.client_auth {
            core.decide(|| Decision::ClientCertificateAsked {
                required: auth.required,
            });
            // RFC 8446 §4.3.2: "certificate_request_context [...] SHALL be zero length unless
            // used for the post-handshake authentication exchanges"; "The
            // "signature_algorithms" extension MUST be specified".
            let request = CertificateRequest13 {
                context: Vec::new(),
                extensions: vec![Extension::SignatureAlgorithms(
                    auth.signature_schemes.clone(),
                )],
            };
            core.send_handshake(
                &HandshakeMessage::new(P::CertificateRequest13(request)),
                &mut transcript,
            )?;
        }
        if let Some((identity, scheme)) = certificate {
            send_certificate(core, &mut transcript, identity, scheme)?;
        }
        let verify_data = keys.finished(Side::Server, &transcript)?;
        core.send_handshake(
            &HandshakeMessage::new(P::Finished(verify_data)),
            &mut transcript,
        )?;
        let traffic = keys.traffic(core, &transcript)?;
        traffic.install_write(core)?;
        keys.install_read(core)?;
        Ok((transcript, keys, traffic))
    }

    /// ServerHello with our key share, then the compatibility CCS; returns the (EC)DHE shared
    /// secret.
    fn send_server_hello(
        &self,
        core: &mut Core,
        transcript: &mut Transcript,
        auth: &Authentication<'_>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        let (suite, group) = (self.suite, self.share.group);
        let (server_share, shared_secret) = KeyShare::respond(group, &self.share.key_exchange)?;
        let mut extensions = vec![
            Extension::SelectedVersion(ProtocolVersion::TLSv1_3),
            Extension::KeyShare(KeyShareEntry {
                group,
                key_exchange: server_share,
            }),
        ];
        if matches!(auth, Authentication::Resumed(..)) {
            extensions.push(Extension::PreSharedKeySelected(0));
        }
        let mut server_hello = ServerHello {
            server_version: ProtocolVersion::TLSv1_2,
            random: crypto::random_bytes::<32>()?,
            session_id: self.hello.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions,
        };
        // RFC 9849 §7.2: acceptance is signalled in the last 8 bytes of the random, computed
        // over the transcript with those bytes zero.
        if core.info.ech == crate::conn::EchStatus::Accepted {
            if let Some(tail) = server_hello.random.get_mut(24..) {
                tail.fill(0);
            }
            let mut conf = transcript.clone();
            conf.add(&HandshakeMessage::new(P::ServerHello(server_hello.clone())).to_bytes());
            let confirmation = super::ech::confirmation(
                suite.hash,
                super::ech::Confirming::ServerHello,
                &self.hello.random,
                conf.current_hash()?.as_ref(),
            );
            if let Some(tail) = server_hello.random.get_mut(24..) {
                tail.copy_from_slice(&confirmation);
            }
        }
        core.info.version = Some(Version::Tls13);
        core.info.cipher_suite = Some(suite.suite);
        core.info.group = Some(group);
        core.info.alpn_protocol = self.alpn.clone();
        match auth {
            Authentication::Certificate(identity, scheme) => {
                core.info.signature_scheme = Some(*scheme);
                core.decide(|| Decision::Chose13 {
                    suite: suite.suite,
                    group,
                    key: identity.key.kind(),
                    by_name: self.name_used,
                    scheme: *scheme,
                });
            }
            Authentication::Resumed(..) => {
                core.info.resumed = Some(Resumption::Ticket);
                core.decide(|| Decision::Resuming13 {
                    suite: suite.suite,
                    group,
                });
            }
        }
        core.send_handshake(
            &HandshakeMessage::new(P::ServerHello(server_hello)),
            transcript,
        )?;
        // RFC 8446 §D.4: "The server sends a dummy change_cipher_spec record immediately
        // after its first handshake message" (once: after a HelloRetryRequest it went then).
        // It MUST when the client sent a session ID; "Either side can send change_cipher_spec
        // at any time during the handshake", so we always do, as BoringSSL does.
        core.send_compatibility_ccs()?;
        Ok(shared_secret)
    }
}

/// RFC 8446 §4.4.2 and §4.4.3: the chain, and the signature over the transcript so far.
fn send_certificate(
    core: &mut Core,
    transcript: &mut Transcript,
    identity: &Identity,
    scheme: SignatureScheme,
) -> Result<(), Error> {
    let certificate = Certificate13 {
        context: Vec::new(),
        entries: identity
            .chain
            .iter()
            .map(|c| CertificateEntry {
                cert: c.clone(),
                extensions: Vec::new(),
            })
            .collect(),
    };
    core.send_handshake(
        &HandshakeMessage::new(P::Certificate13(certificate)),
        transcript,
    )?;
    let content = tls13::certificate_verify_content(Side::Server, transcript)?;
    let signature = identity.key.sign(scheme, &content)?;
    core.send_handshake(
        &HandshakeMessage::new(P::CertificateVerify(DigitallySigned { scheme, signature })),
        transcript,
    )
}

/// RFC 8446 §4.1.4: asks the client for a share in `group`.
fn hello_retry_request(
    config: Arc<ServerConfig>,
    core: &mut Core,
    hello: &ClientHello,
    raw: &[u8],
    suite: &'static Suite13,
    group: NamedGroup,
    ech: Option<super::ech::Retry>,
) -> Result<Box<dyn State>, Error> {
    let mut first = Transcript::new();
    first.add(raw);
    let mut transcript = tls13::transcript_after_retry(first, suite.hash)?;
    let mut retry = ServerHello {
        server_version: ProtocolVersion::TLSv1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: vec![
            Extension::SelectedVersion(ProtocolVersion::TLSv1_3),
            Extension::KeyShareRetry(group),
        ],
    };
    // RFC 9849 §7.2.1: with ECH accepted, the HelloRetryRequest confirms it in an
    // encrypted_client_hello extension, computed with that payload zero.
    if core.info.ech == crate::conn::EchStatus::Accepted {
        retry.extensions.push(Extension::Unknown {
            typ: super::ech::ENCRYPTED_CLIENT_HELLO,
            data: vec![0; 8],
        });
        let mut conf = transcript.clone();
        conf.add(&HandshakeMessage::new(P::ServerHello(retry.clone())).to_bytes());
        let confirmation = super::ech::confirmation(
            suite.hash,
            super::ech::Confirming::HelloRetryRequest,
            &hello.random,
            conf.current_hash()?.as_ref(),
        );
        if let Some(Extension::Unknown { data, .. }) = retry.extensions.last_mut() {
            *data = confirmation.to_vec();
        }
    }
    core.info.hello_retry_request = true;
    core.decide(|| Decision::HelloRetryRequestSent { group });
    core.send_handshake(
        &HandshakeMessage::new(P::ServerHello(retry)),
        &mut transcript,
    )?;
    core.send_compatibility_ccs()?;
    Ok(Box::new(ExpectSecondClientHello {
        config,
        after: AfterRetry {
            transcript,
            suite,
            group,
            session_id: hello.session_id.clone(),
        },
        ech,
    }))
}

/// RFC 8446 §4.2.11: the first offered PSK, if it is one of our tickets, still valid, for this
/// name, and its binder proves the client holds it. Any other reason not to use it means a full
/// handshake; a binder that does not verify is fatal (decrypt_error).
fn find_psk(
    config: &ServerConfig,
    core: &mut Core,
    hello: &ClientHello,
    raw: &[u8],
    retry: Option<(&Transcript, &'static Suite13)>,
) -> Result<Option<(Session, EarlySecret)>, Error> {
    let Some(Extension::PreSharedKey(offered)) = hello.find(ExtensionType::PreSharedKey) else {
        return Ok(None);
    };
    // "The "pre_shared_key" extension MUST be the last extension in the ClientHello ...
    // Servers MUST check that it is the last extension and otherwise fail the handshake with
    // an "illegal_parameter" alert."
    if hello.extensions.last().map(|e| e.typ()) != Some(ExtensionType::PreSharedKey) {
        return Err(PeerMisbehaved::PskNotLast.into());
    }
    // RFC 8446 §4.2.9: "A client MUST provide a "psk_key_exchange_modes" extension if it
    // offers a "pre_shared_key" extension. If clients offer "pre_shared_key" without a
    // "psk_key_exchange_modes" extension, servers MUST abort the handshake." (§9.2 names the
    // alert: missing_extension.) With the extension but without psk_dhe_ke, the one mode we
    // use, the PSK is simply not used.
    if hello.find(ExtensionType::PskKeyExchangeModes).is_none() {
        return Err(PeerIncompatible::MissingExtension(ExtensionType::PskKeyExchangeModes).into());
    }
    if !hello::client_takes_psk_dhe_ke(hello) {
        return Ok(None);
    }
    let (Some(identity), Some(binder)) = (offered.identities.first(), offered.binders.first())
    else {
        return Ok(None);
    };
    match usable_ticket(
        config,
        core,
        hello,
        &identity.identity,
        retry.map(|(_, s)| s),
    ) {
        Ok((session, suite, psk)) => {
            let early = EarlySecret::new(suite.hash, Some(&psk));
            check_binder(raw, offered, &early, suite, retry.map(|(t, _)| t), binder)?;
            Ok(Some((session, early)))
        }
        Err(reason) => {
            core.decide(|| Decision::ResumptionRefused {
                version: Version::Tls13,
                reason,
            });
            Ok(None)
        }
    }
}

/// The session a PSK identity names, if it may resume this handshake.
fn usable_ticket(
    config: &ServerConfig,
    core: &Core,
    hello: &ClientHello,
    identity: &[u8],
    retry_suite: Option<&'static Suite13>,
) -> Result<(Session, &'static Suite13, crate::tls13::Secret), RefusalReason> {
    let sealed = match &config.tickets {
        Some(keys) => keys.unseal(core.now, identity).map(|b| b.to_vec()),
        None if config.session_ids => super::session_store(core, config).get(identity),
        None => None,
    };
    let session = sealed
        .and_then(|b| Session::decode(&b).ok())
        .ok_or(RefusalReason::TicketUnopened)?;
    let SessionSecrets::Tls13 { psk, .. } = &session.secrets else {
        return Err(RefusalReason::OtherVersion);
    };
    let psk = psk.clone();
    if session.is_expired(core.now) {
        return Err(RefusalReason::Expired);
    }
    if !session.is_for_server_name(core.info.server_name.as_deref()) {
        return Err(RefusalReason::OtherServerName);
    }
    let suite = config
        .common
        .tls13_suites()
        .into_iter()
        .find(|s| s.suite == session.cipher_suite)
        .ok_or(RefusalReason::SuiteUnavailable)?;
    // RFC 8446 §4.1.4: the ServerHello after a HelloRetryRequest keeps the HRR's suite.
    if retry_suite.is_some_and(|chosen| chosen.suite != suite.suite) {
        return Err(RefusalReason::SuiteNotRetrySuite);
    }
    if !hello.cipher_suites.contains(&suite.suite) {
        return Err(RefusalReason::SuiteNotOffered);
    }
    super::tls12::client_auth_allows(config, &session)?;
    Ok((session, suite, psk))
}

/// RFC 8446 §4.2.11.2: the binder is a Finished-style MAC over the ClientHello up to the
/// binders (after a HelloRetryRequest, over the transcript before it too).
fn check_binder(
    raw: &[u8],
    offered: &OfferedPsks,
    early: &EarlySecret,
    suite: &Suite13,
    prefix: Option<&Transcript>,
    binder: &[u8],
) -> Result<(), Error> {
    let truncated = raw
        .get(..raw.len().saturating_sub(offered.binders_len()))
        .unwrap_or_default();
    let expected = tls13::psk_binder(suite.hash, early, prefix, truncated)?;
    if crypto::equal_in_constant_time(&expected, binder) {
        Ok(())
    } else {
        Err(DecryptError::Binder.into())
    }
}

struct ExpectFinished {
    config: Arc<ServerConfig>,
    suite: &'static Suite13,
    transcript: Transcript,
    client_finished: PeerFinished,
    traffic: TrafficStage,
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    client_takes_tickets: bool,
    /// Who the client proved to be.
    peer: PeerAuthenticated,
}

/// The client's Certificate, when we asked for one (RFC 8446 §4.4.2).
struct ExpectCertificate {
    finished: ExpectFinished,
}

impl State for ExpectCertificate {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::Certificate)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::Certificate13(certificate), raw) = input.expect(HandshakeType::Certificate)? else {
            return Err(InternalError::StateInvariant.into());
        };
        let mut finished = self.finished;
        finished.transcript.add(raw);
        // RFC 8446 §4.4.2: the context of our request, which was empty.
        if !certificate.context.is_empty() {
            return Err(PeerMisbehaved::NonEmptyCertificateContext.into());
        }
        // §4.2: we asked for no CertificateEntry extensions (no status_request or SCT).
        if let Some(typ) = certificate.entry_extension()? {
            return Err(Error::UnsupportedExtension(typ));
        }
        let auth = auth::settings(&finished.config)?;
        let chain = certificate.entries.into_iter().map(|e| e.cert).collect();
        Ok(
            match auth::client_chain(core, auth, chain, Version::Tls13)? {
                Some(chain) => Box::new(ExpectCertificateVerify { finished, chain }),
                None => {
                    finished.peer = PeerAuthenticated::ClientAnonymous;
                    Box::new(finished)
                }
            },
        )
    }
}

/// RFC 8446 §4.4.3: the client's signature over the transcript through its Certificate.
struct ExpectCertificateVerify {
    finished: ExpectFinished,
    chain: auth::ClientChain,
}

impl State for ExpectCertificateVerify {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::CertificateVerify)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::CertificateVerify(signed), raw) = input.expect(HandshakeType::CertificateVerify)?
        else {
            return Err(InternalError::StateInvariant.into());
        };
        let mut finished = self.finished;
        let auth = auth::settings(&finished.config)?;
        let content = tls13::certificate_verify_content(Side::Client, &finished.transcript)?;
        let proof =
            auth::client_signature(core, auth, &self.chain, Version::Tls13, &signed, &content)?;
        finished.transcript.add(raw);
        finished.peer = PeerAuthenticated::client(self.chain.verified, proof);
        Ok(Box::new(finished))
    }
}

impl ExpectFinished {
    /// RFC 8446 §4.6.1: one NewSessionTicket after the client's Finished, its PSK derived from
    /// the resumption master secret. The ticket is the session sealed under the ticket keys
    /// shared with TLS 1.2, or, with tickets off, an ID into the shared session store.
    fn will_issue_ticket(&self) -> bool {
        self.client_takes_tickets && (self.config.tickets.is_some() || self.config.session_ids)
    }

    fn issue_ticket(&self, core: &mut Core, resumption_secret: &[u8]) -> Result<(), Error> {
        let nonce = vec![0u8];
        let session = Session {
            cipher_suite: self.suite.suite,
            created: core.now.as_secs(),
            lifetime: self.config.session_lifetime,
            ticket: Vec::new(),
            server_name: self.server_name.clone(),
            alpn_protocol: self.alpn.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            group: None,
            signature_scheme: core.info.client_signature_scheme,
            secrets: SessionSecrets::Tls13 {
                psk: tls13::resumption_psk(self.suite.hash, resumption_secret, &nonce),
                age_add: 0,
                received_ms: 0,
            },
        };
        let ticket = match &self.config.tickets {
            Some(keys) => keys.seal(core.now, &session.encode())?,
            None => {
                let id = crypto::random_bytes::<32>()?.to_vec();
                super::session_store(core, &self.config).put(id.clone(), session.encode().to_vec());
                id
            }
        };
        let lifetime = self
            .config
            .session_lifetime
            .as_secs()
            .min(MAX_TICKET_LIFETIME) as u32;
        let age_add = u32::from_be_bytes(crypto::random_bytes::<4>()?);
        let msg = NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions: Vec::new(),
        };
        core.send_post_handshake(&HandshakeMessage::new(P::NewSessionTicket13(msg)))
    }
}

impl State for ExpectFinished {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::Finished)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::Finished(received), raw) = input.expect(HandshakeType::Finished)? else {
            return Err(InternalError::StateInvariant.into());
        };
        let finished = self.client_finished.verify(&self.transcript, &received)?;
        core.decide(|| Decision::FinishedVerified {
            peer: Side::Client,
            version: Version::Tls13,
        });
        self.traffic.install_read(core)?;
        core.start_traffic()?;
        if self.will_issue_ticket() {
            // res master covers the transcript up to and including the client's Finished.
            let mut transcript = self.transcript.clone();
            transcript.add(raw);
            let resumption_secret = self.traffic.resumption_secret(&transcript)?;
            self.issue_ticket(core, &resumption_secret)?;
        }
        let this = *self;
        Ok(Traffic13::start(
            this.traffic.into_secrets(Side::Server),
            finished,
            this.peer,
            None,
        ))
    }
}
