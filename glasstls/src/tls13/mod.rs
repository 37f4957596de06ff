//! What both TLS 1.3 sides share: the key schedule's stages as they are used in a handshake
//! (derived once, traced and key-logged here, installed by each side in its own order), the
//! PSK binder, the CertificateVerify content, the transcript after a HelloRetryRequest, and
//! the traffic state (`traffic`). The pure derivations are in `key_schedule`.

pub(crate) mod key_schedule;
pub(crate) mod traffic;

pub use key_schedule::Secret;
pub(crate) use key_schedule::{EarlySecret, resumption_psk};
pub(crate) use traffic::Traffic13;

use crate::conn::{Core, FinishedVerified, Transcript};
use crate::crypto::{Hash, Suite13};
use crate::error::Error;
use crate::record::RecordCipher;
use crate::side::Side;
use crate::trace::SecretName;
use crate::version::Version;
use crate::wire::HandshakeType;
use key_schedule::{HandshakeKeys, HandshakeSecret, MasterSecret13};

/// A cipher for one direction from a traffic secret (RFC 8446 §7.3).
pub(crate) fn cipher(suite: &Suite13, traffic_secret: &[u8]) -> Result<RecordCipher, Error> {
    let (key, iv) = key_schedule::traffic_key_and_iv(suite.hash, suite.aead, traffic_secret);
    RecordCipher::new(Version::Tls13, suite.aead, &key, &iv)
}

/// The Handshake Secret stage: both handshake traffic secrets and what they expand to (RFC 8446
/// §7.1, §7.3, §4.4.4), made from the Early Secret and the (EC)DHE shared secret.
pub(crate) struct HandshakeStage {
    suite: &'static Suite13,
    secret: HandshakeSecret,
    client: HandshakeKeys,
    server: HandshakeKeys,
    client_random: [u8; 32],
}

impl HandshakeStage {
    /// Derives the stage from Transcript-Hash(ClientHello...ServerHello), tracing and
    /// key-logging both traffic secrets.
    pub fn new(
        core: &mut Core,
        suite: &'static Suite13,
        early: EarlySecret,
        shared_secret: &[u8],
        transcript: &Transcript,
        client_random: [u8; 32],
    ) -> Result<Self, Error> {
        let secret = early.into_handshake(shared_secret);
        let (client, server) = secret.traffic_secrets(transcript.current_hash()?.as_ref());
        core.trace_secret(SecretName::ClientHandshakeTrafficSecret, &client);
        core.trace_secret(SecretName::ServerHandshakeTrafficSecret, &server);
        core.log_key("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &client_random, &client);
        core.log_key("SERVER_HANDSHAKE_TRAFFIC_SECRET", &client_random, &server);
        Ok(Self {
            suite,
            client: key_schedule::handshake_keys(suite.hash, suite.aead, &client),
            server: key_schedule::handshake_keys(suite.hash, suite.aead, &server),
            secret,
            client_random,
        })
    }

    fn keys(&self, side: Side) -> &HandshakeKeys {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    fn cipher(&self, side: Side) -> Result<RecordCipher, Error> {
        let keys = self.keys(side);
        RecordCipher::new(Version::Tls13, self.suite.aead, &keys.key, &keys.iv)
    }

    /// Our handshake traffic keys, for what we send from now on.
    pub fn install_write(&self, core: &mut Core) -> Result<(), Error> {
        core.set_encrypter(self.cipher(core.side)?);
        Ok(())
    }

    /// The peer's handshake traffic keys, for what it sends from now on.
    pub fn install_read(&self, core: &mut Core) -> Result<(), Error> {
        core.set_decrypter(self.cipher(core.side.peer())?);
        Ok(())
    }

    /// RFC 8446 §4.4.4: the Finished `side` sends, over the transcript so far.
    pub fn finished(&self, side: Side, transcript: &Transcript) -> Result<Vec<u8>, Error> {
        Ok(key_schedule::verify_data(
            self.suite.hash,
            &self.keys(side).finished_key,
            transcript.current_hash()?.as_ref(),
        ))
    }

    /// RFC 8446 §4.4.4: "Recipients of Finished messages MUST verify that the contents are
    /// correct and if incorrect MUST terminate the connection with a "decrypt_error" alert."
    pub fn verify_peer_finished(
        &self,
        core: &Core,
        transcript: &Transcript,
        received: &[u8],
    ) -> Result<FinishedVerified, Error> {
        FinishedVerified::check(&self.finished(core.side.peer(), transcript)?, received)
    }

    /// What a side keeps once its own Finished is sent: only the key that checks the peer's
    /// (the handshake secret and our keys are dropped, and zeroized, here).
    pub fn into_peer_finished(self, side: Side) -> PeerFinished {
        let keys = match side {
            Side::Client => self.server,
            Side::Server => self.client,
        };
        PeerFinished {
            hash: self.suite.hash,
            finished_key: keys.finished_key,
        }
    }

    /// The Master Secret stage, from Transcript-Hash(ClientHello...server Finished): both
    /// application traffic secrets, traced and key-logged, and the exporter secret for the key
    /// log. The handshake keys stay in use until our own Finished is sent.
    pub fn traffic(
        &self,
        core: &mut Core,
        server_finished: &Transcript,
    ) -> Result<TrafficStage, Error> {
        let master = self.secret.master();
        let hash = server_finished.current_hash()?;
        let (client, server) = master.traffic_secrets(hash.as_ref());
        core.trace_secret(SecretName::ClientApplicationTrafficSecret, &client);
        core.trace_secret(SecretName::ServerApplicationTrafficSecret, &server);
        core.log_key("CLIENT_TRAFFIC_SECRET_0", &self.client_random, &client);
        core.log_key("SERVER_TRAFFIC_SECRET_0", &self.client_random, &server);
        let exporter = master.exporter_secret(hash.as_ref());
        core.log_key("EXPORTER_SECRET", &self.client_random, &exporter);
        core.exporter = Some(crate::exporter::ExporterSecret::Tls13 {
            hash: self.suite.hash,
            secret: exporter,
        });
        Ok(TrafficStage {
            suite: self.suite,
            master,
            client,
            server,
        })
    }
}

/// The peer's finished_key, for its Finished (RFC 8446 §4.4.4).
pub(crate) struct PeerFinished {
    hash: Hash,
    finished_key: Secret,
}

impl PeerFinished {
    /// RFC 8446 §4.4.4: the peer's Finished over the transcript so far, in constant time.
    pub fn verify(
        &self,
        transcript: &Transcript,
        received: &[u8],
    ) -> Result<FinishedVerified, Error> {
        let expected = key_schedule::verify_data(
            self.hash,
            &self.finished_key,
            transcript.current_hash()?.as_ref(),
        );
        FinishedVerified::check(&expected, received)
    }
}

/// The Master Secret stage: the application traffic secrets, and the resumption master secret
/// still to come.
pub(crate) struct TrafficStage {
    suite: &'static Suite13,
    master: MasterSecret13,
    client: Secret,
    server: Secret,
}

impl TrafficStage {
    fn secret(&self, side: Side) -> &Secret {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    /// Our application traffic keys.
    pub fn install_write(&self, core: &mut Core) -> Result<(), Error> {
        core.set_encrypter(cipher(self.suite, self.secret(core.side))?);
        Ok(())
    }

    /// The peer's application traffic keys.
    pub fn install_read(&self, core: &mut Core) -> Result<(), Error> {
        core.set_decrypter(cipher(self.suite, self.secret(core.side.peer()))?);
        Ok(())
    }

    /// `resumption_master_secret`, given the transcript up to and including the client's
    /// Finished.
    pub fn resumption_secret(&self, client_finished: &Transcript) -> Result<Secret, Error> {
        Ok(self
            .master
            .resumption_secret(client_finished.current_hash()?.as_ref()))
    }

    /// The traffic state, holding what KeyUpdate derives from: (suite, ours, the peer's).
    pub fn into_secrets(self, side: Side) -> (&'static Suite13, Secret, Secret) {
        match side {
            Side::Client => (self.suite, self.client, self.server),
            Side::Server => (self.suite, self.server, self.client),
        }
    }
}

/// RFC 8446 §4.2.11.2: a PSK binder is a Finished computed with the binder key over the
/// transcript up to and including the ClientHello truncated before its binders (after a
/// HelloRetryRequest, over what came before it too: `prefix`). Both sides compute it here.
pub(crate) fn psk_binder(
    hash: Hash,
    early: &EarlySecret,
    prefix: Option<&Transcript>,
    truncated_hello: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut transcript = match prefix {
        Some(t) => t.clone(),
        None => Transcript::with_hash(hash),
    };
    transcript.add(truncated_hello);
    let binder_key = early.resumption_binder_key();
    Ok(key_schedule::finished_verify_data(
        hash,
        &binder_key,
        transcript.current_hash()?.as_ref(),
    ))
}

/// RFC 8446 §4.4.3: "The digital signature is then computed over the concatenation of:
/// A string that consists of octet 32 (0x20) repeated 64 times; The context string; A single 0
/// byte which serves as the separator; The content to be signed."
pub(crate) fn certificate_verify_content(
    signer: Side,
    transcript: &Transcript,
) -> Result<Vec<u8>, Error> {
    let context: &[u8] = match signer {
        Side::Server => b"TLS 1.3, server CertificateVerify",
        Side::Client => b"TLS 1.3, client CertificateVerify",
    };
    let hash = transcript.current_hash()?;
    let mut content = vec![0x20u8; 64];
    content.extend_from_slice(context);
    content.push(0);
    content.extend_from_slice(hash.as_ref());
    Ok(content)
}

/// RFC 8446 §4.4.1: after a HelloRetryRequest, "the value of ClientHello1 is replaced with a
/// special synthetic handshake message of handshake type "message_hash" containing
/// Hash(ClientHello1)". `transcript` holds ClientHello1 (not yet hashed); the result holds the
/// synthetic message, hashed with `hash`.
pub(crate) fn transcript_after_retry(
    mut transcript: Transcript,
    hash: Hash,
) -> Result<Transcript, Error> {
    transcript.start_hash(hash);
    let client_hello1 = transcript.current_hash()?;
    let mut replaced = Transcript::with_hash(hash);
    let len = client_hello1.as_ref().len() as u8;
    replaced.add(&[HandshakeType::MessageHash.0, 0, 0, len]);
    replaced.add(client_hello1.as_ref());
    Ok(replaced)
}
