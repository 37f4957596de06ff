//! The TLS 1.3 key schedule (RFC 8446 §7.1) as typed stages, so that a secret can only be
//! derived from the stage that owns it:
//!
//! ```text
//!              0
//!              |
//!              v
//!    PSK ->  HKDF-Extract = Early Secret            (EarlySecret)
//!              |
//!              v
//!        Derive-Secret(., "derived", "")
//!              |
//!              v
//!    (EC)DHE -> HKDF-Extract = Handshake Secret     (HandshakeSecret)
//!              |
//!              +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
//!              +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
//!              v
//!        Derive-Secret(., "derived", "")
//!              |
//!              v
//!    0 -> HKDF-Extract = Master Secret              (MasterSecret13)
//!              |
//!              +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
//!              +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
//!              +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
//!              +-----> Derive-Secret(., "res master", ClientHello...client Finished)
//! ```

use crate::crypto::{Aead, Hash};
use aws_lc_rs::hmac;

pub use crate::crypto::{MAX_SECRET, Secret};

/// A string of zeros as long as any hash: the IKM of the Master Secret and the salt of a PSK's
/// Early Secret (RFC 8446 §7.1), without a buffer per handshake.
const ZEROS: [u8; MAX_SECRET] = [0; MAX_SECRET];

fn zeros(hash: Hash) -> &'static [u8] {
    ZEROS.get(..hash.digest().output_len).unwrap_or(&ZEROS)
}

/// HKDF-Extract(salt, IKM).
pub fn extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Secret {
    // HKDF-Extract is HMAC(salt, IKM) (RFC 5869 §2.2); aws-lc-rs keeps its PRK opaque, so we
    // take the HMAC directly to hold the secret as bytes.
    let key = hmac::Key::new(hash.hmac(), salt);
    Secret::new(hmac::sign(&key, ikm).as_ref())
}

/// A secret ready for several HKDF-Expand-Label calls: its HMAC key is set up once (RFC 5869
/// §2.3: HKDF-Expand is HMAC under the PRK, so the key schedule of the HMAC can be shared).
pub struct Expander {
    hash: Hash,
    key: hmac::Key,
}

impl Expander {
    pub fn new(hash: Hash, secret: &[u8]) -> Self {
        Self {
            hash,
            key: hmac::Key::new(hash.hmac(), secret),
        }
    }

    /// RFC 8446 §7.1:
    /// ```text
    /// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
    /// struct { uint16 length = Length; opaque label<7..255> = "tls13 " + Label;
    ///          opaque context<0..255> = Context; } HkdfLabel;
    /// ```
    /// and RFC 5869 §2.3: `T(i) = HMAC-Hash(PRK, T(i-1) | info | i)`, OKM = the first L octets.
    pub fn expand_label(&self, label: &[u8], context: &[u8], len: usize) -> Secret {
        // The HkdfLabel is built on the stack: labels and contexts are at most 255 bytes.
        let len = len.min(MAX_SECRET);
        let mut info = [0u8; 2 + 1 + 255 + 1 + 255 + 1];
        let mut at = 0;
        for piece in [
            &(len as u16).to_be_bytes()[..],
            &[(6 + label.len()) as u8],
            b"tls13 ",
            label,
            &[context.len() as u8],
            context,
        ] {
            for (dst, src) in info.iter_mut().skip(at).zip(piece) {
                *dst = *src;
            }
            at = (at + piece.len()).min(info.len() - 1);
        }
        let mut out = Secret::zeroed(len);
        let mut filled = 0;
        let mut previous: Option<hmac::Tag> = None;
        let mut counter = 1u8;
        while filled < len {
            let mut ctx = hmac::Context::with_key(&self.key);
            if let Some(t) = &previous {
                ctx.update(t.as_ref());
            }
            if let Some(last) = info.get_mut(at) {
                *last = counter;
            }
            ctx.update(info.get(..at + 1).unwrap_or_default());
            let t = ctx.sign();
            let take = (len - filled).min(t.as_ref().len());
            if let (Some(dst), Some(src)) =
                (out.get_mut(filled..filled + take), t.as_ref().get(..take))
            {
                dst.copy_from_slice(src);
            }
            filled += take;
            previous = Some(t);
            counter = counter.wrapping_add(1);
        }
        out
    }

    /// `Derive-Secret` under this secret.
    pub fn derive_secret(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
        self.expand_label(label, transcript_hash, self.hash.digest().output_len)
    }
}

/// HKDF-Expand-Label for a secret expanded once.
pub fn expand_label(hash: Hash, secret: &[u8], label: &[u8], context: &[u8], len: usize) -> Secret {
    Expander::new(hash, secret).expand_label(label, context, len)
}

/// `Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
/// Transcript-Hash(Messages), Hash.length)`, given the transcript hash.
pub fn derive_secret(hash: Hash, secret: &[u8], label: &[u8], transcript_hash: &[u8]) -> Secret {
    expand_label(
        hash,
        secret,
        label,
        transcript_hash,
        hash.digest().output_len,
    )
}

/// Values of the key schedule that depend on the hash alone, computed once per hash: the hash
/// of the empty string (the context of every `Derive-Secret(., ., "")`), and, without a PSK,
/// the Early Secret and the salt it derives for the Handshake Secret. None of them is secret:
/// without a PSK the Early Secret is HKDF-Extract over zeros, the same for every connection.
struct Constants {
    empty_hash: Vec<u8>,
    no_psk_early_secret: Vec<u8>,
    no_psk_derived: Vec<u8>,
}

fn constants(hash: Hash) -> &'static Constants {
    static SHA256: std::sync::OnceLock<Constants> = std::sync::OnceLock::new();
    static SHA384: std::sync::OnceLock<Constants> = std::sync::OnceLock::new();
    let cell = match hash {
        Hash::Sha256 => &SHA256,
        Hash::Sha384 => &SHA384,
    };
    cell.get_or_init(|| {
        let empty_hash = aws_lc_rs::digest::digest(hash.digest(), b"")
            .as_ref()
            .to_vec();
        let early = extract(hash, zeros(hash), zeros(hash));
        let derived = derive_secret(hash, &early, b"derived", &empty_hash);
        Constants {
            empty_hash,
            no_psk_early_secret: early.to_vec(),
            no_psk_derived: derived.to_vec(),
        }
    })
}

fn empty_hash(hash: Hash) -> &'static [u8] {
    &constants(hash).empty_hash
}

pub struct EarlySecret {
    hash: Hash,
    secret: Secret,
    /// With a PSK, the secret set up once as an HMAC key (for the binder key and the salt).
    x: Option<Expander>,
}

impl EarlySecret {
    /// From a PSK, or (no PSK) from a string of zeros.
    pub fn new(hash: Hash, psk: Option<&[u8]>) -> Self {
        match psk {
            Some(psk) => {
                let secret = extract(hash, zeros(hash), psk);
                Self {
                    hash,
                    x: Some(Expander::new(hash, &secret)),
                    secret,
                }
            }
            None => Self {
                hash,
                secret: Secret::new(&constants(hash).no_psk_early_secret),
                x: None,
            },
        }
    }

    /// `Derive-Secret(., "res binder", "")`: the binder key for a resumption PSK.
    pub fn resumption_binder_key(&self) -> Secret {
        match &self.x {
            Some(x) => x.derive_secret(b"res binder", empty_hash(self.hash)),
            None => derive_secret(
                self.hash,
                &self.secret,
                b"res binder",
                empty_hash(self.hash),
            ),
        }
    }

    pub fn into_handshake(self, shared_secret: &[u8]) -> HandshakeSecret {
        let salt = match &self.x {
            Some(x) => x.derive_secret(b"derived", empty_hash(self.hash)),
            None => Secret::new(&constants(self.hash).no_psk_derived),
        };
        HandshakeSecret::new(self.hash, extract(self.hash, &salt, shared_secret))
    }

    #[cfg(test)]
    fn bytes(&self) -> &[u8] {
        &self.secret
    }
}

/// The Handshake Secret, set up once as an HMAC key for the three secrets derived from it.
pub struct HandshakeSecret {
    hash: Hash,
    x: Expander,
    #[cfg(test)]
    secret: Secret,
}

impl HandshakeSecret {
    fn new(hash: Hash, secret: Secret) -> Self {
        Self {
            hash,
            x: Expander::new(hash, &secret),
            #[cfg(test)]
            secret,
        }
    }

    /// (client_handshake_traffic_secret, server_handshake_traffic_secret), given
    /// Transcript-Hash(ClientHello...ServerHello).
    pub fn traffic_secrets(&self, hello_hash: &[u8]) -> (Secret, Secret) {
        (
            self.x.derive_secret(b"c hs traffic", hello_hash),
            self.x.derive_secret(b"s hs traffic", hello_hash),
        )
    }

    /// The Master Secret (the handshake secret stays usable for its traffic keys).
    pub fn master(&self) -> MasterSecret13 {
        let salt = self.x.derive_secret(b"derived", empty_hash(self.hash));
        MasterSecret13::new(self.hash, extract(self.hash, &salt, zeros(self.hash)))
    }

    #[cfg(test)]
    fn bytes(&self) -> &[u8] {
        &self.secret
    }
}

/// The Master Secret, set up once as an HMAC key for the secrets derived from it.
pub struct MasterSecret13 {
    x: Expander,
    #[cfg(test)]
    secret: Secret,
}

impl MasterSecret13 {
    fn new(hash: Hash, secret: Secret) -> Self {
        Self {
            x: Expander::new(hash, &secret),
            #[cfg(test)]
            secret,
        }
    }

    /// (client_application_traffic_secret_0, server_application_traffic_secret_0), given
    /// Transcript-Hash(ClientHello...server Finished).
    pub fn traffic_secrets(&self, server_finished_hash: &[u8]) -> (Secret, Secret) {
        (
            self.x.derive_secret(b"c ap traffic", server_finished_hash),
            self.x.derive_secret(b"s ap traffic", server_finished_hash),
        )
    }

    /// `exporter_master_secret`.
    pub fn exporter_secret(&self, server_finished_hash: &[u8]) -> Secret {
        self.x.derive_secret(b"exp master", server_finished_hash)
    }

    /// `resumption_master_secret`, given Transcript-Hash(ClientHello...client Finished).
    pub fn resumption_secret(&self, client_finished_hash: &[u8]) -> Secret {
        self.x.derive_secret(b"res master", client_finished_hash)
    }

    #[cfg(test)]
    fn bytes(&self) -> &[u8] {
        &self.secret
    }
}

/// RFC 8446 §7.3: `[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)`,
/// `[sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length)`.
pub fn traffic_key_and_iv(hash: Hash, aead: Aead, traffic_secret: &[u8]) -> (Secret, Secret) {
    let x = Expander::new(hash, traffic_secret);
    (
        x.expand_label(b"key", b"", aead.key_len()),
        x.expand_label(b"iv", b"", 12),
    )
}

/// RFC 8446 §4.4.4: `verify_data = HMAC(finished_key, Transcript-Hash(...))` with
/// `finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)`.
pub fn finished_verify_data(hash: Hash, base_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let finished_key = expand_label(hash, base_key, b"finished", b"", hash.digest().output_len);
    verify_data(hash, &finished_key, transcript_hash)
}

/// `HMAC(finished_key, transcript_hash)`: the Finished of RFC 8446 §4.4.4 once the
/// finished_key is known.
pub fn verify_data(hash: Hash, finished_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hash.hmac(), finished_key), transcript_hash)
        .as_ref()
        .to_vec()
}

/// Everything one side's handshake traffic secret is for: its record key and IV (RFC 8446
/// §7.3) and its finished_key (§4.4.4), expanded under one HMAC key set-up.
pub struct HandshakeKeys {
    pub key: Secret,
    pub iv: Secret,
    pub finished_key: Secret,
}

pub fn handshake_keys(hash: Hash, aead: Aead, traffic_secret: &[u8]) -> HandshakeKeys {
    let x = Expander::new(hash, traffic_secret);
    HandshakeKeys {
        key: x.expand_label(b"key", b"", aead.key_len()),
        iv: x.expand_label(b"iv", b"", 12),
        finished_key: x.expand_label(b"finished", b"", hash.digest().output_len),
    }
}

/// RFC 8446 §7.2: `application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
/// "traffic upd", "", Hash.length)`.
pub fn next_traffic_secret(hash: Hash, secret: &[u8]) -> Secret {
    expand_label(hash, secret, b"traffic upd", b"", hash.digest().output_len)
}

/// RFC 8446 §4.6.1: `HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce,
/// Hash.length)`.
pub fn resumption_psk(hash: Hash, resumption_secret: &[u8], nonce: &[u8]) -> Secret {
    expand_label(
        hash,
        resumption_secret,
        b"resumption",
        nonce,
        hash.digest().output_len,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex as hex;

    /// Our HkdfLabel and block chaining against aws-lc-rs's own HKDF-Expand, for every length
    /// up to `MAX_SECRET` (past one SHA-256 block) and contexts of every size class.
    #[test]
    fn expand_label_matches_hkdf_expand() {
        use aws_lc_rs::hkdf;
        struct Len(usize);
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                self.0
            }
        }
        let secret = [0x5a; 32];
        let x = Expander::new(Hash::Sha256, &secret);
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
        for context in [&[][..], &[1; 32], &[2; 255]] {
            for len in 1..=MAX_SECRET {
                let mut info = (len as u16).to_be_bytes().to_vec();
                info.push(6 + 5);
                info.extend_from_slice(b"tls13 label");
                info.push(context.len() as u8);
                info.extend_from_slice(context);
                let mut expected = vec![0; len];
                prk.expand(&[&info], Len(len))
                    .unwrap()
                    .fill(&mut expected)
                    .unwrap();
                assert_eq!(*x.expand_label(b"label", context, len), expected, "{len}");
            }
        }
    }

    /// RFC 8448 §3, "Simple 1-RTT Handshake", every stage of the schedule.
    #[test]
    fn rfc8448_simple_1rtt_key_schedule() {
        let early = EarlySecret::new(Hash::Sha256, None);
        assert_eq!(
            early.bytes(),
            hex(
                "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a"
            )
        );
        let shared = hex(
            "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d",
        );
        let hs = early.into_handshake(&shared);
        assert_eq!(
            hs.bytes(),
            hex(
                "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac"
            )
        );
        let hello_hash = hex(
            "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8",
        );
        let (c_hs, s_hs) = hs.traffic_secrets(&hello_hash);
        assert_eq!(
            *c_hs,
            hex(
                "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"
            )
        );
        assert_eq!(
            *s_hs,
            hex(
                "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"
            )
        );
        let (key, iv) = traffic_key_and_iv(Hash::Sha256, Aead::Aes128Gcm, &s_hs);
        assert_eq!(*key, hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
        assert_eq!(*iv, hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
        assert_eq!(
            *expand_label(Hash::Sha256, &s_hs, b"finished", b"", 32),
            hex(
                "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8"
            )
        );
        let master = hs.master();
        assert_eq!(
            master.bytes(),
            hex(
                "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19"
            )
        );
        let finished_hash = hex(
            "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13",
        );
        let (c_ap, s_ap) = master.traffic_secrets(&finished_hash);
        assert_eq!(
            *c_ap,
            hex(
                "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"
            )
        );
        assert_eq!(
            *s_ap,
            hex(
                "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"
            )
        );
        let res = master.resumption_secret(&hex("20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d"));
        assert_eq!(
            *res,
            hex(
                "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c"
            )
        );
        assert_eq!(
            *resumption_psk(Hash::Sha256, &res, &[0, 0]),
            hex(
                "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3"
            )
        );
    }
}
