//! The TLS 1.2 client (RFC 5246 §7.3), one struct per expected message:
//!
//! ```text
//!   ServerHello ──► ExpectCertificate
//!        ──(ECDHE)──► ExpectServerKeyExchange ──► ExpectServerHelloDone
//!        ──(RSA)───────────────────────────────► ExpectServerHelloDone
//!   ExpectServerHelloDone ──[Certificate] ClientKeyExchange, [CertificateVerify],
//!        ChangeCipherSpec, Finished──►
//!   ExpectChangeCipherSpec ──► ExpectFinished ──► Traffic12
//!
//!   ServerHello echoing our session ──► ExpectChangeCipherSpec ──► ExpectFinished
//!        ──ChangeCipherSpec, Finished──► Traffic12                      (abbreviated)
//! ```

use super::auth;
use super::chain::verify_chain;
use super::hello::{ExpectServerHello, SessionOffer, accept_alpn, cache_key};
use crate::config::ClientConfig;
use crate::conn::{
    Core, FinishedVerified, Input, KeyPossession, PeerAuthenticated, State, Transcript, unexpected,
};
use crate::crypto::{self, KeyExchange, KeyShare, Suite};
use crate::error::{
    DecryptError, Error, Expected, InternalError, PeerIncompatible, PeerMisbehaved,
};
use crate::record::RecordCipher;
use crate::session::{DEFAULT_SESSION_LIFETIME, Resumption, Session, SessionSecrets};
use crate::side::Side;
use crate::tls12::{ConnectionSecrets, Randoms, Traffic12};
use crate::trace::Decision;
use crate::verify::{self, ServerCertVerified};
use crate::version::Version;
use crate::wire::{
    CertificateRequest, ClientKeyExchange, Codec, DigitallySigned, EcdheParams,
    EcdheServerKeyExchange, Extension, HandshakeMessage, HandshakePayload as P, HandshakeType,
    NewSessionTicket, ProtocolVersion, ServerHello,
};
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// What every state after ServerHello carries.
struct Handshake {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    transcript: Transcript,
    randoms: Randoms,
    suite: &'static Suite,
    ems: bool,
    server_session_id: Vec<u8>,
    /// ServerHello carried an empty SessionTicket: a NewSessionTicket comes before its CCS.
    ticket_expected: bool,
    /// The saved session this handshake resumes.
    resumed_from: Option<Session>,
    /// The server answered our Encrypted Client Hello in TLS 1.2: this handshake only
    /// authenticates the public name, and ends in ech_required (RFC 9849 §6.1.6).
    ech_rejected: Option<Box<super::ech::Rejected>>,
}

/// A TLS 1.2 ServerHello: a full handshake, or the resumption of the session we offered.
pub(super) fn server_hello(
    mut sent: Box<ExpectServerHello>,
    core: &mut Core,
    hello: ServerHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    // RFC 9849 §6.1.4: "If the message does not negotiate TLS 1.3 or higher, the server has
    // rejected ECH."
    super::ech::reject(&mut sent, core)?;
    let suite = sent
        .config
        .common
        .tls12_suites()
        .into_iter()
        .find(|s| s.suite == hello.cipher_suite)
        .ok_or(PeerMisbehaved::SuiteNotOffered)?;
    if hello.compression_method != 0 {
        return Err(PeerMisbehaved::CompressionNotOffered.into());
    }
    let (ems, ticket_expected) = check_extensions(core, &sent, &hello, suite)?;
    core.version = Some(Version::Tls12);
    sent.transcript.add(raw);
    sent.transcript.start_hash(suite.hash);
    core.info.session_id = hello.session_id.clone();
    core.info.version = Some(Version::Tls12);
    core.info.cipher_suite = Some(suite.suite);
    core.info.extended_master_secret = ems;
    let resumed = sent
        .session_offer
        .take()
        .filter(|o| !hello.session_id.is_empty() && hello.session_id == o.session_id);
    // RFC 5246 §7.4.1.3: a server that echoes our session ID resumes that session. Echoing one
    // for which we offered no TLS 1.2 session (a TLS 1.3 middlebox-compatibility ID, or one we
    // never had) claims a resumption we cannot make.
    if resumed.is_none()
        && !hello.session_id.is_empty()
        && hello.session_id == sent.hello.session_id
    {
        return Err(PeerMisbehaved::SessionIdEchoMismatch.into());
    }
    // What the later states need, out of the box; the rest (key shares) goes with it.
    let ExpectServerHello {
        config,
        server_name,
        transcript,
        client_random,
        ech_rejected,
        ..
    } = *sent;
    let hs = Handshake {
        config,
        server_name,
        transcript,
        randoms: Randoms {
            client: client_random,
            server: hello.random,
        },
        suite,
        ems,
        server_session_id: hello.session_id,
        ticket_expected,
        resumed_from: None,
        ech_rejected,
    };
    if let Some(offer) = resumed {
        return resume(hs, core, offer);
    }
    core.decide(|| Decision::Negotiated12 {
        suite: suite.suite,
        extended_master_secret: ems,
    });
    Ok(Box::new(ExpectCertificate { hs }))
}

/// RFC 5246 §7.4.1.4: "If a client receives an extension type in ServerHello that it did not
/// request in the associated ClientHello, it MUST abort the handshake with an
/// unsupported_extension fatal alert." Returns whether EMS was negotiated and a ticket is due.
fn check_extensions(
    core: &mut Core,
    sent: &ExpectServerHello,
    hello: &ServerHello,
    suite: &Suite,
) -> Result<(bool, bool), Error> {
    let mut ems = false;
    let mut ticket_expected = false;
    for ext in &hello.extensions {
        match ext {
            Extension::ServerNameAck if matches!(sent.server_name, ServerName::DnsName(_)) => {}
            Extension::EcPointFormats(formats) if suite.kx == KeyExchange::Ecdhe => {
                // RFC 8422 §5.2: the server's list must include uncompressed.
                if !formats.contains(&0) {
                    return Err(PeerMisbehaved::PointFormatsWithoutUncompressed.into());
                }
            }
            Extension::ExtendedMasterSecret => ems = true,
            Extension::SessionTicket(data) if sent.config.tickets && data.is_empty() => {
                ticket_expected = true;
            }
            // RFC 5746 §3.4: "the client MUST then verify that the length of the
            // "renegotiated_connection" field is zero, and if it is not, MUST abort the
            // handshake (by sending a fatal handshake_failure alert)."
            Extension::RenegotiationInfo(data) if !data.is_empty() => {
                return Err(PeerMisbehaved::NonEmptyRenegotiationInfo.into());
            }
            Extension::RenegotiationInfo(_) => {}
            // RFC 7301 §3.1: the server's list "MUST contain exactly one" protocol we offered.
            Extension::Alpn(protocols) if !sent.config.common.alpn_protocols.is_empty() => {
                accept_alpn(core, &sent.config, protocols)?;
            }
            // RFC 5246 §7.4.1.4 forbids only extensions we did not send; we sent
            // supported_groups, and some servers echo it (RFC 8422 defines no server form, so
            // it tells us nothing and is ignored).
            Extension::SupportedGroups(_) => {}
            other => return Err(Error::UnsupportedExtension(other.typ())),
        }
    }
    // RFC 7627 §5.2: a client that requires EMS aborts with handshake_failure.
    if !ems && sent.config.common.require_extended_master_secret {
        return Err(PeerIncompatible::ServerLacksEms.into());
    }
    Ok((ems, ticket_expected))
}

/// RFC 5246 §7.3: the server echoed our session ID, so it resumes: no Certificate, no key
/// exchange; the keys come from the saved master secret and the two new randoms.
fn resume(
    mut hs: Handshake,
    core: &mut Core,
    offer: SessionOffer,
) -> Result<Box<dyn State>, Error> {
    let session = offer.session;
    let SessionSecrets::Tls12 {
        master_secret,
        extended_master_secret,
        ..
    } = &session.secrets
    else {
        return Err(InternalError::StateInvariant.into());
    };
    // RFC 5246 §7.4.1.3: a resumed session keeps its cipher suite.
    if hs.suite.suite != session.cipher_suite {
        return Err(PeerMisbehaved::ResumedWithOtherSuite.into());
    }
    // RFC 7627 §5.3: "If the original session used the extension but the new ServerHello does
    // not contain the extension, the client MUST abort the handshake." (and the converse).
    if hs.ems != *extended_master_secret {
        return Err(PeerMisbehaved::ResumedWithOtherEms.into());
    }
    core.info.resumed = Some(offer.by);
    // What the full handshake settled, as the session remembers it.
    core.info.peer_certificates = session.peer_certificates.clone();
    core.info.group = session.group;
    core.info.signature_scheme = session.signature_scheme;
    core.decide(|| Decision::ServerResumes12 { by: offer.by });
    let secrets =
        ConnectionSecrets::resumed(core, hs.suite, master_secret.clone(), hs.randoms, hs.ems);
    let (write, read) = secrets.record_ciphers(core)?;
    hs.resumed_from = Some(session);
    Ok(Box::new(ExpectChangeCipherSpec {
        hs,
        secrets,
        read,
        peer: PeerAuthenticated::ServerResumed,
        write: Some(write),
        new_ticket: None,
    }))
}

struct ExpectCertificate {
    hs: Handshake,
}

impl State for ExpectCertificate {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::Certificate)
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let (P::Certificate(chain), raw) = input.expect(HandshakeType::Certificate)? else {
            return Err(InternalError::StateInvariant.into());
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
                key_exchange: ServerKeyExchange::Rsa,
                certificate_request: None,
            }),
        })
    }
}

/// What the states after Certificate carry.
struct AfterCertificate {
    hs: Handshake,
    verified: ServerCertVerified,
    end_entity: CertificateDer<'static>,
}

struct ExpectServerKeyExchange {
    next: AfterCertificate,
}

impl State for ExpectServerKeyExchange {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::ServerKeyExchange)
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let (P::ServerKeyExchange(body), raw) = input.expect(HandshakeType::ServerKeyExchange)?
        else {
            return Err(InternalError::StateInvariant.into());
        };
        let hs = &mut self.next.hs;
        hs.transcript.add(raw);
        let ske = EcdheServerKeyExchange::from_bytes(&body)?;
        // RFC 8422 §5.4: the server must pick a curve the client offered.
        if !hs.config.common.tls12_groups().contains(&ske.params.group) {
            return Err(PeerMisbehaved::GroupNotOffered.into());
        }
        // RFC 8422 §5.4: signed_params covers ClientHello.random + ServerHello.random +
        // ServerECDHParams. RFC 5246 §7.4.3: the scheme must be one the client offered, and
        // fit the suite's authentication.
        let mut signed = Vec::with_capacity(64 + 4 + ske.params.public.len());
        signed.extend_from_slice(&hs.randoms.client);
        signed.extend_from_slice(&hs.randoms.server);
        ske.params.encode(&mut signed);
        let scheme = ske.signed.scheme;
        let proof = verify::verify_handshake_signature(
            &self.next.end_entity,
            Version::Tls12,
            verify::Signed {
                scheme,
                message: &signed,
                signature: &ske.signed.signature,
            },
            &hs.config.signature_schemes,
            Some(hs.suite.auth),
            DecryptError::ServerKeyExchangeSignature,
        )?;
        core.info.group = Some(ske.params.group);
        core.info.signature_scheme = Some(scheme);
        core.decide(|| Decision::ServerKeyExchangeVerified {
            group: ske.params.group,
            server_public: ske.params.public.clone(),
            scheme,
        });
        Ok(Box::new(ExpectServerHelloDone {
            next: self.next,
            key_exchange: ServerKeyExchange::Ecdhe(ske.params, proof),
            certificate_request: None,
        }))
    }
}

/// What the server's key exchange is, once ServerKeyExchange (or its absence) settled it.
enum ServerKeyExchange {
    /// The server's signed ECDHE parameters.
    Ecdhe(EcdheParams, verify::HandshakeSignatureVerified),
    /// RSA key transport to the certificate's key.
    Rsa,
}

struct ExpectServerHelloDone {
    next: AfterCertificate,
    key_exchange: ServerKeyExchange,
    /// The server's CertificateRequest, when it sent one.
    certificate_request: Option<CertificateRequest>,
}

impl State for ExpectServerHelloDone {
    fn expects(&self) -> Expected {
        Expected::OneOf(&[
            HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone,
        ])
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::CertificateRequest(request),
                    },
                raw,
            } if self.certificate_request.is_none() => {
                self.next.hs.transcript.add(raw);
                self.certificate_request = Some(request);
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
            other => Err(unexpected(
                Expected::Message(HandshakeType::ServerHelloDone),
                &other,
            )),
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
        // RFC 5246 §7.4.6: "This message is only sent if the server requests a certificate.
        // If no suitable certificate is available, the client MUST send a certificate message
        // containing no certificates."
        let signer = match &self.certificate_request {
            Some(request) => {
                // RFC 9849 §6.1.7: with ECH rejected, "an empty Certificate message".
                let chosen = match hs.ech_rejected {
                    Some(_) => None,
                    None => auth::choose(
                        &hs.config,
                        Version::Tls12,
                        &request.signature_schemes,
                        Some(&request.certificate_types),
                    ),
                };
                core.decide(|| Decision::ClientCertificateRequested {
                    scheme: chosen.map(|(_, scheme)| scheme),
                });
                let chain = chosen.map(|(identity, _)| identity.chain.clone());
                core.send_handshake(
                    &HandshakeMessage::new(P::Certificate(chain.unwrap_or_default())),
                    &mut hs.transcript,
                )?;
                core.info.client_signature_scheme = chosen.map(|(_, scheme)| scheme);
                chosen.map(|(identity, scheme)| (Arc::clone(&identity.key), scheme))
            }
            None => None,
        };
        let (pre_master_secret, cke, key) = match self.key_exchange {
            ServerKeyExchange::Ecdhe(params, proof) => {
                let share = KeyShare::generate(params.group)?;
                let public = share.public.clone();
                let secret = share.agree(&params.public)?;
                core.decide(|| Decision::ClientKeyShareSent {
                    client_public: public.clone(),
                });
                (
                    secret,
                    ClientKeyExchange::Ecdhe(public),
                    KeyPossession::Signed(proof),
                )
            }
            ServerKeyExchange::Rsa => {
                let (pms, encrypted) = encrypt_pre_master_secret(&end_entity)?;
                let ciphertext_len = encrypted.len();
                core.decide(|| Decision::PreMasterSecretEncrypted { ciphertext_len });
                (
                    pms,
                    ClientKeyExchange::Rsa(encrypted),
                    KeyPossession::RsaKeyTransport,
                )
            }
        };
        let mut body = Vec::new();
        cke.encode(&mut body);
        core.send_handshake(
            &HandshakeMessage::new(P::ClientKeyExchange(body)),
            &mut hs.transcript,
        )?;
        let secrets = ConnectionSecrets::from_pre_master_secret(
            core,
            hs.suite,
            pre_master_secret,
            hs.randoms,
            hs.ems,
            &hs.transcript,
        )?;
        let (write, read) = secrets.record_ciphers(core)?;
        // RFC 5246 §7.4.8: after ClientKeyExchange, a signature over every handshake message so
        // far (the session hash of RFC 7627 stops at ClientKeyExchange, so this comes after it).
        if let Some((key, scheme)) = signer {
            let messages = hs
                .transcript
                .messages()
                .ok_or(InternalError::StateInvariant)?;
            let signature = key.sign(scheme, messages)?;
            core.send_handshake(
                &HandshakeMessage::new(P::CertificateVerify(DigitallySigned { scheme, signature })),
                &mut hs.transcript,
            )?;
        }
        secrets.send_change_cipher_spec_and_finished(core, write, &mut hs.transcript)?;
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            secrets,
            read,
            peer: PeerAuthenticated::server(verified, key),
            write: None,
            new_ticket: None,
        }))
    }
}

/// RFC 5246 §7.4.7.1: client_version (the version offered) + 46 random bytes, encrypted to
/// the server certificate's RSA key.
fn encrypt_pre_master_secret(
    end_entity: &CertificateDer<'_>,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
    let mut pms = Zeroizing::new(Vec::with_capacity(48));
    pms.extend_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
    pms.extend_from_slice(&crypto::random_bytes::<46>()?);
    let cert = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| crate::error::CertificateError::BadEncoding(crate::verify::in_words(&e)))?;
    let encrypted =
        crypto::rsa_encrypt_pre_master_secret(cert.subject_public_key_info().as_ref(), &pms)?;
    Ok((pms, encrypted))
}

struct ExpectChangeCipherSpec {
    hs: Handshake,
    secrets: ConnectionSecrets,
    read: RecordCipher,
    peer: PeerAuthenticated,
    /// Our write keys, switched on after the server's Finished when resuming; `None` in a full
    /// handshake, where our Finished went first.
    write: Option<RecordCipher>,
    new_ticket: Option<NewSessionTicket>,
}

impl State for ExpectChangeCipherSpec {
    fn expects(&self) -> Expected {
        if self.hs.ticket_expected && self.new_ticket.is_none() {
            Expected::Message(HandshakeType::NewSessionTicket)
        } else {
            Expected::ChangeCipherSpec
        }
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let ticket_due = self.hs.ticket_expected && self.new_ticket.is_none();
        match input {
            // RFC 5077 §3.3: promised by the empty SessionTicket extension in ServerHello,
            // "sent ... before the ChangeCipherSpec message".
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::NewSessionTicket(ticket),
                    },
                raw,
            } if ticket_due => {
                self.hs.transcript.add(raw);
                self.new_ticket = Some(ticket);
                Ok(self)
            }
            Input::ChangeCipherSpec if ticket_due => Err(unexpected(
                Expected::Message(HandshakeType::NewSessionTicket),
                &input,
            )),
            Input::ChangeCipherSpec => {
                core.set_decrypter(self.read);
                Ok(Box::new(ExpectFinished {
                    hs: self.hs,
                    secrets: self.secrets,
                    peer: self.peer,
                    write: self.write,
                    new_ticket: self.new_ticket,
                }))
            }
            other => Err(unexpected(Expected::ChangeCipherSpec, &other)),
        }
    }
}

struct ExpectFinished {
    hs: Handshake,
    secrets: ConnectionSecrets,
    peer: PeerAuthenticated,
    write: Option<RecordCipher>,
    new_ticket: Option<NewSessionTicket>,
}

impl State for ExpectFinished {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::Finished)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::Finished(received), raw) = input.expect(HandshakeType::Finished)? else {
            return Err(InternalError::StateInvariant.into());
        };
        let mut hs = self.hs;
        let finished: FinishedVerified =
            self.secrets
                .verify_peer_finished(core, &hs.transcript, &received)?;
        core.decide(|| Decision::FinishedVerified {
            peer: Side::Server,
            version: Version::Tls12,
        });
        if let Some(write) = self.write {
            // Abbreviated handshake: our ChangeCipherSpec and Finished come last.
            hs.transcript.add(raw);
            self.secrets
                .send_change_cipher_spec_and_finished(core, write, &mut hs.transcript)?;
        }
        // RFC 9849 §6.1.6 and §6.1.7: authenticated as the public name, the handshake
        // complete: ech_required, no session kept.
        if let Some(rejected) = hs.ech_rejected.take() {
            return Err(rejected.into_error());
        }
        hs.save_session(core, &self.secrets, self.new_ticket);
        core.start_traffic()?;
        Ok(Traffic12::start(finished, self.peer))
    }
}

impl Handshake {
    /// Keeps the session for this server name, so a later connection can offer it.
    fn save_session(
        &self,
        core: &mut Core,
        secrets: &ConnectionSecrets,
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
            cipher_suite: self.suite.suite,
            created: previous.map_or(core.now.as_secs(), |p| p.created),
            lifetime,
            ticket,
            server_name: core.info.server_name.clone(),
            alpn_protocol: core.info.alpn_protocol.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            group: core.info.group,
            signature_scheme: core.info.signature_scheme,
            secrets: SessionSecrets::Tls12 {
                master_secret: secrets.master_secret().clone(),
                extended_master_secret: self.ems,
                session_id: self.server_session_id.clone(),
            },
        };
        if session.session_id().is_empty() && session.ticket.is_empty() {
            return;
        }
        // A resumption that brought no new ticket changed nothing the cache holds (same
        // master secret, session ID, ticket and creation time): the entry it was read from
        // stays, and re-encoding the session would only cost time.
        let unchanged = previous.is_some() && !got_ticket;
        if let (Some(cache), false) = (&self.config.session_cache, unchanged) {
            cache.put(cache_key(&self.server_name), session.encode().to_vec());
            let by = if session.ticket.is_empty() {
                Resumption::SessionId
            } else {
                Resumption::Ticket
            };
            core.decide(|| Decision::SessionSaved {
                version: Version::Tls12,
                server_name: self.server_name.to_str().into_owned(),
                by,
            });
        }
        core.session = Some(session);
    }
}
