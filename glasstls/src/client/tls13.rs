//! The TLS 1.3 client (RFC 8446 §2), one struct per expected message:
//!
//! ```text
//!   ClientHello ──(HelloRetryRequest ──► ClientHello)──► ServerHello
//!     ──► ExpectEncryptedExtensions ──► ExpectCertificate ([CertificateRequest], Certificate)
//!     ──► ExpectCertificateVerify ──► ExpectFinished
//!     ──[ChangeCipherSpec, Certificate], Finished──► Traffic13
//! ```
//! Everything after ServerHello is encrypted under the handshake traffic keys.

use super::auth;
use super::chain::verify_chain;
use super::ech;
use super::hello::{ExpectServerHello, PskOffer, accept_alpn, cache_key, fill_binder};
use crate::config::ClientConfig;
use crate::conn::{
    Core, EchStatus, Input, KeyPossession, PeerAuthenticated, State, Transcript, unexpected,
};
use crate::crypto::{self, KeyShare, Suite13};
use crate::ech::ENCRYPTED_CLIENT_HELLO;
use crate::error::{
    DecryptError, Error, Expected, InternalError, PeerIncompatible, PeerMisbehaved,
    UnexpectedMessage,
};
use crate::session::{DEFAULT_SESSION_LIFETIME, Resumption, Session, SessionSecrets};
use crate::side::Side;
use crate::tls13::{self, EarlySecret, HandshakeStage, Secret, Traffic13};
use crate::trace::Decision;
use crate::verify::{self, ServerCertVerified};
use crate::version::Version;
use crate::wire::{
    Certificate13, CertificateEntry, ClientHello, DigitallySigned, Extension, ExtensionType,
    HandshakeMessage, HandshakePayload as P, HandshakeType, InvalidMessage, KeyShareEntry,
    NewSessionTicket13, ProtocolVersion, ServerHello, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;

/// Checks what ServerHello and HelloRetryRequest have in common and returns the suite.
fn common_checks(sent: &ExpectServerHello, hello: &ServerHello) -> Result<&'static Suite13, Error> {
    // RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field that does not
    // match what it sent in the ClientHello MUST abort the handshake with an
    // "illegal_parameter" alert."
    if hello.session_id != sent.hello.session_id {
        return Err(PeerMisbehaved::SessionIdEchoMismatch.into());
    }
    if hello.compression_method != 0 {
        return Err(PeerMisbehaved::CompressionNotOffered.into());
    }
    let suite = sent
        .config
        .common
        .tls13_suites()
        .into_iter()
        .find(|s| s.suite == hello.cipher_suite)
        .ok_or(PeerMisbehaved::SuiteNotOffered)?;
    // RFC 8446 §4.1.4: the ServerHello after a HelloRetryRequest must keep its suite.
    if sent.retry_suite.is_some_and(|s| s != suite.suite) {
        return Err(PeerMisbehaved::SuiteChangedAfterRetry.into());
    }
    Ok(suite)
}

/// RFC 8446 §4.1.4: answers a HelloRetryRequest with a second ClientHello.
pub(super) fn hello_retry(
    mut sent: Box<ExpectServerHello>,
    core: &mut Core,
    retry: ServerHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    // "If a client receives a second HelloRetryRequest in the same connection ... it MUST
    // abort the handshake with an "unexpected_message" alert."
    if sent.retry_suite.is_some() {
        return Err(UnexpectedMessage::SecondHelloRetryRequest.into());
    }
    let suite = common_checks(&sent, &retry)?;
    // The version is settled: TLS 1.3 rules (compatibility CCS, alerts) apply from here.
    core.version = Some(Version::Tls13);
    core.info.hello_retry_request = true;
    let (group, cookie) = retry_request(&sent, core, &retry)?;
    core.decide(|| Decision::HelloRetryRequested {
        group,
        cookie: cookie.is_some(),
    });
    let after_retry = |sent: &mut ExpectServerHello| {
        tls13::transcript_after_retry(
            std::mem::replace(&mut sent.transcript, Transcript::new()),
            suite.hash,
        )
    };
    let mut transcript = after_retry(&mut sent)?;
    // RFC 9849 §6.1.4: the HelloRetryRequest says whether ECH was accepted (over the inner
    // hello's transcript, which `transcript` is until then); if not, the handshake goes on
    // with the outer hello and its transcript.
    if sent.ech.is_some() {
        if ech::retry_request_accepts(suite.hash, &transcript, &sent.hello.random, raw)? {
            if let Some(offer) = sent.ech.as_mut() {
                offer.accepted_by_retry = true;
            }
        } else {
            ech::reject(&mut sent, core)?;
            transcript = after_retry(&mut sent)?;
        }
    }
    transcript.add(raw);
    let entry = match group {
        Some(g) => {
            let share = KeyShare::generate(g)?;
            let entry = KeyShareEntry {
                group: g,
                key_exchange: share.public.clone(),
            };
            sent.shares = vec![share];
            Some(entry)
        }
        None => None,
    };
    let hello = second_hello(&sent.hello, entry.as_ref(), cookie.as_ref());
    let mut hello = hello;
    // RFC 8446 §4.1.4: a PSK stays only if its hash fits the suite the server chose; its
    // binder now covers the transcript so far.
    match sent.psk_offer.take() {
        Some(offer)
            if crypto::suite13(offer.session.cipher_suite)
                .is_some_and(|s| s.hash == suite.hash) =>
        {
            fill_binder(&mut hello, &offer, Some(&transcript))?;
            sent.psk_offer = Some(offer);
        }
        _ => hello
            .extensions
            .retain(|e| e.typ() != ExtensionType::PreSharedKey),
    }
    // RFC 8446 §D.4: the compatibility change_cipher_spec goes "immediately before its second
    // flight. This may either be before its second ClientHello or before its encrypted
    // handshake flight." Before the second ClientHello, as BoringSSL, OpenSSL and browsers
    // send it (BoGo's runner insists on it); `send_compatibility_ccs` then sends no other.
    if !hello.session_id.is_empty() {
        core.send_compatibility_ccs()?;
    }
    let message = HandshakeMessage::new(P::ClientHello(hello.clone()));
    match sent.ech.as_mut() {
        // RFC 9849 §6.1.5: the second inner hello goes sealed in a second outer one, changed
        // as the inner one was; both inner hellos make the transcript.
        Some(offer) => {
            let outer = second_hello(&offer.outer, entry.as_ref(), cookie.as_ref());
            offer.outer = ech::reseal(offer, &hello, outer)?;
            ech::send(core, offer, &hello, &mut transcript)?;
        }
        None => core.send_handshake(&message, &mut transcript)?,
    }
    sent.hello = hello;
    sent.transcript = transcript;
    sent.retry_suite = Some(suite.suite);
    Ok(sent)
}

/// RFC 8446 §4.1.4: the second ClientHello is the first with the share the server asked for
/// and its cookie (echoed before pre_shared_key, which stays last, §4.2.2).
fn second_hello(
    first: &ClientHello,
    share: Option<&KeyShareEntry>,
    cookie: Option<&Vec<u8>>,
) -> ClientHello {
    let mut hello = first.clone();
    if let Some(entry) = share {
        for ext in &mut hello.extensions {
            if let Extension::KeyShares(shares) = ext {
                *shares = vec![entry.clone()];
            }
        }
    }
    if let Some(cookie) = cookie {
        hello.insert_before_psk(Extension::Cookie(cookie.clone()));
    }
    hello
}

/// What a HelloRetryRequest asks for: a share for a group, a cookie echoed, or both.
fn retry_request(
    sent: &ExpectServerHello,
    core: &Core,
    retry: &ServerHello,
) -> Result<(Option<crate::wire::NamedGroup>, Option<Vec<u8>>), Error> {
    let (mut group, mut cookie) = (None, None);
    for ext in &retry.extensions {
        match ext {
            Extension::SelectedVersion(ProtocolVersion::TLSv1_3) => {}
            Extension::SelectedVersion(_) => {
                return Err(PeerMisbehaved::RetrySelectedOtherVersion.into());
            }
            Extension::KeyShareRetry(g) => group = Some(*g),
            Extension::Cookie(c) => cookie = Some(c.clone()),
            // RFC 9849 §6.1.4 and §6.2.1: checked where acceptance is decided (GREASE: only
            // its length).
            Extension::Unknown { typ, data } if *typ == ENCRYPTED_CLIENT_HELLO && sent.ech_sent => {
                if data.len() != 8 {
                    return Err(InvalidMessage::BadLength("encrypted_client_hello").into());
                }
            }
            other => return Err(Error::UnsupportedExtension(other.typ())),
        }
    }
    // "Upon receipt of this extension in a HelloRetryRequest, the client MUST verify that
    // (1) the selected_group field corresponds to a group which was provided in the
    // "supported_groups" extension in the original ClientHello and (2) the selected_group
    // field does not correspond to a group which was provided in the "key_share" extension in
    // the original ClientHello."
    if let Some(g) = group {
        if !core.info.offered_groups.contains(&g) || sent.shares.iter().any(|s| s.group == g) {
            return Err(PeerMisbehaved::RetryGroupUnusable.into());
        }
    }
    // "Clients MUST abort the handshake with an "illegal_parameter" alert if the
    // HelloRetryRequest would not result in any change in the ClientHello."
    if group.is_none() && cookie.is_none() {
        return Err(PeerMisbehaved::RetryChangesNothing.into());
    }
    Ok((group, cookie))
}

/// A TLS 1.3 ServerHello: derive the handshake keys and expect the encrypted flight.
pub(super) fn server_hello(
    mut sent: Box<ExpectServerHello>,
    core: &mut Core,
    hello: ServerHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    let suite = common_checks(&sent, &hello)?;
    // RFC 9849 §6.1.4: the ServerHello's random says whether the server took the inner hello.
    if let Some(offer) = &sent.ech {
        let mut inner = sent.transcript.clone();
        if sent.retry_suite.is_none() {
            inner.start_hash(suite.hash);
        }
        if ech::server_hello_accepts(suite.hash, &inner, &sent.hello.random, raw)? {
            core.info.ech = EchStatus::Accepted;
            let public_name = offer.config.public_name.clone();
            core.decide(|| Decision::EchAccepted {
                public_name,
                server_name: sent.server_name.to_str().into_owned(),
            });
            sent.ech = None;
        } else if offer.accepted_by_retry {
            return Err(PeerMisbehaved::EchAcceptanceLost.into());
        } else {
            ech::reject(&mut sent, core)?;
        }
    }
    // RFC 9849 §6.1.2: "If ECH is rejected and the client-facing server replies with a
    // "pre_shared_key" extension in its ServerHello, then the client MUST abort the handshake
    // with an "illegal_parameter" alert."
    if sent.ech_rejected.is_some() && hello.find(ExtensionType::PreSharedKey).is_some() {
        return Err(PeerMisbehaved::EchRejectedButResumed.into());
    }
    let (server_share, resumed) = server_hello_extensions(&mut sent, &hello, suite)?;
    let index = sent
        .shares
        .iter()
        .position(|s| s.group == server_share.group)
        .ok_or(PeerMisbehaved::KeyShareForUnofferedGroup)?;
    let share = sent.shares.swap_remove(index);
    let shared_secret = share.agree(&server_share.key_exchange)?;
    core.version = Some(Version::Tls13);
    core.info.version = Some(Version::Tls13);
    core.info.cipher_suite = Some(suite.suite);
    core.info.group = Some(server_share.group);
    let mut transcript = std::mem::replace(&mut sent.transcript, Transcript::new());
    // TLS 1.3 signs the transcript hash; the messages kept for a TLS 1.2 CertificateVerify
    // are not needed.
    transcript.forget_messages();
    if sent.retry_suite.is_none() {
        transcript.start_hash(suite.hash);
    }
    transcript.add(raw);
    core.decide(|| Decision::Negotiated13 {
        suite: suite.suite,
        group: server_share.group,
        server_share_len: server_share.key_exchange.len(),
    });
    // The Early Secret our binder was made under, or the one without a PSK.
    let (resumed, early) = match resumed {
        Some(offer) => (Some(offer.session), offer.early),
        None => (None, EarlySecret::new(suite.hash, None)),
    };
    if let Some(session) = &resumed {
        core.info.resumed = Some(Resumption::Ticket);
        // The full handshake's chain and signature; the group is this handshake's own.
        core.info.peer_certificates = session.peer_certificates.clone();
        core.info.signature_scheme = session.signature_scheme;
        core.decide(|| Decision::ServerResumes13);
    }
    let keys = HandshakeStage::new(
        core,
        suite,
        early,
        &shared_secret,
        &transcript,
        sent.client_random,
    )?;
    keys.install_read(core)?;
    // From here on what we send is protected under our handshake keys too: an alert about
    // the server's flight must be readable by the server (RFC 8446 §6: alerts are encrypted
    // under the current keys). The compatibility change_cipher_spec goes first (RFC 8446
    // §D.4: "before its second flight"), once.
    core.send_compatibility_ccs()?;
    keys.install_write(core)?;
    core.decide(|| Decision::HandshakeEncrypted);
    let ExpectServerHello {
        config,
        server_name,
        ech_sent,
        ech_rejected,
        ..
    } = *sent;
    Ok(Box::new(ExpectEncryptedExtensions {
        hs: Handshake {
            config,
            server_name,
            transcript,
            suite,
            keys,
            certificate_request: None,
            resumed,
            ech_sent,
            ech_rejected,
        },
    }))
}

/// The server's key share, and the PSK offer it took if it took ours. RFC 8446 §4.2.11:
/// "Clients MUST verify that the server's selected_identity is within the range supplied by the
/// client, that the server selected a cipher suite indicating a Hash associated with the PSK".
fn server_hello_extensions<'h>(
    sent: &mut ExpectServerHello,
    hello: &'h ServerHello,
    suite: &Suite13,
) -> Result<(&'h KeyShareEntry, Option<PskOffer>), Error> {
    let mut server_share = None;
    let mut selected_psk = None;
    for ext in &hello.extensions {
        match ext {
            Extension::SelectedVersion(_) => {}
            Extension::KeyShare(share) => server_share = Some(share),
            Extension::PreSharedKeySelected(index) => selected_psk = Some(*index),
            other => return Err(Error::UnsupportedExtension(other.typ())),
        }
    }
    let resumed = match (selected_psk, sent.psk_offer.take()) {
        (None, _) => None,
        // RFC 8446 §4.2: an extension in answer to none we sent is unsupported_extension.
        (Some(_), None) => {
            return Err(Error::UnsupportedExtension(ExtensionType::PreSharedKey));
        }
        (Some(0), Some(offer))
            if crypto::suite13(offer.session.cipher_suite)
                .is_some_and(|s| s.hash == suite.hash) =>
        {
            Some(offer)
        }
        _ => return Err(PeerMisbehaved::PskNotOffered.into()),
    };
    // RFC 8446 §9.2: a ServerHello without key_share (and no PSK) misses a mandatory extension.
    let server_share =
        server_share.ok_or(PeerIncompatible::MissingExtension(ExtensionType::KeyShare))?;
    Ok((server_share, resumed))
}

/// What every state after ServerHello carries.
struct Handshake {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    transcript: Transcript,
    suite: &'static Suite13,
    keys: HandshakeStage,
    /// The certificate_request_context and the schemes the server accepts, when it asked for
    /// a client certificate.
    certificate_request: Option<(Vec<u8>, Vec<SignatureScheme>)>,
    /// The session this handshake resumes: no certificate comes.
    resumed: Option<Session>,
    /// We sent an encrypted_client_hello (real or GREASE).
    ech_sent: bool,
    /// The server did not accept our Encrypted Client Hello: this handshake authenticates the
    /// public name, and ends in ech_required.
    ech_rejected: Option<Box<ech::Rejected>>,
}

struct ExpectEncryptedExtensions {
    hs: Handshake,
}

impl State for ExpectEncryptedExtensions {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::EncryptedExtensions)
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let (P::EncryptedExtensions(exts), raw) =
            input.expect(HandshakeType::EncryptedExtensions)?
        else {
            return Err(InternalError::StateInvariant.into());
        };
        for ext in &exts {
            match ext {
                Extension::ServerNameAck
                    if matches!(self.hs.server_name, ServerName::DnsName(_)) => {}
                Extension::SupportedGroups(_) => {}
                // RFC 7301 §3.1: exactly one protocol, one we offered.
                Extension::Alpn(protocols) if !self.hs.config.common.alpn_protocols.is_empty() => {
                    accept_alpn(core, &self.hs.config, protocols)?;
                }
                // RFC 8446 §4.2: extensions that belong to other messages are illegal here.
                Extension::KeyShare(_)
                | Extension::SelectedVersion(_)
                | Extension::Cookie(_)
                | Extension::ExtendedMasterSecret => {
                    return Err(PeerMisbehaved::MisplacedEncryptedExtension.into());
                }
                // RFC 9849 §5: retry_configs, "valid only when the server used the
                // ClientHelloOuter. If the server sent this extension in response to the inner
                // variant, then the client MUST abort with an "unsupported_extension" alert."
                // After GREASE it is checked and dropped (§6.2.1).
                Extension::Unknown { typ, data }
                    if *typ == ENCRYPTED_CLIENT_HELLO
                        && self.hs.ech_sent
                        && core.info.ech != EchStatus::Accepted =>
                {
                    let configs = ech::retry_configs(data)?;
                    if let Some(rejected) = &mut self.hs.ech_rejected {
                        rejected.retry_configs = configs;
                        rejected.retry_config_list.clone_from(data);
                    }
                }
                other => return Err(Error::UnsupportedExtension(other.typ())),
            }
        }
        self.hs.transcript.add(raw);
        if self.hs.resumed.is_some() {
            return Ok(Box::new(ExpectFinished {
                hs: self.hs,
                peer: PeerAuthenticated::ServerResumed,
            }));
        }
        Ok(Box::new(ExpectCertificate { hs: self.hs }))
    }
}

struct ExpectCertificate {
    hs: Handshake,
}

impl State for ExpectCertificate {
    fn expects(&self) -> Expected {
        Expected::OneOf(&[
            HandshakeType::CertificateRequest,
            HandshakeType::Certificate,
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
                        payload: P::CertificateRequest13(request),
                    },
                raw,
            } if self.hs.certificate_request.is_none() => {
                self.hs.transcript.add(raw);
                // RFC 8446 §4.3.2: "certificate_request_context [...] SHALL be zero length
                // unless used for the post-handshake authentication exchanges".
                if !request.context.is_empty() {
                    return Err(PeerMisbehaved::NonEmptyCertificateContext.into());
                }
                // RFC 8446 §4.3.2: "The "signature_algorithms" extension MUST be specified".
                let schemes = request
                    .extensions
                    .iter()
                    .find_map(|e| match e {
                        Extension::SignatureAlgorithms(schemes) => Some(schemes.clone()),
                        _ => None,
                    })
                    .ok_or(PeerIncompatible::MissingExtension(
                        ExtensionType::SignatureAlgorithms,
                    ))?;
                self.hs.certificate_request = Some((request.context, schemes));
                Ok(self)
            }
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::Certificate13(certificate),
                    },
                raw,
            } => {
                self.hs.transcript.add(raw);
                // RFC 8446 §4.4.2: in the handshake the server's context is empty.
                if !certificate.context.is_empty() {
                    return Err(PeerMisbehaved::NonEmptyCertificateContext.into());
                }
                // RFC 8446 §4.4.2: CertificateEntry extensions answer extensions of our
                // ClientHello (status_request, signed_certificate_timestamp), and we send none
                // of those. §4.2: "Implementations MUST NOT send extension responses if the
                // remote endpoint did not send the corresponding extension requests [...] Upon
                // receiving such an extension, an endpoint MUST abort the handshake with an
                // "unsupported_extension" alert."
                if let Some(typ) = certificate.entry_extension()? {
                    return Err(Error::UnsupportedExtension(typ));
                }
                let chain: Vec<CertificateDer<'static>> =
                    certificate.entries.into_iter().map(|e| e.cert).collect();
                let (verified, end_entity) =
                    verify_chain(core, &self.hs.config, &self.hs.server_name, chain)?;
                Ok(Box::new(ExpectCertificateVerify {
                    hs: self.hs,
                    verified,
                    end_entity,
                }))
            }
            other => Err(unexpected(
                Expected::Message(HandshakeType::Certificate),
                &other,
            )),
        }
    }
}

struct ExpectCertificateVerify {
    hs: Handshake,
    verified: ServerCertVerified,
    end_entity: CertificateDer<'static>,
}

impl State for ExpectCertificateVerify {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::CertificateVerify)
    }

    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let (P::CertificateVerify(signed), raw) = input.expect(HandshakeType::CertificateVerify)?
        else {
            return Err(InternalError::StateInvariant.into());
        };
        // RFC 8446 §4.4.3: the scheme must be one we offered, and fit TLS 1.3.
        let content = tls13::certificate_verify_content(Side::Server, &self.hs.transcript)?;
        let proof = verify::verify_handshake_signature(
            &self.end_entity,
            Version::Tls13,
            verify::Signed {
                scheme: signed.scheme,
                message: &content,
                signature: &signed.signature,
            },
            &self.hs.config.signature_schemes,
            None,
            DecryptError::CertificateVerifySignature,
        )?;
        core.info.signature_scheme = Some(signed.scheme);
        core.decide(|| Decision::CertificateVerifyVerified {
            scheme: signed.scheme,
        });
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            peer: PeerAuthenticated::server(self.verified, KeyPossession::Signed(proof)),
        }))
    }
}

struct ExpectFinished {
    hs: Handshake,
    peer: PeerAuthenticated,
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
        let finished = hs
            .keys
            .verify_peer_finished(core, &hs.transcript, &received)?;
        core.decide(|| Decision::FinishedVerified {
            peer: Side::Server,
            version: Version::Tls13,
        });
        hs.transcript.add(raw);
        let traffic = hs.keys.traffic(core, &hs.transcript)?;
        // Our second flight, under the handshake keys installed at ServerHello: when a
        // certificate was asked for, ours (or an empty one, RFC 8446 §4.4.2: "If the server
        // requests client authentication but no suitable certificate is available, the client
        // MUST send a Certificate message containing no certificates") and its
        // CertificateVerify; then Finished.
        if let Some((context, schemes)) = hs.certificate_request.take() {
            // RFC 9849 §6.1.7: "If the server requests a client certificate, the client MUST
            // respond with an empty Certificate message" when ECH was rejected.
            let chosen = match hs.ech_rejected {
                Some(_) => None,
                None => auth::choose(&hs.config, Version::Tls13, &schemes, None),
            };
            core.decide(|| Decision::ClientCertificateRequested {
                scheme: chosen.map(|(_, scheme)| scheme),
            });
            let entries = chosen.map_or_else(Vec::new, |(identity, _)| {
                identity
                    .chain
                    .iter()
                    .map(|cert| CertificateEntry {
                        cert: cert.clone(),
                        extensions: Vec::new(),
                    })
                    .collect()
            });
            core.send_handshake(
                &HandshakeMessage::new(P::Certificate13(Certificate13 { context, entries })),
                &mut hs.transcript,
            )?;
            if let Some((identity, scheme)) = chosen {
                core.info.client_signature_scheme = Some(scheme);
                let content = tls13::certificate_verify_content(Side::Client, &hs.transcript)?;
                let signature = identity.key.sign(scheme, &content)?;
                core.send_handshake(
                    &HandshakeMessage::new(P::CertificateVerify(DigitallySigned {
                        scheme,
                        signature,
                    })),
                    &mut hs.transcript,
                )?;
            }
        }
        let verify_data = hs.keys.finished(Side::Client, &hs.transcript)?;
        core.send_handshake(
            &HandshakeMessage::new(P::Finished(verify_data)),
            &mut hs.transcript,
        )?;
        traffic.install_write(core)?;
        traffic.install_read(core)?;
        // RFC 9849 §6.1.6: the public name is authenticated and the handshake complete: "abort
        // the connection with an "ech_required" alert before sending any application data"
        // (under the application keys, which the server now reads with), ignoring tickets
        // (§6.1.7).
        if let Some(rejected) = hs.ech_rejected.take() {
            return Err(rejected.into_error());
        }
        core.decide(|| Decision::ApplicationKeysInstalled);
        core.start_traffic()?;
        let saver = TicketSaver {
            config: Arc::clone(&hs.config),
            key: cache_key(&hs.server_name),
            server_name: hs.server_name.to_str().into_owned(),
            suite: hs.suite,
            resumption_secret: traffic.resumption_secret(&hs.transcript)?,
            original: hs.resumed.take(),
        };
        Ok(Traffic13::start(
            traffic.into_secrets(Side::Client),
            finished,
            self.peer,
            Some(Box::new(move |core: &mut Core, ticket| {
                saver.save(core, ticket)
            })),
        ))
    }
}

/// Turns each NewSessionTicket into a session in the client's cache (RFC 8446 §4.6.1).
struct TicketSaver {
    config: Arc<ClientConfig>,
    key: Vec<u8>,
    server_name: String,
    suite: &'static Suite13,
    resumption_secret: Secret,
    /// The session this connection resumed, whose creation time and chain carry over.
    original: Option<Session>,
}

impl TicketSaver {
    fn save(&self, core: &mut Core, ticket: NewSessionTicket13) {
        let psk = tls13::resumption_psk(self.suite.hash, &self.resumption_secret, &ticket.nonce);
        let session = Session {
            cipher_suite: self.suite.suite,
            created: self
                .original
                .as_ref()
                .map_or(core.now.as_secs(), |s| s.created),
            lifetime: std::time::Duration::from_secs(u64::from(ticket.lifetime))
                .min(DEFAULT_SESSION_LIFETIME),
            ticket: ticket.ticket,
            server_name: core.info.server_name.clone(),
            alpn_protocol: core.info.alpn_protocol.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            group: core.info.group,
            signature_scheme: core.info.signature_scheme,
            secrets: SessionSecrets::Tls13 {
                psk,
                age_add: ticket.age_add,
                received_ms: unix_ms(core.now),
            },
        };
        if let Some(cache) = &self.config.session_cache {
            cache.put(self.key.clone(), session.encode().to_vec());
            core.decide(|| Decision::SessionSaved {
                version: Version::Tls13,
                server_name: self.server_name.clone(),
                by: Resumption::Ticket,
            });
        }
        core.session = Some(session);
    }
}

/// Milliseconds since the Unix epoch (RFC 8446 §4.2.11.1 counts ticket ages in them).
pub(super) fn unix_ms(t: rustls_pki_types::UnixTime) -> u64 {
    t.as_secs().saturating_mul(1000)
}
