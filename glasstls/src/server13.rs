//! The TLS 1.3 server (RFC 8446 §2), one struct per expected message:
//!
//! ```text
//!   ClientHello ──(HelloRetryRequest──► ExpectSecondClientHello)──►
//!     ServerHello, [ChangeCipherSpec], {EncryptedExtensions, Certificate, CertificateVerify,
//!     Finished} ──► ExpectFinished ──► Traffic13
//! ```

use crate::config::{Identity, ServerConfig};
use crate::conn::{Core, Input, PeerAuthenticated, State, Transcript, unexpected, verify_finished};
use crate::crypto::{KeyShare, Suite13};
use crate::error::Error;
use crate::keys13::{self, EarlySecret, MasterSecret13, Secret, finished_verify_data};
use crate::session::{Resumption, Session};
use crate::tls13::{self, Traffic13};
use crate::trace::Event;
use crate::wire::{
    Certificate13, CertificateEntry, ClientHello, DigitallySigned, Extension, ExtensionType,
    HELLO_RETRY_REQUEST_RANDOM, HandshakeMessage, HandshakePayload as P, KeyShareEntry, NamedGroup,
    ProtocolVersion, ServerHello, SignatureScheme,
};
use std::sync::Arc;

/// Whether this ClientHello offers TLS 1.3 (RFC 8446 §4.2.1: supported_versions decides).
pub(crate) fn offers_tls13(hello: &ClientHello) -> bool {
    matches!(hello.find(ExtensionType::SupportedVersions), Some(Extension::SupportedVersions(v)) if v.contains(&ProtocolVersion::TLSv1_3))
}

/// What a HelloRetryRequest settled, for the second ClientHello.
pub(crate) struct AfterRetry {
    transcript: Transcript,
    suite: &'static Suite13,
    group: NamedGroup,
    session_id: Vec<u8>,
}

struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    after: AfterRetry,
}

impl State for ExpectSecondClientHello {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg: HandshakeMessage {
                payload: P::ClientHello(hello),
            },
            raw,
        } = input
        else {
            return Err(unexpected("ClientHello", &input));
        };
        client_hello(self.config, core, hello, raw, Some(self.after))
    }
}

fn client_groups(hello: &ClientHello) -> Result<&[NamedGroup], Error> {
    match hello.find(ExtensionType::SupportedGroups) {
        Some(Extension::SupportedGroups(g)) => Ok(g),
        _ => Err(Error::MissingExtension("supported_groups")),
    }
}

fn client_shares(hello: &ClientHello) -> Result<&[KeyShareEntry], Error> {
    match hello.find(ExtensionType::KeyShare) {
        Some(Extension::KeyShares(s)) => Ok(s),
        _ => Err(Error::MissingExtension("key_share")),
    }
}

/// A TLS 1.3 ClientHello (first, or second after our HelloRetryRequest).
pub(crate) fn client_hello(
    config: Arc<ServerConfig>,
    core: &mut Core,
    hello: ClientHello,
    raw: &[u8],
    after_retry: Option<AfterRetry>,
) -> Result<Box<dyn State>, Error> {
    core.tls13 = true;
    // RFC 8446 §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one
    // byte, set to zero".
    if hello.compression_methods != [0] {
        return Err(Error::IllegalParameter(
            "TLS 1.3 allows only null compression",
        ));
    }
    let server_name = core.info.server_name.clone();
    let (identities, name_used) = config.resolve(server_name.as_deref())?;
    let client_schemes: &[SignatureScheme] = match hello.find(ExtensionType::SignatureAlgorithms) {
        Some(Extension::SignatureAlgorithms(s)) => s,
        // RFC 8446 §9.2: certificate authentication requires signature_algorithms.
        _ => return Err(Error::MissingExtension("signature_algorithms")),
    };
    let groups = client_groups(&hello)?;
    let shares = client_shares(&hello)?;
    // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
    // group. Clients MUST NOT offer any KeyShareEntry values for groups not listed in the
    // client's "supported_groups" extension. Servers MAY check for violations of these rules
    // and abort the handshake with an "illegal_parameter" alert if one is violated."
    for (i, share) in shares.iter().enumerate() {
        if !groups.contains(&share.group)
            || shares.iter().skip(i + 1).any(|s| s.group == share.group)
        {
            return Err(Error::IllegalParameter(
                "key_share entries do not match supported_groups",
            ));
        }
    }

    // The suite, in the client's order among ours; kept across a HelloRetryRequest.
    let suite = match &after_retry {
        Some(after) => {
            if !hello.cipher_suites.contains(&after.suite.suite)
                || hello.session_id != after.session_id
            {
                return Err(Error::IllegalParameter(
                    "the second ClientHello changed what it may not",
                ));
            }
            after.suite
        }
        None => {
            let enabled = config.common.enabled_suites_tls13();
            hello
                .cipher_suites
                .iter()
                .find_map(|s| enabled.iter().copied().find(|e| e.suite == *s))
                .ok_or(Error::HandshakeFailure(
                    "no TLS 1.3 cipher suite in common with the client",
                ))?
        }
    };
    // RFC 8446 §4.2.11: a PSK from one of our tickets, if the client offers one we can use.
    // After a HelloRetryRequest the suite is settled: only a PSK for that suite will do.
    let resumed = find_psk(
        &config,
        core,
        &hello,
        raw,
        after_retry.as_ref().map(|a| (&a.transcript, a.suite)),
    )?;
    let suite = match &resumed {
        Some((session, _)) => crate::crypto::suite13(session.cipher_suite).unwrap_or(suite),
        None => suite,
    };
    let identity = match resumed {
        Some(_) => None,
        None => Some(choose_identity(&identities, client_schemes).ok_or(
            Error::HandshakeFailure("no certificate and signature scheme the client accepts"),
        )?),
    };

    // The group: the first of ours the client supports and sent a share for; else ask for
    // the first of ours it supports (RFC 8446 §4.1.4).
    let ours = config.common.enabled_groups();
    let acceptable: Vec<NamedGroup> = ours
        .iter()
        .copied()
        .filter(|g| groups.contains(g))
        .collect();
    let share = match &after_retry {
        Some(after) => match shares {
            [only] if only.group == after.group => only,
            // "If the ... key_share ... does not contain exactly one KeyShareEntry for the
            // selected group, the server MUST abort with illegal_parameter."
            _ => {
                return Err(Error::IllegalParameter(
                    "the second ClientHello lacks the share we asked for",
                ));
            }
        },
        None => match acceptable
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g))
        {
            Some(share) => share,
            None => {
                let group = *acceptable.first().ok_or(Error::HandshakeFailure(
                    "no key-exchange group in common with the client",
                ))?;
                return hello_retry_request(config, core, &hello, raw, suite, group);
            }
        },
    };

    let alpn = crate::server::choose_alpn(&config, &hello)?;
    let mut transcript = match after_retry {
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
    let group = share.group;
    let (server_share, shared_secret) = KeyShare::respond(group, &share.key_exchange)?;
    let server_hello = ServerHello {
        server_version: ProtocolVersion::TLSv1_2,
        random: crate::crypto::random_bytes::<32>()?,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: {
            let mut e = vec![
                Extension::SelectedVersion(ProtocolVersion::TLSv1_3),
                Extension::KeyShare(KeyShareEntry {
                    group,
                    key_exchange: server_share,
                }),
            ];
            if resumed.is_some() {
                e.push(Extension::PreSharedKeySelected(0));
            }
            e
        },
    };
    core.info.version = Some(ProtocolVersion::TLSv1_3);
    core.info.cipher_suite = Some(suite.suite);
    core.info.group = Some(group);
    core.info.signature_scheme = identity.map(|(_, scheme)| scheme);
    core.info.alpn_protocol = alpn.clone();
    match identity {
        Some((identity, scheme)) => core.trace(|| {
            Event::step(format!(
                "chose TLSv1.3 with {} and {group}, {} certificate{} signed with {scheme}",
                suite.suite,
                match identity.key.auth() {
                    crate::crypto::Auth::Rsa => "RSA",
                    crate::crypto::Auth::Ecdsa => "ECDSA/EdDSA",
                },
                if name_used {
                    " chosen by the requested name"
                } else {
                    ""
                },
            ))
        }),
        None => {
            core.info.resumed = Some(Resumption::Ticket);
            core.trace(|| {
                Event::step(format!(
                    "resuming with the client's ticket (psk_dhe_ke): TLSv1.3 with {} and {group}; Certificate and CertificateVerify are skipped, the PSK proves who we are",
                    suite.suite
                ))
            })
        }
    }
    core.send_handshake(
        &HandshakeMessage::new(P::ServerHello(server_hello)),
        &mut transcript,
    )?;
    // RFC 8446 §D.4: compatibility mode, when the client sent a session ID (once: after the
    // HelloRetryRequest it was already sent).
    if !hello.session_id.is_empty() && !core.compatibility_ccs_sent {
        tls13::send_compatibility_ccs(core)?;
        core.compatibility_ccs_sent = true;
    }

    // The Early Secret the binder was checked under, or the one without a PSK.
    let early = match resumed {
        Some((_, early)) => early,
        None => EarlySecret::new(suite.hash, None),
    };
    let handshake = early.into_handshake(&shared_secret);
    let (client_hs, server_hs) = handshake.traffic_secrets(transcript.current_hash()?.as_ref());
    core.trace_secret("client_handshake_traffic_secret", &client_hs);
    core.trace_secret("server_handshake_traffic_secret", &server_hs);
    core.log_key("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &hello.random, &client_hs);
    core.log_key("SERVER_HANDSHAKE_TRAFFIC_SECRET", &hello.random, &server_hs);
    let server_hs = keys13::handshake_keys(suite.hash, suite.aead, &server_hs);
    let client_hs = keys13::handshake_keys(suite.hash, suite.aead, &client_hs);
    core.encrypter = Some(tls13::handshake_cipher(suite, &server_hs)?);

    let mut extensions = Vec::new();
    if let Some(protocol) = alpn {
        extensions.push(Extension::Alpn(vec![protocol]));
    }
    if name_used && identity.is_some() {
        extensions.push(Extension::ServerNameAck);
    }
    core.send_handshake(
        &HandshakeMessage::new(P::EncryptedExtensions(extensions)),
        &mut transcript,
    )?;
    if let Some((identity, scheme)) = identity {
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
            &mut transcript,
        )?;
        let content = tls13::certificate_verify_content(
            crate::conn::Side::Server,
            transcript.current_hash()?.as_ref(),
        );
        let signature = identity.key.sign(scheme, &content)?;
        core.send_handshake(
            &HandshakeMessage::new(P::CertificateVerify(DigitallySigned { scheme, signature })),
            &mut transcript,
        )?;
    }
    let verify_data = keys13::verify_data(
        suite.hash,
        &server_hs.finished_key,
        transcript.current_hash()?.as_ref(),
    );
    core.send_handshake(
        &HandshakeMessage::new(P::Finished(verify_data)),
        &mut transcript,
    )?;

    let master = handshake.into_master();
    let server_finished_hash = transcript.current_hash()?;
    let (client_ap, server_ap) = master.traffic_secrets(server_finished_hash.as_ref());
    core.trace_secret("client_application_traffic_secret_0", &client_ap);
    core.trace_secret("server_application_traffic_secret_0", &server_ap);
    core.log_key("CLIENT_TRAFFIC_SECRET_0", &hello.random, &client_ap);
    core.log_key("SERVER_TRAFFIC_SECRET_0", &hello.random, &server_ap);
    core.log_derived_key("EXPORTER_SECRET", &hello.random, || {
        master.exporter_secret(server_finished_hash.as_ref())
    });
    core.encrypter = Some(tls13::cipher(suite, &server_ap)?);
    core.set_decrypter(tls13::handshake_cipher(suite, &client_hs)?);
    // RFC 8446 §4.6.1: tickets only for clients that can use them.
    let client_takes_tickets = matches!(hello.find(ExtensionType::PskKeyExchangeModes), Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PSK_DHE_KE));
    Ok(Box::new(ExpectFinished {
        config,
        suite,
        transcript,
        client_finished_key: client_hs.finished_key,
        client_ap,
        server_ap,
        master,
        server_name,
        alpn: core.info.alpn_protocol.clone(),
        client_takes_tickets,
    }))
}

/// The first identity (in the resolver's order) with a TLS 1.3 scheme the client accepts.
fn choose_identity<'a>(
    identities: &[&'a Identity],
    client_schemes: &[SignatureScheme],
) -> Option<(&'a Identity, SignatureScheme)> {
    identities.iter().find_map(|identity| {
        let scheme = identity
            .key
            .schemes_tls13()
            .iter()
            .find(|s| client_schemes.contains(s))?;
        Some((*identity, *scheme))
    })
}

/// RFC 8446 §4.1.4: asks the client for a share in `group`.
fn hello_retry_request(
    config: Arc<ServerConfig>,
    core: &mut Core,
    hello: &ClientHello,
    raw: &[u8],
    suite: &'static Suite13,
    group: NamedGroup,
) -> Result<Box<dyn State>, Error> {
    let mut first = Transcript::new();
    first.add(raw);
    let mut transcript = tls13::transcript_after_retry(first, suite.hash)?;
    let retry = ServerHello {
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
    core.trace(|| {
        Event::step(format!(
            "HelloRetryRequest: the client sent no key share we accept; asking for {group}"
        ))
    });
    core.send_handshake(
        &HandshakeMessage::new(P::ServerHello(retry)),
        &mut transcript,
    )?;
    if !hello.session_id.is_empty() {
        tls13::send_compatibility_ccs(core)?;
        core.compatibility_ccs_sent = true;
    }
    Ok(Box::new(ExpectSecondClientHello {
        config,
        after: AfterRetry {
            transcript,
            suite,
            group,
            session_id: hello.session_id.clone(),
        },
    }))
}

struct ExpectFinished {
    config: Arc<ServerConfig>,
    suite: &'static Suite13,
    transcript: Transcript,
    client_finished_key: Secret,
    client_ap: Secret,
    server_ap: Secret,
    master: MasterSecret13,
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    client_takes_tickets: bool,
}

/// RFC 8446 §4.2.9: psk_dhe_ke, the only PSK mode we use (forward secrecy kept).
const PSK_DHE_KE: u8 = 1;

/// RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)".
const MAX_TICKET_LIFETIME: u64 = 604_800;

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
            version: ProtocolVersion::TLSv1_3,
            cipher_suite: self.suite.suite,
            master_secret: crate::keys::MasterSecret::from_bytes([0; 48]),
            extended_master_secret: false,
            created: core.now.as_secs(),
            lifetime: self.config.session_lifetime,
            session_id: Vec::new(),
            ticket: Vec::new(),
            server_name: self.server_name.clone(),
            alpn_protocol: self.alpn.clone(),
            peer_certificates: Vec::new(),
            psk: keys13::resumption_psk(self.suite.hash, resumption_secret, &nonce).to_vec(),
            age_add: 0,
        };
        let ticket = match &self.config.tickets {
            Some(keys) => keys.seal(core.now, &session.encode())?,
            None => {
                let id = crate::crypto::random_bytes::<32>()?.to_vec();
                self.config
                    .session_store
                    .put(id.clone(), session.encode().to_vec());
                id
            }
        };
        let lifetime = self
            .config
            .session_lifetime
            .as_secs()
            .min(MAX_TICKET_LIFETIME) as u32;
        let age_add = u32::from_be_bytes(crate::crypto::random_bytes::<4>()?);
        let msg = crate::wire::NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions: Vec::new(),
        };
        // Post-handshake messages are not part of the handshake transcript.
        core.send_handshake(
            &HandshakeMessage::new(P::NewSessionTicket13(msg)),
            &mut Transcript::new(),
        )
    }
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
        return Err(Error::IllegalParameter(
            "pre_shared_key is not the last extension",
        ));
    }
    let modes_ok = matches!(hello.find(ExtensionType::PskKeyExchangeModes), Some(Extension::PskKeyExchangeModes(m)) if m.contains(&PSK_DHE_KE));
    if !modes_ok {
        // RFC 8446 §4.2.9: without psk_key_exchange_modes the PSK must not be used.
        return Ok(None);
    }
    let refuse = |core: &mut Core, why: &str| {
        core.trace(|| Event::step(format!("resumption refused, full handshake: {why}")));
        Ok(None)
    };
    let (Some(identity), Some(binder)) = (offered.identities.first(), offered.binders.first())
    else {
        return Ok(None);
    };
    let sealed = match &config.tickets {
        Some(keys) => keys
            .unseal(core.now, &identity.identity)
            .map(|b| b.to_vec()),
        None if config.session_ids => config.session_store.get(&identity.identity),
        None => None,
    };
    let Some(session) = sealed.and_then(|b| Session::decode(&b).ok()) else {
        return refuse(
            core,
            "the ticket does not open with any current key (unknown, tampered or retired)",
        );
    };
    if session.version != ProtocolVersion::TLSv1_3 {
        return refuse(core, "the ticket is for another version");
    }
    if session.is_expired(core.now) {
        return refuse(core, "the ticket has expired");
    }
    if !session.is_for_server_name(core.info.server_name.as_deref()) {
        return refuse(core, "the ticket belongs to another server name");
    }
    let Some(suite) = config
        .common
        .enabled_suites_tls13()
        .into_iter()
        .find(|s| s.suite == session.cipher_suite)
    else {
        return refuse(core, "the ticket's cipher suite is no longer enabled");
    };
    // RFC 8446 §4.1.4: the ServerHello after a HelloRetryRequest keeps the HRR's suite.
    if retry.is_some_and(|(_, chosen)| chosen.suite != suite.suite) {
        return refuse(
            core,
            "the ticket's cipher suite is not the one our HelloRetryRequest chose",
        );
    }
    if !hello.cipher_suites.contains(&suite.suite) {
        return refuse(
            core,
            "the client no longer offers the ticket's cipher suite",
        );
    }
    // RFC 8446 §4.2.11.2: the binder is a Finished-style MAC over the ClientHello up to the
    // binders (after a HelloRetryRequest, over the transcript before it too).
    let truncated = raw
        .get(..raw.len().saturating_sub(offered.binders_len()))
        .unwrap_or_default();
    let mut transcript = match retry.map(|(t, _)| t) {
        Some(t) => t.clone(),
        None => {
            let mut t = Transcript::new();
            t.start_hash(suite.hash);
            t
        }
    };
    transcript.add(truncated);
    let early = EarlySecret::new(suite.hash, Some(&session.psk));
    let binder_key = early.resumption_binder_key();
    let expected =
        finished_verify_data(suite.hash, &binder_key, transcript.current_hash()?.as_ref());
    verify_finished(&expected, binder)
        .map_err(|_| Error::DecryptError("the PSK binder does not verify"))?;
    Ok(Some((session, early)))
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
        let expected = keys13::verify_data(
            self.suite.hash,
            &self.client_finished_key,
            self.transcript.current_hash()?.as_ref(),
        );
        let finished = verify_finished(&expected, &received)?;
        core.trace(|| Event::step("client Finished verified; application traffic keys installed"));
        core.set_decrypter(tls13::cipher(self.suite, &self.client_ap)?);
        core.start_traffic()?;
        if self.will_issue_ticket() {
            // res master covers the transcript up to and including the client's Finished.
            let mut transcript = self.transcript.clone();
            transcript.add(raw);
            let resumption_secret = self
                .master
                .resumption_secret(transcript.current_hash()?.as_ref());
            self.issue_ticket(core, &resumption_secret)?;
        }
        Ok(Box::new(Traffic13 {
            suite: self.suite,
            write_secret: self.server_ap,
            read_secret: self.client_ap,
            _finished: finished,
            _peer: PeerAuthenticated::ClientNotRequested,
            on_ticket: None,
        }))
    }
}
