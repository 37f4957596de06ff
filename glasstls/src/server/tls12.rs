//! The TLS 1.2 server (RFC 5246 §7.3), one struct per expected message. The full handshake:
//!
//! ```text
//!   ClientHello ──ServerHello, Certificate, [ServerKeyExchange], [CertificateRequest],
//!        ServerHelloDone──► [ExpectCertificate] ──► ExpectClientKeyExchange
//!        ──► [ExpectCertificateVerify] ──► ExpectChangeCipherSpec ──► ExpectFinished
//!        ──[NewSessionTicket], ChangeCipherSpec, Finished──► Traffic12
//! ```
//!
//! The abbreviated handshake, when the client offers a session we still hold (by session ID) or
//! a ticket we can open, and nothing about it conflicts with this ClientHello:
//!
//! ```text
//!   ClientHello ──ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished──►
//!   ExpectChangeCipherSpec ──► ExpectFinished ──► Traffic12
//! ```

use super::auth;
use super::hello::{self, Choice12, Hello12};
use crate::config::ServerConfig;
use crate::conn::{Core, Input, PeerAuthenticated, State, Transcript, unexpected};
use crate::crypto::{self, KeyShare, SigningKey, Suite};
use crate::error::{Error, Expected, InternalError, PeerIncompatible};
use crate::record::RecordCipher;
use crate::session::{Resumption, Session, SessionSecrets};
use crate::side::Side;
use crate::tls12::{ConnectionSecrets, Randoms, Traffic12};
use crate::trace::{Decision, RefusalReason};
use crate::version::Version;
use crate::wire::{
    CertificateRequest, ClientHello, ClientKeyExchange, Codec, DOWNGRADE_TLS12, DigitallySigned,
    EcdheParams, EcdheServerKeyExchange, Extension, ExtensionType, HandshakeMessage,
    HandshakePayload as P, HandshakeType, NewSessionTicket, ProtocolVersion, ServerHello,
};
use std::sync::Arc;
use zeroize::Zeroizing;

/// What both handshakes take from the ClientHello.
struct Offer {
    /// ClientHello.client_version as the client sent it: the RSA key exchange checks the
    /// pre-master secret's version against it (RFC 5246 §7.4.7.1).
    client_version: ProtocolVersion,
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

/// A TLS 1.2 ClientHello: a resumption if the offered session may be resumed, else a full
/// handshake.
pub(super) fn client_hello(
    config: Arc<ServerConfig>,
    core: &mut Core,
    hello: ClientHello,
    raw: &[u8],
) -> Result<Box<dyn State>, Error> {
    core.version = Some(Version::Tls12);
    // RFC 8422 §5.1.2: "If the client sends the extension and the extension does not contain
    // the uncompressed point format, and the client has used the Supported Groups extension to
    // indicate support for any of the curves defined in this specification, then the server
    // MUST abort the handshake and return an illegal_parameter alert."
    if let (Some(Extension::EcPointFormats(formats)), Some(Extension::SupportedGroups(_))) = (
        hello.find(ExtensionType::EcPointFormats),
        hello.find(ExtensionType::SupportedGroups),
    ) {
        if !formats.contains(&0) {
            return Err(crate::error::PeerMisbehaved::PointFormatsWithoutUncompressed.into());
        }
    }
    let secure_renegotiation = hello::secure_renegotiation(&hello)?;
    let ems = hello.find(ExtensionType::ExtendedMasterSecret).is_some();
    // RFC 7627 §5.3: a server that requires EMS aborts with handshake_failure.
    if !ems && config.common.require_extended_master_secret {
        return Err(PeerIncompatible::ClientLacksEms.into());
    }
    // RFC 6066 §3: the name chooses the certificate, before anything else is chosen (an RSA
    // and an ECDSA chain may serve one name).
    let server_name = core.info.server_name.clone();
    let (resolved, name_used) =
        config.resolve(&hello::hello_info(&hello, server_name.as_deref()))?;
    let identities = resolved.refs();
    let alpn = hello::choose_alpn(&config, &hello)?;
    let offer = Offer {
        client_version: hello.client_version,
        client_random: hello.random,
        client_session_id: hello.session_id.clone(),
        secure_renegotiation,
        ems,
        alpn,
        server_name,
        client_takes_tickets: config.tickets.is_some()
            && hello.find(ExtensionType::SessionTicket).is_some(),
        client_sent_point_formats: hello.find(ExtensionType::EcPointFormats).is_some(),
    };
    let mut transcript = Transcript::new();
    // A client's CertificateVerify signs the messages themselves (RFC 5246 §7.4.8).
    if config.client_auth.is_some() {
        transcript.keep_messages();
    }
    transcript.add(raw);
    if let Some((session, how)) = find_session(&config, core, &hello, &offer)? {
        return resume(Arc::clone(&config), core, offer, transcript, session, how);
    }
    let choice = hello::choose12(
        &config.common,
        &hello,
        &identities,
        config.prefer_server_suite_order,
    )?;
    full(&config, core, offer, transcript, choice, name_used)
}

/// The session the client offers, if we hold it and may resume it; each refusal is traced and
/// means a full handshake.
fn find_session(
    config: &ServerConfig,
    core: &mut Core,
    hello: &ClientHello,
    offer: &Offer,
) -> Result<Option<(Session, Resumption)>, Error> {
    let ticket = match hello.find(ExtensionType::SessionTicket) {
        Some(Extension::SessionTicket(t)) if !t.is_empty() => Some(t),
        _ => None,
    };
    let found = match (&config.tickets, ticket) {
        // RFC 5077 §3.4: a ticket the server cannot use leads to a full handshake.
        (Some(keys), Some(ticket)) => keys
            .unseal(core.now, ticket)
            .and_then(|b| Session::decode(&b).ok())
            .map(|s| (s, Resumption::Ticket))
            .ok_or(RefusalReason::TicketUnopened),
        _ if config.session_ids && !hello.session_id.is_empty() => {
            super::session_store(core, config)
                .get(&hello.session_id)
                .and_then(|b| Session::decode(&b).ok())
                .map(|s| (s, Resumption::SessionId))
                .ok_or(RefusalReason::SessionIdUnknown)
        }
        _ => return Ok(None),
    };
    let checked = match found {
        Ok((session, how)) => {
            let hello12 = Hello12 {
                server_name: offer.server_name.clone(),
                ems: offer.ems,
            };
            hello::resumable12(&config.common, &session, hello, &hello12, core.now)?
                .and_then(|()| client_auth_allows(config, &session))
                .map(|()| (session, how))
        }
        Err(reason) => Err(reason),
    };
    match checked {
        Ok(found) => Ok(Some(found)),
        Err(reason) => {
            core.decide(|| Decision::ResumptionRefused {
                version: Version::Tls12,
                reason,
            });
            Ok(None)
        }
    }
}

/// A session made without a client certificate is not resumed where one is now required: the
/// abbreviated handshake would skip the certificate the configuration asks for.
pub(super) fn client_auth_allows(
    config: &ServerConfig,
    session: &Session,
) -> Result<(), RefusalReason> {
    match &config.client_auth {
        Some(auth) if auth.required && session.peer_certificates.is_empty() => {
            Err(RefusalReason::ClientNotAuthenticated)
        }
        _ => Ok(()),
    }
}

/// RFC 8446 §4.1.3: "If negotiating TLS 1.2, TLS 1.3 servers MUST set the last 8 bytes of
/// their Random value to the bytes: 44 4F 57 4E 47 52 44 01", so that a TLS 1.3 client notices
/// an attacker who stripped TLS 1.3 from its ClientHello.
fn server_random(config: &ServerConfig) -> Result<[u8; 32], Error> {
    let mut random = crypto::random_bytes::<32>()?;
    if !config.common.tls13_suites().is_empty() {
        if let Some(tail) = random.get_mut(24..) {
            tail.copy_from_slice(&DOWNGRADE_TLS12);
        }
    }
    Ok(random)
}

fn server_hello_extensions(offer: &Offer) -> Vec<Extension> {
    let mut extensions = Vec::new();
    if offer.secure_renegotiation {
        extensions.push(Extension::RenegotiationInfo(Vec::new()));
    }
    if offer.ems {
        extensions.push(Extension::ExtendedMasterSecret);
    }
    if let Some(protocol) = &offer.alpn {
        extensions.push(Extension::Alpn(vec![protocol.clone()]));
    }
    // RFC 5077 §3.2: "The server uses a zero-length SessionTicket extension to indicate to the
    // client that it will send a new session ticket using the NewSessionTicket handshake
    // message".
    if offer.client_takes_tickets {
        extensions.push(Extension::SessionTicket(Vec::new()));
    }
    extensions
}

fn resume(
    config: Arc<ServerConfig>,
    core: &mut Core,
    offer: Offer,
    mut transcript: Transcript,
    session: Session,
    how: Resumption,
) -> Result<Box<dyn State>, Error> {
    let suite = crypto::suite(session.cipher_suite)
        .ok_or(Error::Internal(InternalError::StateInvariant))?;
    let SessionSecrets::Tls12 { master_secret, .. } = session.secrets else {
        return Err(InternalError::StateInvariant.into());
    };
    transcript.start_hash(suite.hash);
    let random = server_random(&config)?;
    // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
    // extension in the server hello."
    let server_hello = ServerHello {
        server_version: ProtocolVersion::TLSv1_2,
        random,
        // RFC 5246 §7.4.1.3 (session IDs) and RFC 5077 §3.4 (tickets): echoing the client's
        // session ID tells it the session is resumed.
        session_id: offer.client_session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: server_hello_extensions(&offer),
    };
    record_choice(core, suite, &offer, &offer.client_session_id);
    core.info.resumed = Some(how);
    core.info.group = session.group;
    core.info.peer_certificates = session.peer_certificates.clone();
    core.info.client_signature_scheme = session.signature_scheme;
    core.decide(|| Decision::Resuming12 { by: how });
    core.send_handshake(
        &HandshakeMessage::new(P::ServerHello(server_hello)),
        &mut transcript,
    )?;
    let randoms = Randoms {
        client: offer.client_random,
        server: random,
    };
    let secrets = ConnectionSecrets::resumed(core, suite, master_secret, randoms, offer.ems);
    let (write, read) = secrets.record_ciphers(core)?;
    let mut hs = Handshake {
        config,
        transcript,
        suite,
        ems: offer.ems,
        session_id: offer.client_session_id,
        server_name: offer.server_name,
        alpn: offer.alpn,
        issue_ticket: offer.client_takes_tickets,
        session_created: session.created,
    };
    // RFC 5077 §3.1: in the abbreviated handshake the NewSessionTicket comes before the
    // server's ChangeCipherSpec.
    hs.send_ticket(core, &secrets)?;
    secrets.send_change_cipher_spec_and_finished(core, write, &mut hs.transcript)?;
    let peer = match session.peer_certificates.is_empty() {
        true => PeerAuthenticated::ClientNotRequested,
        false => PeerAuthenticated::ClientResumed,
    };
    Ok(Box::new(ExpectChangeCipherSpec {
        hs,
        secrets,
        read,
        write: None,
        peer,
    }))
}

fn record_choice(core: &mut Core, suite: &Suite, offer: &Offer, session_id: &[u8]) {
    core.info.version = Some(Version::Tls12);
    core.info.cipher_suite = Some(suite.suite);
    core.info.extended_master_secret = offer.ems;
    core.info.alpn_protocol = offer.alpn.clone();
    core.info.session_id = session_id.to_vec();
}

fn full(
    config: &Arc<ServerConfig>,
    core: &mut Core,
    offer: Offer,
    mut transcript: Transcript,
    choice: Choice12<'_>,
    name_used: bool,
) -> Result<Box<dyn State>, Error> {
    let random = server_random(config)?;
    let session_id = match config.session_ids {
        true => crypto::random_bytes::<32>()?.to_vec(),
        false => Vec::new(),
    };
    let server_hello = ServerHello {
        server_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: session_id.clone(),
        cipher_suite: choice.suite.suite,
        compression_method: 0,
        extensions: full_server_hello_extensions(&offer, &choice),
    };
    record_choice(core, choice.suite, &offer, &session_id);
    core.decide(|| Decision::Chose12 {
        suite: choice.suite.suite,
        key: choice.identity.key.kind(),
        by_name: name_used,
        extended_master_secret: offer.ems,
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
    let randoms = Randoms {
        client: offer.client_random,
        server: random,
    };
    let share = match choice.ecdhe {
        Some((group, scheme)) => Some(send_server_key_exchange(
            core,
            &mut transcript,
            &choice.identity.key,
            randoms,
            group,
            scheme,
        )?),
        None => {
            core.decide(|| Decision::RsaKeyExchange);
            None
        }
    };
    // RFC 5246 §7.4.4: "A non-anonymous server can optionally request a certificate from the
    // client". No certificate_authorities: the client may send any chain it has.
    if let Some(auth) = &config.client_auth {
        core.decide(|| Decision::ClientCertificateAsked {
            required: auth.required,
        });
        let request = CertificateRequest {
            certificate_types: vec![CertificateRequest::RSA_SIGN, CertificateRequest::ECDSA_SIGN],
            signature_schemes: auth.signature_schemes.clone(),
            authorities: Vec::new(),
        };
        core.send_handshake(
            &HandshakeMessage::new(P::CertificateRequest(request)),
            &mut transcript,
        )?;
    }
    core.send_handshake(&HandshakeMessage::new(P::ServerHelloDone), &mut transcript)?;
    let next = ExpectClientKeyExchange {
        hs: Handshake {
            config: Arc::clone(config),
            transcript,
            suite: choice.suite,
            ems: offer.ems,
            session_id,
            server_name: offer.server_name,
            alpn: offer.alpn,
            issue_ticket: offer.client_takes_tickets,
            session_created: core.now.as_secs(),
        },
        randoms,
        client_version: offer.client_version,
        key: Arc::clone(&choice.identity.key),
        share,
        client_chain: None,
    };
    Ok(match config.client_auth {
        Some(_) => Box::new(ExpectCertificate { next }),
        None => Box::new(next),
    })
}

/// A full handshake's ServerHello extensions: those of every ServerHello, the SNI
/// acknowledgement and the point formats.
fn full_server_hello_extensions(offer: &Offer, choice: &Choice12<'_>) -> Vec<Extension> {
    let mut extensions = server_hello_extensions(offer);
    // RFC 6066 §3: a server that uses the name "to guide its selection of an appropriate
    // certificate [...] and/or other aspects of security policy [...] SHALL include an
    // extension of type "server_name" in the (extended) server hello". We always use it: it
    // chooses the certificate when one is named for it, and it binds every session to the name
    // (none is resumed under another). So a name received is acknowledged in every full
    // handshake ("When resuming a session, the server MUST NOT include a server_name
    // extension").
    if offer.server_name.is_some() {
        extensions.push(Extension::ServerNameAck);
    }
    // RFC 8422 §5.2: answer ec_point_formats when it was sent and an ECC suite is chosen.
    if choice.ecdhe.is_some() && offer.client_sent_point_formats {
        extensions.push(Extension::EcPointFormats(vec![0]));
    }
    extensions
}

/// RFC 8422 §5.4: an ephemeral share, signed over ClientHello.random + ServerHello.random +
/// ServerECDHParams.
fn send_server_key_exchange(
    core: &mut Core,
    transcript: &mut Transcript,
    key: &SigningKey,
    randoms: Randoms,
    group: crate::wire::NamedGroup,
    scheme: crate::wire::SignatureScheme,
) -> Result<KeyShare, Error> {
    let share = KeyShare::generate(group)?;
    let params = EcdheParams {
        group,
        public: share.public.clone(),
    };
    let mut signed = Vec::with_capacity(64 + 4 + params.public.len());
    signed.extend_from_slice(&randoms.client);
    signed.extend_from_slice(&randoms.server);
    params.encode(&mut signed);
    let signature = key.sign(scheme, &signed)?;
    let ske = EcdheServerKeyExchange {
        params,
        signed: DigitallySigned { scheme, signature },
    };
    core.info.group = Some(group);
    core.info.signature_scheme = Some(scheme);
    core.decide(|| Decision::ServerKeyShareSigned {
        group,
        server_public: ske.params.public.clone(),
        scheme,
    });
    core.send_handshake(
        &HandshakeMessage::new(P::ServerKeyExchange(ske.to_bytes())),
        transcript,
    )?;
    Ok(share)
}

/// What every state after ServerHello carries.
struct Handshake {
    config: Arc<ServerConfig>,
    transcript: Transcript,
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

impl Handshake {
    fn session(&self, core: &Core, secrets: &ConnectionSecrets, session_id: Vec<u8>) -> Session {
        Session {
            cipher_suite: self.suite.suite,
            created: self.session_created,
            lifetime: self.config.session_lifetime,
            ticket: Vec::new(),
            server_name: self.server_name.clone(),
            alpn_protocol: self.alpn.clone(),
            peer_certificates: core.info.peer_certificates.clone(),
            group: core.info.group,
            signature_scheme: core.info.client_signature_scheme,
            secrets: SessionSecrets::Tls12 {
                master_secret: secrets.master_secret().clone(),
                extended_master_secret: self.ems,
                session_id,
            },
        }
    }

    /// RFC 5077 §3.3: seals the session into a ticket and sends NewSessionTicket.
    fn send_ticket(&mut self, core: &mut Core, secrets: &ConnectionSecrets) -> Result<(), Error> {
        let Some(keys) = self.config.tickets.as_ref().filter(|_| self.issue_ticket) else {
            return Ok(());
        };
        let ticket = keys.seal(core.now, &self.session(core, secrets, Vec::new()).encode())?;
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
    fn store_session(&self, core: &mut Core, secrets: &ConnectionSecrets) {
        if self.config.session_ids && !self.session_id.is_empty() {
            let session = self.session(core, secrets, self.session_id.clone());
            super::session_store(core, &self.config)
                .put(self.session_id.clone(), session.encode().to_vec());
            core.decide(|| Decision::SessionStored);
        }
    }
}

/// The client's Certificate, when we asked for one.
struct ExpectCertificate {
    next: ExpectClientKeyExchange,
}

impl State for ExpectCertificate {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::Certificate)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::Certificate(chain), raw) = input.expect(HandshakeType::Certificate)? else {
            return Err(InternalError::StateInvariant.into());
        };
        let mut next = self.next;
        next.hs.transcript.add(raw);
        let auth = auth::settings(&next.hs.config)?;
        next.client_chain = auth::client_chain(core, auth, chain, Version::Tls12)?;
        Ok(Box::new(next))
    }
}

struct ExpectClientKeyExchange {
    hs: Handshake,
    randoms: Randoms,
    client_version: ProtocolVersion,
    key: Arc<SigningKey>,
    /// Our ECDHE share; none for the RSA key exchange.
    share: Option<KeyShare>,
    /// The client's verified chain, when it sent one: its CertificateVerify comes next.
    client_chain: Option<auth::ClientChain>,
}

impl State for ExpectClientKeyExchange {
    fn expects(&self) -> Expected {
        Expected::Message(HandshakeType::ClientKeyExchange)
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let (P::ClientKeyExchange(body), raw) = input.expect(HandshakeType::ClientKeyExchange)?
        else {
            return Err(InternalError::StateInvariant.into());
        };
        let mut hs = self.hs;
        let pre_master_secret = match self.share {
            Some(share) => {
                let public = ClientKeyExchange::read_ecdhe(&body)?;
                let secret = share.agree(&public)?;
                core.decide(|| Decision::ClientKeyShareReceived {
                    client_public: public,
                });
                secret
            }
            None => {
                let encrypted = ClientKeyExchange::read_rsa(&body)?;
                let pms = decrypt_pre_master_secret(&self.key, &encrypted, self.client_version)?;
                core.decide(|| Decision::PreMasterSecretDecrypted);
                pms
            }
        };
        hs.transcript.add(raw);
        let secrets = ConnectionSecrets::from_pre_master_secret(
            core,
            hs.suite,
            pre_master_secret,
            self.randoms,
            hs.ems,
            &hs.transcript,
        )?;
        let (write, read) = secrets.record_ciphers(core)?;
        let peer = match (&hs.config.client_auth, self.client_chain) {
            (_, Some(chain)) => {
                return Ok(Box::new(ExpectCertificateVerify {
                    hs,
                    secrets,
                    read,
                    write,
                    chain,
                }));
            }
            (Some(_), None) => PeerAuthenticated::ClientAnonymous,
            (None, None) => PeerAuthenticated::ClientNotRequested,
        };
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            secrets,
            read,
            write: Some(write),
            peer,
        }))
    }
}

/// RFC 5246 §7.4.8: the client's signature over the handshake messages up to here.
struct ExpectCertificateVerify {
    hs: Handshake,
    secrets: ConnectionSecrets,
    read: RecordCipher,
    write: RecordCipher,
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
        let mut hs = self.hs;
        let auth = auth::settings(&hs.config)?;
        let messages = hs
            .transcript
            .messages()
            .ok_or(InternalError::StateInvariant)?;
        let proof =
            auth::client_signature(core, auth, &self.chain, Version::Tls12, &signed, messages)?;
        hs.transcript.add(raw);
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            secrets: self.secrets,
            read: self.read,
            write: Some(self.write),
            peer: PeerAuthenticated::client(self.chain.verified, proof),
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
/// We never disable the version check (and refuse clients below TLS 1.2), so the version in
/// the pre-master secret must be `client_version` as the ClientHello carried it: 3,3 for most
/// clients, higher for one that offers a later version in that field. The selection below has
/// no branch on the outcome: a bad ClientKeyExchange surfaces only as a Finished that does not
/// verify, exactly like a good one with a wrong Finished.
pub(crate) fn decrypt_pre_master_secret(
    key: &SigningKey,
    encrypted: &[u8],
    client_version: ProtocolVersion,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let random = Zeroizing::new(crypto::random_bytes::<48>()?);
    let mut plaintext = Zeroizing::new([0u8; 1024]);
    let len = key
        .rsa_decrypt(encrypted, &mut plaintext[..])
        .map_or(usize::MAX, <[u8]>::len);
    let [major, minor] = client_version.0.to_be_bytes();
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
    hs: Handshake,
    secrets: ConnectionSecrets,
    read: RecordCipher,
    /// Our write keys, still to be switched on after the client's Finished (full handshake);
    /// `None` when we already sent our Finished (resumption).
    write: Option<RecordCipher>,
    /// Who the client proved to be.
    peer: PeerAuthenticated,
}

impl State for ExpectChangeCipherSpec {
    fn expects(&self) -> Expected {
        Expected::ChangeCipherSpec
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let Input::ChangeCipherSpec = input else {
            return Err(unexpected(Expected::ChangeCipherSpec, &input));
        };
        core.set_decrypter(self.read);
        Ok(Box::new(ExpectFinished {
            hs: self.hs,
            secrets: self.secrets,
            write: self.write,
            peer: self.peer,
        }))
    }
}

struct ExpectFinished {
    hs: Handshake,
    secrets: ConnectionSecrets,
    write: Option<RecordCipher>,
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
        let finished = self
            .secrets
            .verify_peer_finished(core, &hs.transcript, &received)?;
        core.decide(|| Decision::FinishedVerified {
            peer: Side::Client,
            version: Version::Tls12,
        });
        hs.transcript.add(raw);
        if let Some(write) = self.write {
            hs.send_ticket(core, &self.secrets)?;
            self.secrets
                .send_change_cipher_spec_and_finished(core, write, &mut hs.transcript)?;
            hs.store_session(core, &self.secrets);
        }
        core.start_traffic()?;
        Ok(Traffic12::start(finished, self.peer))
    }
}
