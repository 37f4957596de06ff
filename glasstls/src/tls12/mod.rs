//! What both TLS 1.2 sides share: [`ConnectionSecrets`], the one place the key schedule runs
//! (pre-master secret → master secret → key block → record keys, and Finished), traced and
//! key-logged as it goes; and the traffic state, which refuses renegotiation.
//!
//! ```text
//!   pre_master_secret
//!         │  PRF(pms, "master secret", client_random + server_random)         (RFC 5246 §8.1)
//!         │  or PRF(pms, "extended master secret", session_hash)              (RFC 7627 §4)
//!         ▼
//!   master_secret (48 bytes)          ◄── or the saved one, when resuming     (RFC 5246 §7.3)
//!         │  PRF(ms, "key expansion", server_random + client_random)          (RFC 5246 §6.3)
//!         ▼
//!   key_block = client_write_key ‖ server_write_key ‖ client_write_IV ‖ server_write_IV
//!               (AEAD suites have no MAC keys)
//!   verify_data = PRF(ms, finished_label, Hash(handshake_messages))[0..11]    (RFC 5246 §7.4.9)
//! ```

pub(crate) mod prf;
mod traffic;

pub(crate) use prf::MasterSecret;
pub(crate) use traffic::Traffic12;

use crate::conn::{Core, FinishedVerified, Transcript};
use crate::crypto::Suite;
use crate::error::Error;
use crate::record::RecordCipher;
use crate::side::Side;
use crate::trace::SecretName;
use crate::version::Version;
use crate::wire::{HandshakeMessage, HandshakePayload};

/// The randoms of both hellos.
#[derive(Clone, Copy)]
pub(crate) struct Randoms {
    pub client: [u8; 32],
    pub server: [u8; 32],
}

/// The secrets of one TLS 1.2 connection, whichever side it is and however it began.
pub(crate) struct ConnectionSecrets {
    suite: &'static Suite,
    master_secret: MasterSecret,
    /// The master secret set up once as the key of the connection's three PRFs.
    prf_key: prf::PrfKey,
    randoms: Randoms,
}

impl ConnectionSecrets {
    /// A full handshake: the master secret from the pre-master secret (RFC 5246 §8.1), or, when
    /// the extended master secret was agreed, from the session hash: the hash of `transcript`,
    /// which holds the handshake up to and including ClientKeyExchange (RFC 7627 §4). The
    /// pre-master secret is dropped (and zeroized) here.
    pub fn from_pre_master_secret(
        core: &mut Core,
        suite: &'static Suite,
        pre_master_secret: zeroize::Zeroizing<Vec<u8>>,
        randoms: Randoms,
        extended_master_secret: bool,
        transcript: &Transcript,
    ) -> Result<Self, Error> {
        core.trace_secret(SecretName::PreMasterSecret, &pre_master_secret);
        let (name, master_secret) = if extended_master_secret {
            let session_hash = transcript.current_hash()?;
            (
                SecretName::ExtendedMasterSecret,
                prf::extended_master_secret(suite.hash, &pre_master_secret, session_hash.as_ref()),
            )
        } else {
            (
                SecretName::MasterSecret,
                prf::master_secret(
                    suite.hash,
                    &pre_master_secret,
                    &randoms.client,
                    &randoms.server,
                ),
            )
        };
        drop(pre_master_secret);
        core.trace_secret(name, master_secret.as_bytes());
        Ok(Self::resumed(
            core,
            suite,
            master_secret,
            randoms,
            extended_master_secret,
        ))
    }

    /// An abbreviated handshake (RFC 5246 §7.3): the saved master secret with two new randoms.
    pub fn resumed(
        core: &mut Core,
        suite: &'static Suite,
        master_secret: MasterSecret,
        randoms: Randoms,
        extended_master_secret: bool,
    ) -> Self {
        core.exporter = Some(crate::exporter::ExporterSecret::tls12(
            suite.hash,
            &master_secret,
            &randoms.client,
            &randoms.server,
            extended_master_secret,
        ));
        // The NSS key log keys the master secret by this connection's client random, so a
        // resumed connection is logged too.
        core.log_key("CLIENT_RANDOM", &randoms.client, master_secret.as_bytes());
        Self {
            suite,
            prf_key: prf::PrfKey::master(suite.hash, &master_secret),
            master_secret,
            randoms,
        }
    }

    pub fn master_secret(&self) -> &MasterSecret {
        &self.master_secret
    }

    /// RFC 5246 §6.3: the key block, as (our write, our read) record ciphers.
    pub fn record_ciphers(&self, core: &mut Core) -> Result<(RecordCipher, RecordCipher), Error> {
        let Self {
            suite,
            prf_key,
            randoms,
            ..
        } = self;
        let block = prf::key_block(prf_key, suite.aead, &randoms.client, &randoms.server);
        core.trace_secret(SecretName::ClientWriteKey, &block.client_write_key);
        core.trace_secret(SecretName::ServerWriteKey, &block.server_write_key);
        core.trace_secret(SecretName::ClientWriteIv, &block.client_write_iv);
        core.trace_secret(SecretName::ServerWriteIv, &block.server_write_iv);
        let cipher = |key: &[u8], iv: &[u8]| RecordCipher::new(Version::Tls12, suite.aead, key, iv);
        let client = cipher(&block.client_write_key, &block.client_write_iv)?;
        let server = cipher(&block.server_write_key, &block.server_write_iv)?;
        Ok(match core.side {
            Side::Client => (client, server),
            Side::Server => (server, client),
        })
    }

    /// RFC 5246 §7.4.9: the verify_data `side` sends, over the transcript so far.
    fn verify_data(&self, side: Side, transcript: &Transcript) -> Result<[u8; 12], Error> {
        let label = match side {
            Side::Client => prf::CLIENT_FINISHED,
            Side::Server => prf::SERVER_FINISHED,
        };
        let hash = transcript.current_hash()?;
        Ok(prf::verify_data(&self.prf_key, label, hash.as_ref()))
    }

    /// RFC 5246 §7.1 and §7.4.9: our ChangeCipherSpec, the switch to our new write keys, and
    /// our Finished under them.
    pub fn send_change_cipher_spec_and_finished(
        &self,
        core: &mut Core,
        write: RecordCipher,
        transcript: &mut Transcript,
    ) -> Result<(), Error> {
        core.send_change_cipher_spec()?;
        core.set_encrypter(write);
        let verify_data = self.verify_data(core.side, transcript)?;
        let msg = HandshakeMessage::new(HandshakePayload::Finished(verify_data.to_vec()));
        core.send_handshake(&msg, transcript)
    }

    /// RFC 5246 §7.4.9: checks the peer's Finished against the transcript before it.
    pub fn verify_peer_finished(
        &self,
        core: &Core,
        transcript: &Transcript,
        received: &[u8],
    ) -> Result<FinishedVerified, Error> {
        let expected = self.verify_data(core.side.peer(), transcript)?;
        FinishedVerified::check(&expected, received)
    }
}
