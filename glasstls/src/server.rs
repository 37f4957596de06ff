//! The TLS 1.2 server (RFC 5246 §7.3 flow), one struct per expected message:
//!
//! ```text
//!   ExpectClientHello ──ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone──►
//!   ExpectClientKeyExchange ──► ExpectChangeCipherSpec ──► ExpectFinished
//!        ──ChangeCipherSpec, Finished──► Traffic
//! ```

use crate::config::{Identity, ServerConfig};
use crate::conn::{
    Core, Input, PeerAuthenticated, State, Traffic, Transcript, unexpected, verify_finished,
};
use crate::crypto::{self, KeyExchange, KeyShare, SigningKey, Suite};
use crate::error::Error;
use crate::keys;
use crate::record::RecordCipher;
use crate::trace::{Event, hex};
use crate::wire::{
    CipherSuite, ClientHello, ClientKeyExchange, Codec, DigitallySigned, EcdheParams, Extension,
    HandshakeMessage, HandshakePayload as P, NamedGroup, ProtocolVersion, ServerHello,
    SignatureScheme,
};
use std::sync::Arc;
use zeroize::Zeroizing;

pub(crate) fn start(config: Arc<ServerConfig>) -> Box<dyn State> {
    Box::new(ExpectClientHello { config })
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

/// What the server settled on for this connection.
struct Choice {
    suite: &'static Suite,
    identity: Identity,
    /// Group and signature scheme, for ECDHE suites.
    ecdhe: Option<(NamedGroup, SignatureScheme)>,
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
        let secure_renegotiation = self.check_renegotiation_info(&hello)?;
        record_offer(core, &hello);
        let choice = self.choose(&hello)?;
        let ems = hello
            .find(crate::wire::ExtensionType::ExtendedMasterSecret)
            .is_some();
        // RFC 7627 §5.3: a server that requires EMS aborts with handshake_failure.
        if !ems && self.config.common.require_extended_master_secret {
            return Err(Error::HandshakeFailure(
                "the client does not offer the extended master secret",
            ));
        }
        let alpn = self.choose_alpn(&hello)?;

        let server_random = crypto::random_bytes::<32>()?;
        let mut extensions = Vec::new();
        if secure_renegotiation {
            extensions.push(Extension::RenegotiationInfo(Vec::new()));
        }
        if ems {
            extensions.push(Extension::ExtendedMasterSecret);
        }
        if choice.suite.kx == KeyExchange::Ecdhe
            && hello
                .find(crate::wire::ExtensionType::EcPointFormats)
                .is_some()
        {
            extensions.push(Extension::EcPointFormats(vec![0]));
        }
        if let Some(protocol) = &alpn {
            extensions.push(Extension::Alpn(vec![protocol.clone()]));
        }
        let server_hello = ServerHello {
            server_version: ProtocolVersion::TLSv1_2,
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: choice.suite.suite,
            compression_method: 0,
            extensions,
        };
        core.info.version = Some(ProtocolVersion::TLSv1_2);
        core.info.cipher_suite = Some(choice.suite.suite);
        core.info.extended_master_secret = ems;
        core.info.alpn_protocol = alpn;
        core.trace(|| {
            Event::step(format!(
                "chose {} for this client ({} certificate){}",
                choice.suite.suite,
                match choice.identity.key.auth() {
                    crypto::Auth::Rsa => "RSA",
                    crypto::Auth::Ecdsa => "ECDSA",
                },
                if ems { ", extended master secret" } else { "" }
            ))
        });

        let mut transcript = Transcript::new();
        transcript.add(raw);
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
                signed.extend_from_slice(&hello.random);
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
                transcript,
                client_random: hello.random,
                server_random,
                suite: choice.suite,
                ems,
            },
            key: choice.identity.key,
            share,
        }))
    }
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
    fn choose(&self, hello: &ClientHello) -> Result<Choice, Error> {
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
            .enabled_groups()
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
            for identity in self.config.identities.iter().filter(usable) {
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

    /// RFC 7301 §3.2: the server's first preference the client also offers; with none in
    /// common, "the server MUST respond with a fatal "no_application_protocol" alert".
    fn choose_alpn(&self, hello: &ClientHello) -> Result<Option<Vec<u8>>, Error> {
        let ours = &self.config.common.alpn_protocols;
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
}

struct Tls12Server {
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: &'static Suite,
    ems: bool,
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
            write,
            read,
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
    write: RecordCipher,
    read: RecordCipher,
}

impl State for ExpectChangeCipherSpec {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        let Input::ChangeCipherSpec = input else {
            return Err(unexpected("ChangeCipherSpec", &input));
        };
        core.decrypter = Some(self.read);
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
    write: RecordCipher,
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
        let expected = keys::verify_data(
            hs.suite.hash,
            &self.master_secret,
            keys::CLIENT_FINISHED,
            hs.transcript.current_hash()?.as_ref(),
        );
        let finished = verify_finished(&expected, &received)?;
        core.trace(|| Event::step("client Finished verified"));
        hs.transcript.add(raw);
        core.send_change_cipher_spec()?;
        core.encrypter = Some(self.write);
        let verify_data = keys::verify_data(
            hs.suite.hash,
            &self.master_secret,
            keys::SERVER_FINISHED,
            hs.transcript.current_hash()?.as_ref(),
        );
        core.send_handshake(
            &HandshakeMessage::new(P::Finished(verify_data.to_vec())),
            &mut hs.transcript,
        )?;
        core.start_traffic()?;
        Ok(Traffic::start(
            finished,
            PeerAuthenticated::ClientNotRequested,
        ))
    }
}
