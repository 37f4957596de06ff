//! The TLS 1.2 server (RFC 5246 §7.3), one struct per expected message. The full handshake:
//!
//! ```text
//!   ExpectClientHello ──ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone──►
//!   ExpectClientKeyExchange ──► ExpectChangeCipherSpec ──► ExpectFinished
//!        ──[NewSessionTicket], ChangeCipherSpec, Finished──► Traffic
//! ```
//!
//! The abbreviated handshake, when the client offers a session we still hold (by session ID) or
//! a ticket we can open, and nothing about it conflicts with this ClientHello:
//!
//! ```text
//!   ExpectClientHello ──ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished──►
//!   ExpectChangeCipherSpec ──► ExpectFinished ──► Traffic
//! ```

use crate::config::{Identity, ServerConfig};
use crate::conn::{Core, Input, PeerAuthenticated, State, Traffic, Transcript, unexpected};
use crate::crypto::{self, KeyExchange, KeyShare, SigningKey, Suite};
use crate::error::Error;
use crate::keys;
use crate::record::RecordCipher;
use crate::session::{Resumption, Session};
use crate::trace::{Event, hex};
use crate::wire::{
    CipherSuite, ClientHello, ClientKeyExchange, Codec, DigitallySigned, EcdheParams, Extension,
    ExtensionType, HandshakeMessage, HandshakePayload as P, NamedGroup, NewSessionTicket,
    ProtocolVersion, ServerHello, SignatureScheme,
};
use std::sync::Arc;
use zeroize::Zeroizing;

pub(crate) fn start(config: Arc<ServerConfig>) -> Box<dyn State> {
    Box::new(ExpectClientHello { config })
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

/// What the server settled on for a full handshake.
struct Choice {
    suite: &'static Suite,
    identity: Identity,
    /// Group and signature scheme, for ECDHE suites.
    ecdhe: Option<(NamedGroup, SignatureScheme)>,
}

/// What both handshakes decide from the ClientHello alone.
struct Hello {
    client_random: [u8; 32],
    client_session_id: Vec<u8>,
    secure_renegotiation: bool,
    ems: bool,
    alpn: Option<Vec<u8>>,
    server_name: Option<String>,
    /// The client sent session_ticket, so it can take a NewSessionTicket.
    client_takes_tickets: bool,
    client_sent_point_formats: bool,
}

impl State for ExpectClientHello {
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
        // RFC 5246 Appendix E.1: a client_version below ours that we do not support gets
        // protocol_version. We speak only TLS 1.2; anything at or above it negotiates 1.2.
        if hello.client_version < ProtocolVersion::TLSv1_2 {
            return Err(Error::ProtocolVersion(format!(
                "the client offers at most {}",
                hello.client_version
            )));
        }
        // RFC 5246 §7.4.1.2: the list "MUST contain" null compression.
        if !hello.compression_methods.contains(&0) {
            return Err(Error::IllegalParameter(
                "the client does not offer null compression",
            ));
        }
        record_offer(core, &hello);
        // RFC 8446 §4.2.1: supported_versions, not client_version, says whether TLS 1.3 is
        // offered; with it on both sides, TLS 1.3 is negotiated.
        if !self.config.common.enabled_suites_tls13().is_empty()
            && crate::server13::offers_tls13(&hello)
        {
            return crate::server13::client_hello(self.config, core, hello, raw, None);
        }
        if !self.config.common.tls12_enabled() {
            return Err(Error::ProtocolVersion(
                "the client does not offer TLS 1.3, the only version enabled".into(),
            ));
        }
        let secure_renegotiation = self.check_renegotiation_info(&hello)?;
        let ems = hello.find(ExtensionType::ExtendedMasterSecret).is_some();
        // RFC 7627 §5.3: a server that requires EMS aborts with handshake_failure.
        if !ems && self.config.common.require_extended_master_secret {
            return Err(Error::HandshakeFailure(
                "the client does not offer the extended master secret",
            ));
        }
        // RFC 6066 §3: the name chooses the certificate, before anything else is chosen (an
        // RSA and an ECDSA chain may serve one name).
        let server_name = core.info.server_name.clone();
        let (identities, name_used) = self.config.resolve(server_name.as_deref())?;
        let alpn = choose_alpn(&self.config, &hello)?;
        let info = Hello {
            client_random: hello.random,
            client_session_id: hello.session_id.clone(),
            secure_renegotiation,
            ems,
            alpn,
            server_name,
            client_takes_tickets: self.config.tickets.is_some()
                && hello.find(ExtensionType::SessionTicket).is_some(),
            client_sent_point_formats: hello.find(ExtensionType::EcPointFormats).is_some(),
        };
        let mut transcript = Transcript::new();
        transcript.add(raw);
        if let Some((session, how)) = self.find_session(core, &hello, &info) {
            return (*self).resume(core, info, transcript, session, how);
        }
        let choice = self.choose(&hello, &identities)?;
        (*self).full(core, info, transcript, choice, name_used)
    }
}

impl ExpectClientHello {
    /// The session the client offers, if we hold it and may resume it. Every refusal is a
    /// full handshake, never an error (RFC 5246 §7.4.1.2: "the server ... may choose to
    /// generate a new session ID").
    fn find_session(
        &self,
        core: &mut Core,
        hello: &ClientHello,
        info: &Hello,
    ) -> Option<(Session, Resumption)> {
        let ticket = match hello.find(ExtensionType::SessionTicket) {
            Some(Extension::SessionTicket(t)) if !t.is_empty() => Some(t),
            _ => None,
        };
        let refuse = |core: &mut Core, why: String| {
            core.trace(|| Event::step(format!("resumption refused, full handshake: {why}")));
            None
        };
        let (session, how) = match (&self.config.tickets, ticket) {
            // RFC 5077 §3.4: a ticket the server cannot use leads to a full handshake.
            (Some(keys), Some(ticket)) => match keys
                .unseal(core.now, ticket)
                .and_then(|b| Session::decode(&b).ok())
            {
                Some(session) => (session, Resumption::Ticket),
                None => return refuse(
                    core,
                    "the ticket does not open with any current key (unknown, tampered or retired)"
                        .into(),
                ),
            },
            _ if self.config.session_ids && !hello.session_id.is_empty() => {
                match self
                    .config
                    .session_store
                    .get(&hello.session_id)
                    .and_then(|b| Session::decode(&b).ok())
                {
                    Some(session) => (session, Resumption::SessionId),
                    None => {
                        return refuse(core, "the session ID is not in our session store".into());
                    }
                }
            }
            _ => return None,
        };
        if session.is_expired(core.now) {
            return refuse(core, "the session has expired".into());
        }
        if session.version != ProtocolVersion::TLSv1_2 {
            return refuse(core, format!("the session was {}", session.version));
        }
        if !session.is_for_server_name(info.server_name.as_deref()) {
            return refuse(core, "the session belongs to another server name".into());
        }
        // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension
        // but the new ClientHello does not contain it, the server MUST abort the abbreviated
        // handshake." / "If the original session did not use the extension but the new
        // ClientHello contains the extension, then the server MUST NOT perform the abbreviated
        // handshake. Instead, it SHOULD continue with a full handshake".
        if session.extended_master_secret != info.ems {
            return refuse(
                core,
                "the extended master secret state differs from the session's".into(),
            );
        }
        // RFC 5246 §7.4.1.2: the client "MUST include at least the cipher_suite from that
        // session"; we also still have to enable it.
        let usable = self
            .config
            .common
            .enabled_suites()
            .iter()
            .any(|s| s.suite == session.cipher_suite)
            && hello.cipher_suites.contains(&session.cipher_suite);
        if !usable {
            return refuse(
                core,
                "the session's cipher suite is not offered or no longer enabled".into(),
            );
        }
        Some((session, how))
    }

    fn server_hello_extensions(&self, info: &Hello, issue_ticket: bool) -> Vec<Extension> {
        let mut extensions = Vec::new();
        if info.secure_renegotiation {
            extensions.push(Extension::RenegotiationInfo(Vec::new()));
        }
        if info.ems {
            extensions.push(Extension::ExtendedMasterSecret);
        }
        if let Some(protocol) = &info.alpn {
            extensions.push(Extension::Alpn(vec![protocol.clone()]));
        }
        // RFC 5077 §3.2: "The server uses a zero-length SessionTicket extension to indicate to
        // the client that it will send a new session ticket using the NewSessionTicket
        // handshake message".
        if issue_ticket {
            extensions.push(Extension::SessionTicket(Vec::new()));
        }
        extensions
    }

    fn resume(
        self,
        core: &mut Core,
        info: Hello,
        mut transcript: Transcript,
        session: Session,
        how: Resumption,
    ) -> Result<Box<dyn State>, Error> {
        let suite =
            crypto::suite(session.cipher_suite).ok_or(Error::Internal("resumed suite vanished"))?;
        transcript.start_hash(suite.hash);
        let server_random = tls12_server_random(&self.config)?;
        // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
        // extension in the server hello."
        let server_hello = ServerHello {
            server_version: ProtocolVersion::TLSv1_2,
            random: server_random,
            // RFC 5246 §7.4.1.3 (session IDs) and RFC 5077 §3.4 (tickets): echoing the client's
            // session ID tells it the session is resumed.
            session_id: info.client_session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: self.server_hello_extensions(&info, info.client_takes_tickets),
        };
        core.info.version = Some(ProtocolVersion::TLSv1_2);
        core.info.cipher_suite = Some(suite.suite);
        core.info.extended_master_secret = info.ems;
        core.info.alpn_protocol = info.alpn.clone();
        core.info.resumed = Some(how);
        core.info.session_id = info.client_session_id.clone();
        core.trace(|| {
            Event::step(format!(
                "resuming the session by {how}: Certificate, ServerKeyExchange, ServerHelloDone and ClientKeyExchange are skipped, because both sides still hold the master secret of the earlier full handshake; only fresh randoms and new keys"
            ))
        });
        core.send_handshake(
            &HandshakeMessage::new(P::ServerHello(server_hello)),
            &mut transcript,
        )?;
        let master_secret = session.master_secret.clone();
        let (write, read) =
            core.tls12_keys(suite, &master_secret, &info.client_random, &server_random)?;
        let mut hs = Tls12Server {
            config: self.config,
            transcript,
            client_random: info.client_random,
            server_random,
            suite,
            ems: info.ems,
            session_id: info.client_session_id.clone(),
            server_name: info.server_name.clone(),
            alpn: info.alpn.clone(),
            issue_ticket: info.client_takes_tickets,
            session_created: session.created,
        };
        // RFC 5077 §3.1: in the abbreviated handshake the NewSessionTicket comes before the
        // server's ChangeCipherSpec.
        hs.send_ticket(core, &master_secret)?;
        core.send_change_cipher_spec_and_finished(
            write,
            suite,
            &master_secret,
            &mut hs.transcript,
        )?;
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            master_secret,
            read,
            write: None,
        }))
    }

    fn full(
        self,
        core: &mut Core,
        info: Hello,
        mut transcript: Transcript,
        choice: Choice,
        name_used: bool,
    ) -> Result<Box<dyn State>, Error> {
        let server_random = tls12_server_random(&self.config)?;
        let session_id = match self.config.session_ids {
            true => crypto::random_bytes::<32>()?.to_vec(),
            false => Vec::new(),
        };
        let mut extensions = self.server_hello_extensions(&info, info.client_takes_tickets);
        // RFC 6066 §3: "the server SHALL include an extension of type "server_name" in the
        // (extended) server hello. The "extension_data" field of this extension SHALL be
        // empty." — when it used the name to choose.
        if name_used {
            extensions.push(Extension::ServerNameAck);
        }
        // RFC 8422 §5.2: answer ec_point_formats when it was sent and an ECC suite is chosen.
        if choice.suite.kx == KeyExchange::Ecdhe && info.client_sent_point_formats {
            extensions.push(Extension::EcPointFormats(vec![0]));
        }
        let server_hello = ServerHello {
            server_version: ProtocolVersion::TLSv1_2,
            random: server_random,
            session_id: session_id.clone(),
            cipher_suite: choice.suite.suite,
            compression_method: 0,
            extensions,
        };
        core.info.version = Some(ProtocolVersion::TLSv1_2);
        core.info.cipher_suite = Some(choice.suite.suite);
        core.info.extended_master_secret = info.ems;
        core.info.alpn_protocol = info.alpn.clone();
        core.info.session_id = session_id.clone();
        core.trace(|| {
            Event::step(format!(
                "chose {} for this client ({} certificate{}){}",
                choice.suite.suite,
                match choice.identity.key.auth() {
                    crypto::Auth::Rsa => "RSA",
                    crypto::Auth::Ecdsa => "ECDSA",
                },
                if name_used {
                    ", chosen by the requested name"
                } else {
                    ""
                },
                if info.ems {
                    ", extended master secret"
                } else {
                    ""
                }
            ))
        });

        transcript.start_hash(choice.suite.hash);
        core.send_handshake(
            &HandshakeMessage::new(P::ServerHello(server_hello)),
            &mut transcript,
        )?;
        core.send_handshake(
            &HandshakeMessage::new(P::Certificate(choice.identity.chain.clone())),
            &mut transcript,
        )?;
        let share = match choice.ecdhe {
            Some((group, scheme)) => {
                let share = KeyShare::generate(group)?;
                let params = EcdheParams {
                    group,
                    public: share.public.clone(),
                };
                // RFC 8422 §5.4: sign ClientHello.random + ServerHello.random + ServerECDHParams.
                let mut signed = Vec::with_capacity(64 + 4 + params.public.len());
                signed.extend_from_slice(&info.client_random);
                signed.extend_from_slice(&server_random);
                params.encode(&mut signed);
                let signature = choice.identity.key.sign(scheme, &signed)?;
                let ske = crate::wire::EcdheServerKeyExchange {
                    params,
                    signed: DigitallySigned { scheme, signature },
                };
                core.info.group = Some(group);
                core.info.signature_scheme = Some(scheme);
                core.trace(|| {
                    Event::step_with(
                        "ECDHE: ephemeral key share generated and signed",
                        vec![
                            ("group".into(), group.to_string()),
                            ("server public".into(), hex(&ske.params.public)),
                            ("signature".into(), scheme.to_string()),
                        ],
                    )
                });
                core.send_handshake(
                    &HandshakeMessage::new(P::ServerKeyExchange(ske.to_bytes())),
                    &mut transcript,
                )?;
                Some(share)
            }
            None => {
                core.trace(|| Event::step("RSA key exchange: no ServerKeyExchange; the client will encrypt to the certificate's key"));
                None
            }
        };
        core.send_handshake(&HandshakeMessage::new(P::ServerHelloDone), &mut transcript)?;
        Ok(Box::new(ExpectClientKeyExchange {
            hs: Tls12Server {
                config: self.config,
                transcript,
                client_random: info.client_random,
                server_random,
                suite: choice.suite,
                ems: info.ems,
                session_id,
                server_name: info.server_name,
                alpn: info.alpn,
                issue_ticket: info.client_takes_tickets,
                session_created: core.now.as_secs(),
            },
            key: choice.identity.key,
            share,
        }))
    }
}

/// RFC 8446 §4.1.3: "If negotiating TLS 1.2, TLS 1.3 servers MUST set the last 8 bytes of
/// their Random value to the bytes: 44 4F 57 4E 47 52 44 01", so that a TLS 1.3 client notices
/// an attacker who stripped TLS 1.3 from its ClientHello.
fn tls12_server_random(config: &ServerConfig) -> Result<[u8; 32], Error> {
    let mut random = crypto::random_bytes::<32>()?;
    if !config.common.enabled_suites_tls13().is_empty() {
        random[24..].copy_from_slice(&crate::wire::DOWNGRADE_TLS12);
    }
    Ok(random)
}

fn record_offer(core: &mut Core, hello: &ClientHello) {
    core.info.offered_suites = hello.cipher_suites.clone();
    core.info.server_name = hello
        .server_name()
        .map(|n| String::from_utf8_lossy(n).into_owned());
    for ext in &hello.extensions {
        match ext {
            Extension::SupportedGroups(groups) => core.info.offered_groups = groups.clone(),
            Extension::Alpn(protocols) => core.info.offered_alpn = protocols.clone(),
            _ => {}
        }
    }
}

impl ExpectClientHello {
    /// RFC 5746 §3.6: the client signals secure renegotiation with an empty renegotiation_info
    /// or TLS_EMPTY_RENEGOTIATION_INFO_SCSV; a non-empty one on the initial handshake "MUST"
    /// abort with handshake_failure. Returns whether the client signalled.
    fn check_renegotiation_info(&self, hello: &ClientHello) -> Result<bool, Error> {
        let scsv = hello
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        match hello.find(crate::wire::ExtensionType::RenegotiationInfo) {
            Some(Extension::RenegotiationInfo(data)) if !data.is_empty() => Err(
                Error::HandshakeFailure("non-empty renegotiation_info on the initial handshake"),
            ),
            Some(_) => Ok(true),
            None => Ok(scsv),
        }
    }

    /// Picks the suite in the client's order of preference (the client knows whether it has AES
    /// hardware), among the suites this server enables, for which we hold a fitting certificate
    /// and, for ECDHE, share a group and a signature scheme with the client.
    fn choose(&self, hello: &ClientHello, identities: &[&Identity]) -> Result<Choice, Error> {
        let enabled = self.config.common.enabled_suites();
        let client_groups = match hello.find(crate::wire::ExtensionType::SupportedGroups) {
            Some(Extension::SupportedGroups(g)) => Some(g.as_slice()),
            _ => None,
        };
        let client_schemes: &[SignatureScheme] =
            match hello.find(crate::wire::ExtensionType::SignatureAlgorithms) {
                Some(Extension::SignatureAlgorithms(s)) => s,
                // RFC 5246 §7.4.1.4.1: without the extension the client supports only SHA-1
                // signatures, which we do not make: ECDHE is then impossible.
                _ => &[],
            };
        // RFC 8422 §4: with no supported_groups the client "supports" any; we take our first.
        let group = self
            .config
            .common
            .enabled_groups_tls12()
            .into_iter()
            .find(|g| client_groups.is_none_or(|c| c.contains(g)));
        for offered in &hello.cipher_suites {
            let Some(suite) = enabled.iter().find(|s| s.suite == *offered) else {
                continue;
            };
            // RFC 8422 §5.1: "A server participating in an ECDHE_ECDSA key exchange may use
            // different curves for the ECDSA or EdDSA key in its certificate and for the
            // ephemeral ECDH key in the ServerKeyExchange message. The server MUST consider the
            // extensions in both cases."
            let usable = |i: &&Identity| {
                i.key.auth() == suite.auth
                    && i.key
                        .ecdsa_curve()
                        .is_none_or(|curve| client_groups.is_none_or(|c| c.contains(&curve)))
            };
            for identity in identities.iter().copied().filter(usable) {
                match suite.kx {
                    KeyExchange::Rsa => {
                        return Ok(Choice {
                            suite,
                            identity: identity.clone(),
                            ecdhe: None,
                        });
                    }
                    KeyExchange::Ecdhe => {
                        let scheme = identity
                            .key
                            .schemes()
                            .iter()
                            .find(|s| client_schemes.contains(s));
                        if let (Some(group), Some(scheme)) = (group, scheme) {
                            return Ok(Choice {
                                suite,
                                identity: identity.clone(),
                                ecdhe: Some((group, *scheme)),
                            });
                        }
                    }
                }
            }
        }
        Err(Error::HandshakeFailure(
            "no cipher suite, group and signature scheme in common with the client",
        ))
    }
}

/// RFC 7301 §3.2: the server's first preference the client also offers; with none in
/// common, "the server MUST respond with a fatal "no_application_protocol" alert".
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    let ours = &config.common.alpn_protocols;
    let Some(Extension::Alpn(theirs)) = hello.find(crate::wire::ExtensionType::Alpn) else {
        return Ok(None);
    };
    if ours.is_empty() {
        return Ok(None);
    }
    match ours.iter().find(|p| theirs.contains(p)) {
        Some(p) => Ok(Some(p.clone())),
        None => Err(Error::NoApplicationProtocol),
    }
}

/// What every state after ServerHello carries.
struct Tls12Server {
    config: Arc<ServerConfig>,
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: &'static Suite,
    ems: bool,
    /// Our session ID (full handshake) or the client's (resumption); may be empty.
    session_id: Vec<u8>,
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    issue_ticket: bool,
    /// When the session's full handshake happened: resumption does not extend a session's life.
    session_created: u64,
}

impl Tls12Server {
    fn session(&self, master_secret: &keys::MasterSecret) -> Session {
        Session {
            version: ProtocolVersion::TLSv1_2,
            cipher_suite: self.suite.suite,
            master_secret: master_secret.clone(),
            extended_master_secret: self.ems,
            created: self.session_created,
            lifetime: self.config.session_lifetime,
            session_id: Vec::new(),
            ticket: Vec::new(),
            server_name: self.server_name.clone(),
            alpn_protocol: self.alpn.clone(),
            peer_certificates: Vec::new(),
            psk: Vec::new(),
            age_add: 0,
        }
    }

    /// RFC 5077 §3.3: seals the session into a ticket and sends NewSessionTicket.
    fn send_ticket(
        &mut self,
        core: &mut Core,
        master_secret: &keys::MasterSecret,
    ) -> Result<(), Error> {
        let Some(keys) = self.config.tickets.as_ref().filter(|_| self.issue_ticket) else {
            return Ok(());
        };
        let ticket = keys.seal(core.now, &self.session(master_secret).encode())?;
        let lifetime_hint = self
            .config
            .session_lifetime
            .as_secs()
            .min(u64::from(u32::MAX)) as u32;
        let msg = HandshakeMessage::new(P::NewSessionTicket(NewSessionTicket {
            lifetime_hint,
            ticket,
        }));
        core.send_handshake(&msg, &mut self.transcript)
    }

    /// Keeps the session under its ID once the full handshake has completed.
    fn store_session(&self, core: &mut Core, master_secret: &keys::MasterSecret) {
        if self.config.session_ids && !self.session_id.is_empty() {
            let mut session = self.session(master_secret);
            session.session_id = self.session_id.clone();
            self.config
                .session_store
                .put(self.session_id.clone(), session.encode().to_vec());
            core.trace(|| Event::step("session stored under its ID for later resumption"));
        }
    }
}

struct ExpectClientKeyExchange {
    hs: Tls12Server,
    key: Arc<SigningKey>,
    share: Option<KeyShare>,
}

impl State for ExpectClientKeyExchange {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        let Input::Handshake {
            msg:
                HandshakeMessage {
                    payload: P::ClientKeyExchange(body),
                },
            raw,
        } = input
        else {
            return Err(unexpected("ClientKeyExchange", &input));
        };
        let hs = &mut self.hs;
        let pre_master_secret = match self.share.take() {
            Some(share) => {
                let ClientKeyExchange::Ecdhe(public) = ClientKeyExchange::read_ecdhe(&body)? else {
                    return Err(Error::Internal(
                        "ClientKeyExchange parsed as the wrong form",
                    ));
                };
                let secret = share.agree(&public)?;
                core.trace(|| {
                    Event::step_with(
                        "ECDHE: client key share received; shared secret computed",
                        vec![("client public".into(), hex(&public))],
                    )
                });
                secret
            }
            None => {
                let ClientKeyExchange::Rsa(encrypted) = ClientKeyExchange::read_rsa(&body)? else {
                    return Err(Error::Internal(
                        "ClientKeyExchange parsed as the wrong form",
                    ));
                };
                let pms = decrypt_pre_master_secret(&self.key, &encrypted)?;
                core.trace(|| Event::step("RSA key exchange: pre-master secret decrypted (any failure silently replaced, RFC 5246 §7.4.7.1)"));
                pms
            }
        };
        hs.transcript.add(raw);
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
        Ok(Box::new(ExpectChangeCipherSpec {
            hs: self.hs,
            master_secret,
            read,
            write: Some(write),
        }))
    }
}

/// RFC 5246 §7.4.7.1:
/// "In any case, a TLS server MUST NOT generate an alert if processing an RSA-encrypted
/// premaster secret message fails, or the version number is not as expected. Instead, it MUST
/// continue the handshake with a randomly generated premaster secret."
///
/// ```text
///   1. Generate a string R of 46 random bytes
///   2. Decrypt the message to recover the plaintext M
///   3. If the PKCS#1 padding is not correct, or the length of message M is not exactly 48
///      bytes:
///         pre_master_secret = ClientHello.client_version || R
///      else If ClientHello.client_version <= TLS 1.0, and version number check is explicitly
///      disabled:
///         pre_master_secret = M
///      else:
///         pre_master_secret = ClientHello.client_version || M[2..47]
/// ```
/// We never disable the version check and we refuse clients below TLS 1.2, so the version in
/// the pre-master secret must be 3,3. The selection below has no branch on the outcome: a bad
/// ClientKeyExchange surfaces only as a Finished that does not verify (decrypt_error), exactly
/// like a good one with a wrong Finished.
pub(crate) fn decrypt_pre_master_secret(
    key: &SigningKey,
    encrypted: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let random = Zeroizing::new(crypto::random_bytes::<48>()?);
    let mut plaintext = Zeroizing::new([0u8; 1024]);
    let len = key
        .rsa_decrypt(encrypted, &mut plaintext[..])
        .map_or(usize::MAX, <[u8]>::len);
    let [major, minor] = ProtocolVersion::TLSv1_2.0.to_be_bytes();
    let [p0, p1, ..] = *plaintext;
    let bad = (len ^ 48) | usize::from(p0 ^ major) | usize::from(p1 ^ minor);
    // `good` is all ones when bad == 0, else zero, computed without a branch.
    let good = ((bad | bad.wrapping_neg()) >> (usize::BITS - 1)).wrapping_sub(1) as u8;
    // The first two bytes are the version whether the decryption was good or not.
    let mut pms = Zeroizing::new(vec![major, minor]);
    pms.extend(
        plaintext
            .iter()
            .zip(random.iter())
            .skip(2)
            .map(|(m, r)| (m & good) | (r & !good)),
    );
    Ok(pms)
}

struct ExpectChangeCipherSpec {
    hs: Tls12Server,
    master_secret: keys::MasterSecret,
    read: RecordCipher,
    /// Our write keys, still to be switched on after the client's Finished (full handshake);
    /// `None` when we already sent our Finished (resumption).
    write: Option<RecordCipher>,
}

impl State for ExpectChangeCipherSpec {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let Input::ChangeCipherSpec = input else {
            return Err(unexpected("ChangeCipherSpec", &input));
        };
        core.set_decrypter(self.read);
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            master_secret: self.master_secret,
            write: self.write,
        }))
    }
}

struct ExpectFinished {
    hs: Tls12Server,
    master_secret: keys::MasterSecret,
    write: Option<RecordCipher>,
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
        core.trace(|| Event::step("client Finished verified"));
        hs.transcript.add(raw);
        if let Some(write) = self.write {
            hs.send_ticket(core, &self.master_secret)?;
            core.send_change_cipher_spec_and_finished(
                write,
                hs.suite,
                &self.master_secret,
                &mut hs.transcript,
            )?;
            hs.store_session(core, &self.master_secret);
        }
        core.start_traffic()?;
        Ok(Traffic::start(
            finished,
            PeerAuthenticated::ClientNotRequested,
        ))
    }
}
