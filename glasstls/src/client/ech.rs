//! Encrypted Client Hello, client side (RFC 9849 §6).
//!
//! ```text
//!   the inner ClientHello: the real name, TLS 1.3 only, ECH of type inner, the PSK if any
//!   the outer ClientHello: the config's public name, the same key shares, no PSK
//!     └─ encrypted_client_hello: HPKE-sealed EncodedClientHelloInner (the extensions both
//!        share compressed away, padded), with the outer hello itself as the AAD
//!   ServerHello ─ its random confirms acceptance ─► the handshake runs on the inner hello
//!               └ it does not ─► the handshake runs on the outer one, for the public name,
//!                 only to authenticate the retry configs; it ends in ech_required
//! ```
//! The inner hello is the handshake's ClientHello from the start (`ExpectServerHello`
//! holds it); [`EchOffer`] keeps the outer one until the server's first answer says which.

use super::hello::ExpectServerHello;
use crate::conn::{Core, Transcript};
use crate::crypto::{self, Hash};
use crate::ech::{Confirming, ECH_OUTER_EXTENSIONS, ENCRYPTED_CLIENT_HELLO, EchConfig};
use crate::error::{Error, InternalError};
use crate::hpke::{self, Context};
use crate::trace::Decision;
use crate::wire::codec::{LengthPrefix, put_prefixed, put_vec};
use crate::wire::{
    ClientHello, Codec, Extension, ExtensionType, HandshakeMessage, HandshakePayload,
    InvalidMessage,
};
use rustls_pki_types::ServerName;

/// The AEAD tag every HPKE AEAD we offer appends (AES-GCM and ChaCha20-Poly1305).
const TAG_LEN: usize = 16;

/// What a real ECH offer keeps until the server's first answer: the outer hello that went on
/// the wire, and the HPKE context that seals a second inner hello after a HelloRetryRequest.
pub(crate) struct EchOffer {
    /// The config the offer was sealed to.
    pub config: EchConfig,
    context: Context,
    kdf: u16,
    aead: u16,
    /// The outer ClientHello as sent, and its transcript (the handshake's if ECH is rejected).
    pub outer: ClientHello,
    pub outer_transcript: Transcript,
    /// The offer was made with retry configs ([`crate::ech::EchMode::Retry`]).
    pub is_retry: bool,
    /// A HelloRetryRequest confirmed acceptance: the ServerHello must too (§6.1.5).
    pub accepted_by_retry: bool,
    /// EncodedClientHelloInner's length, padding included (for the trace).
    pub encoded_len: usize,
}

/// A handshake that runs on the outer hello because the server did not accept ours (RFC 9849
/// §6.1.6): it authenticates the public name, and only to hand over the retry configs.
pub(crate) struct Rejected {
    pub public_name: String,
    pub is_retry: bool,
    /// From EncryptedExtensions, once it came: parsed, and as sent.
    pub retry_configs: Vec<EchConfig>,
    pub retry_config_list: Vec<u8>,
}

impl Rejected {
    /// The error the handshake ends with once the server is authenticated (sent as
    /// ech_required).
    pub fn into_error(self) -> Error {
        Error::EchRejected(Box::new(crate::ech::EchRejection {
            public_name: self.public_name,
            retry_configs: self.retry_configs,
            retry_config_list: self.retry_config_list,
            after_retry: self.is_retry,
        }))
    }
}

/// RFC 9849 §6.1.6: the server did not accept our Encrypted Client Hello: the handshake goes
/// on with the outer hello (its random, its transcript, no PSK), authenticating the public
/// name, in TLS 1.3 or TLS 1.2.
pub(crate) fn reject(sent: &mut ExpectServerHello, core: &mut Core) -> Result<(), Error> {
    let Some(offer) = sent.ech.take() else {
        return Ok(());
    };
    let public_name = offer.config.public_name.clone();
    sent.server_name =
        ServerName::try_from(public_name.clone()).map_err(|_| InternalError::StateInvariant)?;
    sent.client_random = offer.outer.random;
    sent.hello = offer.outer;
    sent.transcript = offer.outer_transcript;
    sent.psk_offer = None;
    core.info.ech = crate::conn::EchStatus::Rejected;
    core.decide(|| Decision::EchNotAccepted {
        public_name: public_name.clone(),
    });
    sent.ech_rejected = Some(Box::new(Rejected {
        public_name,
        is_retry: offer.is_retry,
        retry_configs: Vec::new(),
        retry_config_list: Vec::new(),
    }));
    Ok(())
}

/// A usable config: the config, its HPKE suite, and the suite's code points.
pub(crate) struct Chosen<'c> {
    pub config: &'c EchConfig,
    kdf: hpke::Kdf,
    aead: hpke::Aead,
    ids: (u16, u16),
}

/// RFC 9849 §6.1: the first config whose KEM, a KDF/AEAD pair and every mandatory extension
/// we support (§4.2: "Clients MUST parse the extension list and check for unsupported
/// mandatory extensions. If an unsupported mandatory extension is present, clients MUST ignore
/// the ECHConfig"), and whose public name is a host name (§6.1.7).
pub(crate) fn choose(configs: &[EchConfig]) -> Option<Chosen<'_>> {
    configs.iter().find_map(|config| {
        let mandatory = config.extensions.iter().any(|(typ, _)| typ & 0x8000 != 0);
        if config.kem_id != hpke::KEM_X25519_SHA256
            || config.public_key.len() != 32
            || mandatory
            || !public_name_usable(&config.public_name)
        {
            return None;
        }
        config.cipher_suites.iter().find_map(|&(kdf, aead)| {
            Some(Chosen {
                config,
                kdf: hpke::Kdf::from_id(kdf)?,
                aead: hpke::Aead::from_id(aead)?,
                ids: (kdf, aead),
            })
        })
    })
}

/// RFC 9849 §6.1.7: "a dot-separated sequence of LDH labels ... the sequence does not begin
/// or end with an ASCII dot, and all labels are at most 63 octets", and the last label is not
/// all digits nor `0x` and hex digits (it would read as an IPv4 address).
fn public_name_usable(name: &str) -> bool {
    let ldh = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let Some(last) = name.rsplit('.').next() else {
        return false;
    };
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .or_else(|| last.strip_prefix("0X"))
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    name.split('.').all(ldh) && !numeric
}

/// RFC 9849 §6.1: makes the outer hello an ECH offer for `inner`: SetupBaseS with info "tls
/// ech" || 0x00 || ECHConfig, then the sealed EncodedClientHelloInner in an
/// encrypted_client_hello extension at the end of `outer`.
pub(crate) fn offer(
    chosen: &Chosen<'_>,
    inner: &ClientHello,
    mut outer: ClientHello,
    is_retry: bool,
) -> Result<EchOffer, Error> {
    let mut info = b"tls ech\0".to_vec();
    info.extend_from_slice(&chosen.config.to_bytes());
    let (enc, mut context) =
        Context::sender(&chosen.config.public_key, &info, chosen.kdf, chosen.aead)
            .map_err(|_| InternalError::Encryption)?;
    let encoded = encode_inner(inner, &outer, chosen.config.maximum_name_length);
    let (kdf, aead) = chosen.ids;
    let config_id = chosen.config.config_id;
    seal(
        &mut outer,
        &mut context,
        (kdf, aead, config_id),
        &enc,
        &encoded,
    )?;
    Ok(EchOffer {
        config: chosen.config.clone(),
        context,
        kdf,
        aead,
        outer,
        outer_transcript: Transcript::new(),
        is_retry,
        accepted_by_retry: false,
        encoded_len: encoded.len(),
    })
}

/// RFC 9849 §6.1.5: after a HelloRetryRequest that accepted ECH, the second outer hello
/// (`outer`, the first one changed as the inner one was) seals the second inner hello with the
/// same context and an empty enc.
pub(crate) fn reseal(
    offer: &mut EchOffer,
    inner: &ClientHello,
    mut outer: ClientHello,
) -> Result<ClientHello, Error> {
    outer
        .extensions
        .retain(|e| e.typ() != ENCRYPTED_CLIENT_HELLO);
    let encoded = encode_inner(inner, &outer, offer.config.maximum_name_length);
    let ids = (offer.kdf, offer.aead, offer.config.config_id);
    seal(&mut outer, &mut offer.context, ids, &[], &encoded)?;
    offer.encoded_len = encoded.len();
    Ok(outer)
}

/// Sends the outer hello (into its own transcript) and puts the inner one, which the
/// handshake runs on if the server accepts, into `transcript`, and into the trace.
pub(crate) fn send(
    core: &mut Core,
    offer: &mut EchOffer,
    inner: &ClientHello,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    core.send_handshake(
        &HandshakeMessage::new(HandshakePayload::ClientHello(offer.outer.clone())),
        &mut offer.outer_transcript,
    )?;
    let raw = HandshakeMessage::new(HandshakePayload::ClientHello(inner.clone())).to_bytes();
    transcript.add(&raw);
    core.trace_ech_inner(crate::trace::Direction::Sent, inner, &raw);
    Ok(())
}

/// §6.1.1: the extension with `payload` as L zeros makes the ClientHelloOuterAAD; the sealed
/// payload, of the same length, then takes their place.
fn seal(
    outer: &mut ClientHello,
    context: &mut Context,
    (kdf, aead, config_id): (u16, u16, u8),
    enc: &[u8],
    encoded: &[u8],
) -> Result<(), Error> {
    let zeros = vec![0; encoded.len() + TAG_LEN];
    // Last, but before a (GREASE) pre_shared_key.
    let at = outer.insert_before_psk(outer_extension(kdf, aead, config_id, enc, &zeros));
    let mut aad = Vec::new();
    outer.encode(&mut aad);
    let payload = context
        .seal(&aad, encoded)
        .map_err(|_| InternalError::Encryption)?;
    if payload.len() != zeros.len() {
        return Err(InternalError::Encryption.into());
    }
    if let Some(slot) = outer.extensions.get_mut(at) {
        *slot = outer_extension(kdf, aead, config_id, enc, &payload);
    }
    Ok(())
}

/// RFC 9849 §6.1.2: when the inner hello offers a PSK, the outer one carries a GREASE
/// pre_shared_key ("for each PSK identity advertised in the ClientHelloInner, the client
/// generates a random PSK identity with the same length", a random obfuscated_ticket_age, and
/// random binders of the inner ones' lengths), so that a ServerHello resuming the inner
/// session does not look unsolicited on the wire. It names no session of ours.
pub(crate) fn grease_psk(inner: &ClientHello) -> Result<Option<Extension>, Error> {
    let Some(Extension::PreSharedKey(offered)) = inner.find(ExtensionType::PreSharedKey) else {
        return Ok(None);
    };
    let random = |len: usize| -> Result<Vec<u8>, Error> {
        let mut bytes = vec![0u8; len];
        crypto::fill_random(&mut bytes)?;
        Ok(bytes)
    };
    let identities = offered
        .identities
        .iter()
        .map(|i| {
            Ok(crate::wire::PskIdentity {
                identity: random(i.identity.len())?,
                obfuscated_ticket_age: u32::from_be_bytes(crypto::random_bytes::<4>()?),
            })
        })
        .collect::<Result<_, Error>>()?;
    let binders = offered
        .binders
        .iter()
        .map(|b| random(b.len()))
        .collect::<Result<_, Error>>()?;
    Ok(Some(Extension::PreSharedKey(crate::wire::OfferedPsks {
        identities,
        binders,
    })))
}

/// RFC 9849 §5: ECHClientHello of type outer.
fn outer_extension(kdf: u16, aead: u16, config_id: u8, enc: &[u8], payload: &[u8]) -> Extension {
    let mut data = vec![0u8];
    data.extend_from_slice(&kdf.to_be_bytes());
    data.extend_from_slice(&aead.to_be_bytes());
    data.push(config_id);
    put_vec(&mut data, LengthPrefix::U16, enc);
    put_vec(&mut data, LengthPrefix::U16, payload);
    Extension::Unknown {
        typ: ENCRYPTED_CLIENT_HELLO,
        data,
    }
}

/// The extension an inner hello carries (RFC 9849 §5: type inner, empty).
pub(crate) fn inner_extension() -> Extension {
    Extension::Unknown {
        typ: ENCRYPTED_CLIENT_HELLO,
        data: vec![1],
    }
}

/// RFC 9849 §5.1 EncodedClientHelloInner: the inner hello's body with an empty session ID,
/// the run of extensions it shares with the outer hello replaced by one ech_outer_extensions
/// naming them, then the §6.1.3 padding: the name padded to the config's
/// maximum_name_length, and the whole to a multiple of 32 bytes.
fn encode_inner(inner: &ClientHello, outer: &ClientHello, maximum_name_length: u8) -> Vec<u8> {
    let mut compressed = Vec::new();
    let mut extensions = Vec::with_capacity(inner.extensions.len());
    let mut run_at = None;
    let mut run_ended = false;
    let mut outer_from = 0;
    for ext in &inner.extensions {
        let shareable = !matches!(
            ext.typ(),
            ExtensionType::ServerName | ExtensionType::PreSharedKey | ENCRYPTED_CLIENT_HELLO
        );
        // The server takes the named extensions from the outer hello in order, each after the
        // last one taken (§5.1), so only one run, in the outer hello's order, is compressed.
        let in_outer = (shareable && !run_ended)
            .then(|| {
                outer
                    .extensions
                    .iter()
                    .skip(outer_from)
                    .position(|e| e == ext)
            })
            .flatten();
        match in_outer {
            Some(at) => {
                outer_from += at + 1;
                compressed.push(ext.typ());
                if run_at.is_none() {
                    run_at = Some(extensions.len());
                    extensions.push(ext.clone());
                }
            }
            None => {
                run_ended |= run_at.is_some();
                extensions.push(ext.clone());
            }
        }
    }
    if let Some(slot) = run_at.and_then(|at| extensions.get_mut(at)) {
        let mut data = Vec::new();
        put_prefixed(&mut data, LengthPrefix::U8, |out| {
            for typ in &compressed {
                out.extend_from_slice(&typ.0.to_be_bytes());
            }
        });
        *slot = Extension::Unknown {
            typ: ECH_OUTER_EXTENSIONS,
            data,
        };
    }
    let body = ClientHello {
        session_id: Vec::new(),
        extensions,
        ..inner.clone()
    };
    let mut out = Vec::new();
    body.encode(&mut out);
    // §6.1.3: "If the ClientHelloInner contained a "server_name" extension with a name of
    // length D, add max(0, M - D) bytes of padding"; without one, "M + 9 bytes".
    let max = usize::from(maximum_name_length);
    let name_padding = match inner.find(ExtensionType::ServerName) {
        Some(Extension::ServerName(names)) => {
            let d = names.first().map_or(0, |n| n.name.len());
            max.saturating_sub(d)
        }
        _ => max + 9,
    };
    // "Let L be the length of the EncodedClientHelloInner with all the padding computed so
    // far. Let N = 31 - ((L - 1) % 32) and add N bytes of padding."
    let l = out.len() + name_padding;
    let n = 31 - (l.saturating_sub(1) % 32);
    out.resize(l + n, 0);
    out
}

/// RFC 9849 §6.2.1: a GREASE encrypted_client_hello: a random config_id, a suite we would
/// use, a random X25519 public key as enc (every 32-byte string is one, RFC 7748 §5), and a
/// random payload as long as a real offer's could be (one of four lengths, multiples of 32
/// plus the tag, as the padding rounds real ones).
pub(crate) fn grease() -> Result<Extension, Error> {
    let [config_id, size] = crypto::random_bytes::<2>()?;
    let enc = crypto::random_bytes::<32>()?;
    let mut payload = vec![0u8; 32 * (5 + usize::from(size % 4)) + TAG_LEN];
    crypto::fill_random(&mut payload)?;
    let (kdf, aead) = (hpke::Kdf::HkdfSha256 as u16, hpke::Aead::Aes128Gcm as u16);
    Ok(outer_extension(kdf, aead, config_id, &enc, &payload))
}

/// RFC 9849 §7.2: whether the ServerHello's random ends in the acceptance confirmation, made
/// over the inner transcript and the ServerHello with those 8 bytes zero.
pub(crate) fn server_hello_accepts(
    hash: Hash,
    inner_transcript: &Transcript,
    inner_random: &[u8; 32],
    raw: &[u8],
) -> Result<bool, Error> {
    // The 4-byte header, legacy_version, then random: its last 8 bytes.
    let span = 4 + 2 + 24..4 + 2 + 32;
    confirmed(
        hash,
        Confirming::ServerHello,
        inner_transcript,
        inner_random,
        raw,
        span,
    )
}

/// RFC 9849 §6.1.4: a HelloRetryRequest accepts ECH when its encrypted_client_hello holds the
/// confirmation (made with it zero); none: rejected; one of another length is decode_error.
pub(crate) fn retry_request_accepts(
    hash: Hash,
    inner_transcript: &Transcript,
    inner_random: &[u8; 32],
    raw: &[u8],
) -> Result<bool, Error> {
    let Some(span) = crate::ech::extension_body(crate::wire::HandshakeType::ServerHello, raw)
    else {
        return Ok(false);
    };
    if span.len() != 8 {
        return Err(InvalidMessage::BadLength("encrypted_client_hello").into());
    }
    confirmed(
        hash,
        Confirming::HelloRetryRequest,
        inner_transcript,
        inner_random,
        raw,
        span,
    )
}

fn confirmed(
    hash: Hash,
    which: Confirming,
    inner_transcript: &Transcript,
    inner_random: &[u8; 32],
    raw: &[u8],
    span: std::ops::Range<usize>,
) -> Result<bool, Error> {
    let received = raw
        .get(span.clone())
        .ok_or(InvalidMessage::Truncated("ServerHello"))?;
    let mut zeroed = raw.to_vec();
    if let Some(bytes) = zeroed.get_mut(span) {
        bytes.fill(0);
    }
    let mut transcript = inner_transcript.clone();
    transcript.add(&zeroed);
    let expected = crate::ech::confirmation(
        hash,
        which,
        inner_random,
        transcript.current_hash()?.as_ref(),
    );
    Ok(crypto::equal_in_constant_time(&expected, received))
}

/// RFC 9849 §6.1.6: retry_configs must be a well-formed ECHConfigList ("the client MUST
/// check that it is syntactically valid and the client MUST abort the connection with a
/// "decode_error" alert otherwise"); the configs of versions we know.
pub(crate) fn retry_configs(data: &[u8]) -> Result<Vec<EchConfig>, Error> {
    crate::ech::parse_config_list(data).map_err(|e| match e {
        InvalidMessage::IllegalValue(what) => InvalidMessage::BadLength(what).into(),
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_names_are_host_names_and_not_ipv4_literals() {
        for good in ["public.example", "a", "cover-1.example.net", "x.0a"] {
            assert!(public_name_usable(good), "{good}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            ".example",
            "example.",
            "a..b",
            "-a.example",
            "a_b.example",
            "192.0.2.1",
            "host.0x1f",
            "host.0X",
            long.as_str(),
        ] {
            assert!(!public_name_usable(bad), "{bad:?}");
        }
    }
}
