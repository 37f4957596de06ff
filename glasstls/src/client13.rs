//! The TLS 1.3 client (RFC 8446 §2), one struct per expected message:
//!
//! ```text
//!   ClientHello ──(HelloRetryRequest ──► ClientHello)──► ServerHello
//!     ──► ExpectEncryptedExtensions ──► ExpectCertificate ([CertificateRequest], Certificate)
//!     ──► ExpectCertificateVerify ──► ExpectFinished
//!     ──[ChangeCipherSpec, Certificate], Finished──► Traffic13
//! ```
//! Everything after ServerHello is encrypted under the handshake traffic keys.

use crate::client::ExpectServerHello;
use crate::config::ClientConfig;
use crate::conn::{Core, Input, PeerAuthenticated, State, Transcript, unexpected, verify_finished};
use crate::crypto::{self, KeyShare, Suite13};
use crate::error::Error;
use crate::keys13::{self, EarlySecret, HandshakeSecret, Secret};
use crate::tls13::{self, Traffic13};
use crate::trace::Event;
use crate::verify::ServerCertVerified;
use crate::wire::{
    Certificate13, Extension, HandshakeMessage, HandshakePayload as P, ProtocolVersion, ServerHello,
};
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;

/// Checks what ServerHello and HelloRetryRequest have in common and returns the suite.
fn common_checks(prev: &ExpectServerHello, hello: &ServerHello) -> Result<&'static Suite13, Error> {
    // RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field that does not
    // match what it sent in the ClientHello MUST abort the handshake with an
    // "illegal_parameter" alert."
    if hello.session_id != prev.hello.session_id {
        return Err(Error::IllegalParameter(
            "legacy_session_id_echo does not match",
        ));
    }
    if hello.compression_method != 0 {
        return Err(Error::IllegalParameter(
            "the server chose a compression method",
        ));
    }
    let suite = prev
        .config
        .common
        .enabled_suites_tls13()
        .into_iter()
        .find(|s| s.suite == hello.cipher_suite)
        .ok_or(Error::IllegalParameter(
            "the server chose a cipher suite we did not offer",
        ))?;
    // RFC 8446 §4.1.4: the ServerHello after a HelloRetryRequest must keep its suite.
    if prev.retry_suite.is_some_and(|s| s != suite.suite) {
        return Err(Error::IllegalParameter(
            "the cipher suite changed after HelloRetryRequest",
        ));
    }
    Ok(suite)
}

/// RFC 8446 §4.1.4: answers a HelloRetryRequest with a second ClientHello.
pub(crate) fn hello_retry(
    mut prev: Box<ExpectServerHello>,
    core: &mut Core,
    hrr: ServerHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    // "If a client receives a second HelloRetryRequest in the same connection ... it MUST
    // abort the handshake with an "unexpected_message" alert."
    if prev.retry_suite.is_some() {
        return Err(Error::UnexpectedMessage {
            expected: "ServerHello",
            got: "a second HelloRetryRequest".into(),
        });
    }
    let suite = common_checks(&prev, &hrr)?;
    // The version is settled: TLS 1.3 rules (compatibility CCS, alerts) apply from here.
    core.tls13 = true;
    let (mut group, mut cookie) = (None, None);
    for ext in &hrr.extensions {
        match ext {
            Extension::SelectedVersion(ProtocolVersion::TLSv1_3) => {}
            Extension::SelectedVersion(_) => {
                return Err(Error::IllegalParameter(
                    "HelloRetryRequest selected another version",
                ));
            }
            Extension::KeyShareRetry(g) => group = Some(*g),
            Extension::Cookie(c) => cookie = Some(c.clone()),
            other => return Err(Error::UnsupportedExtension(other.typ().to_string())),
        }
    }
    // "Upon receipt of this extension in a HelloRetryRequest, the client MUST verify that
    // (1) the selected_group field corresponds to a group which was provided in the
    // "supported_groups" extension in the original ClientHello and (2) the selected_group
    // field does not correspond to a group which was provided in the "key_share" extension in
    // the original ClientHello."
    let offered_groups = &core.info.offered_groups;
    if let Some(g) = group {
        if !offered_groups.contains(&g) || prev.shares.iter().any(|s| s.group == g) {
            return Err(Error::IllegalParameter(
                "HelloRetryRequest asks for a group we cannot use",
            ));
        }
    }
    // "Clients MUST abort the handshake with an "illegal_parameter" alert if the
    // HelloRetryRequest would not result in any change in the ClientHello."
    if group.is_none() && cookie.is_none() {
        return Err(Error::IllegalParameter("HelloRetryRequest changes nothing"));
    }
    core.trace(|| {
        Event::step(format!(
            "HelloRetryRequest: the server wants {}{}; sending a second ClientHello",
            group.map_or("a cookie echoed".to_string(), |g| format!(
                "a key share for {g}"
            )),
            if group.is_some() {
                " (we guessed another group first)"
            } else {
                ""
            }
        ))
    });
    let mut transcript = tls13::transcript_after_retry(
        std::mem::replace(&mut prev.transcript, Transcript::new()),
        suite.hash,
    )?;
    transcript.add(raw);
    let mut hello = prev.hello.clone();
    if let Some(g) = group {
        let share = KeyShare::generate(g)?;
        let entry = crate::wire::KeyShareEntry {
            group: g,
            key_exchange: share.public.clone(),
        };
        for ext in &mut hello.extensions {
            if let Extension::KeyShares(shares) = ext {
                *shares = vec![entry.clone()];
            }
        }
        prev.shares = vec![share];
    }
    if let Some(cookie) = cookie {
        // RFC 8446 §4.2.2: the client echoes the cookie in its second ClientHello (before
        // pre_shared_key, which stays last).
        let at = hello
            .extensions
            .iter()
            .position(|e| e.typ() == crate::wire::ExtensionType::PreSharedKey)
            .unwrap_or(hello.extensions.len());
        hello.extensions.insert(at, Extension::Cookie(cookie));
    }
    // RFC 8446 §4.1.4: a PSK stays only if its hash fits the suite the server chose; its
    // binder now covers the transcript so far.
    match prev.psk_offer.take() {
        Some(offer)
            if crate::crypto::suite13(offer.session.cipher_suite)
                .is_some_and(|s| s.hash == suite.hash) =>
        {
            crate::client::fill_binder(&mut hello, &offer, Some(&transcript))?;
            prev.psk_offer = Some(offer);
        }
        _ => hello
            .extensions
            .retain(|e| e.typ() != crate::wire::ExtensionType::PreSharedKey),
    }
    core.send_handshake(
        &HandshakeMessage::new(P::ClientHello(hello.clone())),
        &mut transcript,
    )?;
    prev.hello = hello;
    prev.transcript = transcript;
    prev.retry_suite = Some(suite.suite);
    Ok(prev)
}

/// A TLS 1.3 ServerHello: derive the handshake keys and expect the encrypted flight.
pub(crate) fn server_hello(
    mut prev: Box<ExpectServerHello>,
    core: &mut Core,
    hello: ServerHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    let suite = common_checks(&prev, &hello)?;
    let mut server_share = None;
    let mut selected_psk = None;
    for ext in &hello.extensions {
        match ext {
            Extension::SelectedVersion(_) => {}
            Extension::KeyShare(share) => server_share = Some(share),
            Extension::PreSharedKeySelected(index) => selected_psk = Some(*index),
            other => return Err(Error::UnsupportedExtension(other.typ().to_string())),
        }
    }
    // RFC 8446 §4.2.11: "Clients MUST verify that the server's selected_identity is within the
    // range supplied by the client, that the server selected a cipher suite indicating a Hash
    // associated with the PSK".
    let resumed = match (selected_psk, prev.psk_offer.take()) {
        (None, _) => None,
        (Some(0), Some(offer))
            if crate::crypto::suite13(offer.session.cipher_suite)
                .is_some_and(|s| s.hash == suite.hash) =>
        {
            Some(offer)
        }
        _ => {
            return Err(Error::IllegalParameter(
                "the server selected a PSK we did not offer",
            ));
        }
    };
    // RFC 8446 §9.2: a ServerHello without key_share (and no PSK) misses a mandatory extension.
    let server_share = server_share.ok_or(Error::MissingExtension("key_share"))?;
    let index = prev
        .shares
        .iter()
        .position(|s| s.group == server_share.group)
        .ok_or(Error::IllegalParameter(
            "the server's key share is for a group we sent no share for",
        ))?;
    let share = prev.shares.swap_remove(index);
    let shared_secret = share.agree(&server_share.key_exchange)?;
    core.tls13 = true;
    core.info.version = Some(ProtocolVersion::TLSv1_3);
    core.info.cipher_suite = Some(suite.suite);
    core.info.group = Some(server_share.group);
    let mut transcript = std::mem::replace(&mut prev.transcript, Transcript::new());
    if prev.retry_suite.is_none() {
        transcript.start_hash(suite.hash);
    }
    transcript.add(raw);
    core.trace(|| {
        Event::step_with(
            format!(
                "negotiated TLSv1.3 with {}; key exchange with {}",
                suite.suite, server_share.group
            ),
            vec![(
                "server share".into(),
                format!("{} bytes", server_share.key_exchange.len()),
            )],
        )
    });
    // The Early Secret our binder was made under, or the one without a PSK.
    let (resumed, early) = match resumed {
        Some(offer) => (Some(offer.session), offer.early),
        None => (None, EarlySecret::new(suite.hash, None)),
    };
    if let Some(session) = &resumed {
        core.info.resumed = Some(crate::session::Resumption::Ticket);
        core.info.peer_certificates = session.peer_certificates.clone();
        core.trace(|| {
            Event::step(
                "the server resumes our TLS 1.3 session (psk_dhe_ke): no Certificate or CertificateVerify; \
                 the PSK and a fresh key exchange make the keys",
            )
        });
    }
    let handshake = early.into_handshake(&shared_secret);
    let (client_hs, server_hs) = handshake.traffic_secrets(transcript.current_hash()?.as_ref());
    core.trace_secret("client_handshake_traffic_secret", &client_hs);
    core.trace_secret("server_handshake_traffic_secret", &server_hs);
    core.log_key(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &prev.client_random,
        &client_hs,
    );
    core.log_key(
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &prev.client_random,
        &server_hs,
    );
    let server_hs = keys13::handshake_keys(suite.hash, suite.aead, &server_hs);
    let client_hs = keys13::handshake_keys(suite.hash, suite.aead, &client_hs);
    core.set_decrypter(tls13::handshake_cipher(suite, &server_hs)?);
    core.trace(|| {
        Event::step("from here on the handshake is encrypted under the handshake traffic keys")
    });
    Ok(Box::new(ExpectEncryptedExtensions {
        hs: Tls13Client {
            config: Arc::clone(&prev.config),
            server_name: prev.server_name.clone(),
            transcript,
            suite,
            client_random: prev.client_random,
            handshake,
            client_hs,
            server_finished_key: server_hs.finished_key,
            certificate_request: None,
            resumed,
        },
    }))
}

/// What every state after ServerHello carries.
struct Tls13Client {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    transcript: Transcript,
    suite: &'static Suite13,
    client_random: [u8; 32],
    handshake: HandshakeSecret,
    /// Our handshake keys: used once the server's flight has been verified.
    client_hs: keys13::HandshakeKeys,
    server_finished_key: Secret,
    /// The certificate_request_context, when the server asked for a client certificate.
    certificate_request: Option<Vec<u8>>,
    /// The session this handshake resumes: no certificate comes.
    resumed: Option<crate::session::Session>,
}

struct ExpectEncryptedExtensions {
    hs: Tls13Client,
}

impl State for ExpectEncryptedExtensions {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg:
                HandshakeMessage {
                    payload: P::EncryptedExtensions(exts),
                },
            raw,
        } = input
        else {
            return Err(unexpected("EncryptedExtensions", &input));
        };
        for ext in &exts {
            match ext {
                Extension::ServerNameAck
                    if matches!(self.hs.server_name, ServerName::DnsName(_)) => {}
                Extension::SupportedGroups(_) => {}
                // RFC 7301 §3.1: exactly one protocol, one we offered.
                Extension::Alpn(protocols) if !self.hs.config.common.alpn_protocols.is_empty() => {
                    crate::client::accept_alpn(core, &self.hs.config, protocols)?;
                }
                // RFC 8446 §4.2: extensions that belong to other messages are illegal here.
                Extension::KeyShare(_)
                | Extension::SelectedVersion(_)
                | Extension::Cookie(_)
                | Extension::ExtendedMasterSecret => {
                    return Err(Error::IllegalParameter(
                        "an extension that does not belong in EncryptedExtensions",
                    ));
                }
                other => return Err(Error::UnsupportedExtension(other.typ().to_string())),
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
    hs: Tls13Client,
}

impl State for ExpectCertificate {
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
                self.hs.certificate_request = Some(request.context);
                core.trace(|| {
                    Event::step("the server asks for a client certificate; we will send none")
                });
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
                    return Err(Error::IllegalParameter(
                        "a non-empty certificate_request_context from the server",
                    ));
                }
                let chain: Vec<CertificateDer<'static>> =
                    certificate.entries.into_iter().map(|e| e.cert).collect();
                let (verified, end_entity) = crate::client::verify_chain(
                    core,
                    &self.hs.config,
                    &self.hs.server_name,
                    chain,
                )?;
                Ok(Box::new(ExpectCertificateVerify {
                    hs: self.hs,
                    verified,
                    end_entity,
                }))
            }
            other => Err(unexpected("Certificate", &other)),
        }
    }
}

struct ExpectCertificateVerify {
    hs: Tls13Client,
    verified: ServerCertVerified,
    end_entity: CertificateDer<'static>,
}

impl State for ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg:
                HandshakeMessage {
                    payload: P::CertificateVerify(signed),
                },
            raw,
        } = input
        else {
            return Err(unexpected("CertificateVerify", &input));
        };
        let scheme = signed.scheme;
        // RFC 8446 §4.4.3: the scheme must be one we offered, and fit TLS 1.3.
        let algorithms = crypto::verification_algorithms_tls13(scheme);
        if !self.hs.config.signature_schemes.contains(&scheme) || algorithms.is_empty() {
            return Err(Error::IllegalParameter(
                "the server signed with a scheme we did not offer for TLS 1.3",
            ));
        }
        let content = tls13::certificate_verify_content(
            crate::conn::Side::Server,
            self.hs.transcript.current_hash()?.as_ref(),
        );
        let cert = webpki::EndEntityCert::try_from(&self.end_entity)
            .map_err(|_| Error::Internal("verified certificate no longer parses"))?;
        if !algorithms.iter().any(|alg| {
            cert.verify_signature(*alg, &content, &signed.signature)
                .is_ok()
        }) {
            return Err(Error::DecryptError(
                "the CertificateVerify signature does not verify with the certificate's key",
            ));
        }
        core.info.signature_scheme = Some(scheme);
        core.trace(|| {
            Event::step(format!(
                "CertificateVerify: the server proved it holds the certificate's key ({scheme})"
            ))
        });
        self.hs.transcript.add(raw);
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            peer: PeerAuthenticated::Server(self.verified),
        }))
    }
}

struct ExpectFinished {
    hs: Tls13Client,
    peer: PeerAuthenticated,
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
        let suite = hs.suite;
        let expected = keys13::verify_data(
            suite.hash,
            &hs.server_finished_key,
            hs.transcript.current_hash()?.as_ref(),
        );
        let finished = verify_finished(&expected, &received)?;
        core.trace(|| Event::step("server Finished verified: the handshake was not tampered with"));
        hs.transcript.add(raw);
        let master = hs.handshake.into_master();
        let server_finished_hash = hs.transcript.current_hash()?;
        let (client_ap, server_ap) = master.traffic_secrets(server_finished_hash.as_ref());

        core.trace_secret("client_application_traffic_secret_0", &client_ap);
        core.trace_secret("server_application_traffic_secret_0", &server_ap);
        core.log_key("CLIENT_TRAFFIC_SECRET_0", &hs.client_random, &client_ap);
        core.log_key("SERVER_TRAFFIC_SECRET_0", &hs.client_random, &server_ap);
        core.log_derived_key("EXPORTER_SECRET", &hs.client_random, || {
            master.exporter_secret(server_finished_hash.as_ref())
        });

        // Our second flight: the compatibility CCS (we sent a legacy session ID), an empty
        // Certificate if one was asked for, then Finished, under our handshake keys.
        tls13::send_compatibility_ccs(core)?;
        core.encrypter = Some(tls13::handshake_cipher(suite, &hs.client_hs)?);
        if let Some(context) = hs.certificate_request.take() {
            let empty = Certificate13 {
                context,
                entries: Vec::new(),
            };
            core.send_handshake(
                &HandshakeMessage::new(P::Certificate13(empty)),
                &mut hs.transcript,
            )?;
        }
        let verify_data = keys13::verify_data(
            suite.hash,
            &hs.client_hs.finished_key,
            hs.transcript.current_hash()?.as_ref(),
        );
        core.send_handshake(
            &HandshakeMessage::new(P::Finished(verify_data)),
            &mut hs.transcript,
        )?;
        core.encrypter = Some(tls13::cipher(suite, &client_ap)?);
        core.set_decrypter(tls13::cipher(suite, &server_ap)?);
        core.trace(|| Event::step("application traffic keys installed; application data may flow"));
        core.start_traffic()?;
        let resumption_secret = master.resumption_secret(hs.transcript.current_hash()?.as_ref());
        let saver = TicketSaver {
            config: Arc::clone(&hs.config),
            key: crate::client::cache_key(&hs.server_name),
            suite,
            resumption_secret,
            original: hs.resumed.take(),
        };
        Ok(Box::new(Traffic13 {
            suite,
            write_secret: client_ap,
            read_secret: server_ap,
            _finished: finished,
            _peer: self.peer,
            on_ticket: Some(Box::new(move |core: &mut Core, ticket| {
                saver.save(core, ticket)
            })),
        }))
    }
}

/// Turns each NewSessionTicket into a session in the client's cache (RFC 8446 §4.6.1).
struct TicketSaver {
    config: Arc<ClientConfig>,
    key: Vec<u8>,
    suite: &'static Suite13,
    resumption_secret: Secret,
    /// The session this connection resumed, whose creation time and chain carry over.
    original: Option<crate::session::Session>,
}

impl TicketSaver {
    fn save(&self, core: &mut Core, ticket: crate::wire::NewSessionTicket13) {
        let psk =
            crate::keys13::resumption_psk(self.suite.hash, &self.resumption_secret, &ticket.nonce);
        let session = crate::session::Session {
            version: ProtocolVersion::TLSv1_3,
            cipher_suite: self.suite.suite,
            master_secret: crate::keys::MasterSecret::from_bytes([0; 48]),
            extended_master_secret: false,
            created: self
                .original
                .as_ref()
                .map_or(core.now.as_secs(), |s| s.created),
            lifetime: std::time::Duration::from_secs(u64::from(ticket.lifetime))
                .min(crate::session::DEFAULT_SESSION_LIFETIME),
            session_id: Vec::new(),
            ticket: ticket.ticket,
            server_name: core.info.server_name.clone(),
            alpn_protocol: core.info.alpn_protocol.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            psk: psk.to_vec(),
            age_add: ticket.age_add,
        };
        if let Some(cache) = &self.config.session_cache {
            cache.put(self.key.clone(), session.encode().to_vec());
            core.trace(|| {
                Event::step("NewSessionTicket saved: a later connection can resume with it")
            });
        }
        core.session = Some(session);
    }
}
