//! The crypto bound: what the public-key operations and record-key set-ups (handshakes) or the
//! AEAD (bulk) cost alone, through aws-lc-rs, the same primitives every glasstls and rustls row
//! uses.

use crate::peers::{Cert, Resume, Scenario};
use aws_lc_rs::{aead, agreement, kem, rand, rsa, signature};
use glasstls::internal::crypto::Aead;
use glasstls::{CipherSuite, NamedGroup};
use std::sync::OnceLock;
use std::time::Instant;

/// Seconds per call of `f`.
fn seconds_per(reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..reps / 10 + 1 {
        f();
    }
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_secs_f64() / reps as f64
}

pub struct Costs {
    x25519: f64,
    mlkem_client: f64,
    mlkem_server: f64,
    ecdsa_sign: f64,
    ecdsa_verify: f64,
    rsa_sign: f64,
    rsa_verify: f64,
    rsa_encrypt: f64,
    rsa_decrypt: f64,
    /// Setting up one record key, by AEAD (`Aead as usize`).
    aead_key: [f64; 3],
}

/// Keys and inputs, made once: only the operations are timed.
struct Material {
    peer_public: Vec<u8>,
    ct: Vec<u8>,
    ek_bytes: Vec<u8>,
    ecdsa: signature::EcdsaKeyPair,
    ecdsa_sig: Vec<u8>,
    ecdsa_pub: Vec<u8>,
    rsa_key: rsa::KeyPair,
    rsa_sig: Vec<u8>,
    rsa_pub: Vec<u8>,
    public: rsa::Pkcs1PublicEncryptingKey,
    decrypting: rsa::Pkcs1PrivateDecryptingKey,
    ciphertext: Vec<u8>,
}

const MSG: [u8; 200] = [7u8; 200];

fn material() -> &'static Material {
    static MATERIAL: OnceLock<Material> = OnceLock::new();
    MATERIAL.get_or_init(|| {
        let rng = rand::SystemRandom::new();
        let peer =
            agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).expect("x25519");
        let peer_public = peer.compute_public_key().expect("public").as_ref().to_vec();
        let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).expect("ML-KEM");
        let ek = dk.encapsulation_key().expect("ek");
        let (ct, _) = ek.encapsulate().expect("encapsulate");
        let ecdsa = signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_ASN1_SIGNING)
            .expect("ecdsa");
        let ecdsa_sig = ecdsa.sign(&rng, &MSG).expect("sign").as_ref().to_vec();
        let ecdsa_pub = signature::KeyPair::public_key(&ecdsa).as_ref().to_vec();
        let rsa_key = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("rsa");
        let mut rsa_sig = vec![0u8; rsa_key.public_modulus_len()];
        rsa_key
            .sign(&signature::RSA_PSS_SHA256, &rng, &MSG, &mut rsa_sig)
            .expect("sign");
        let rsa_pub = signature::KeyPair::public_key(&rsa_key).as_ref().to_vec();
        let private = rsa::PrivateDecryptingKey::generate(rsa::KeySize::Rsa2048).expect("rsa");
        let public = rsa::Pkcs1PublicEncryptingKey::new(private.public_key()).expect("public");
        let decrypting = rsa::Pkcs1PrivateDecryptingKey::new(private).expect("private");
        let mut ciphertext = vec![0u8; public.ciphertext_size()];
        public
            .encrypt(&[3u8; 48], &mut ciphertext)
            .expect("encrypt");
        Material {
            peer_public,
            ct: ct.as_ref().to_vec(),
            ek_bytes: ek.key_bytes().expect("ek bytes").as_ref().to_vec(),
            ecdsa,
            ecdsa_sig,
            ecdsa_pub,
            rsa_key,
            rsa_sig,
            rsa_pub,
            public,
            decrypting,
            ciphertext,
        }
    })
}

/// Times every operation once more: called once per trial, interleaved with the libraries, so
/// that the bound sees the same machine state as the rows.
pub fn measure(reps: usize) -> Costs {
    let m = material();
    let rng = rand::SystemRandom::new();
    Costs {
        x25519: seconds_per(reps, || {
            let k =
                agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).expect("x25519");
            let _ = k.compute_public_key();
            let _ = agreement::agree_ephemeral(
                k,
                agreement::UnparsedPublicKey::new(&agreement::X25519, &m.peer_public),
                (),
                |s| Ok(s.len()),
            );
        }),
        mlkem_client: seconds_per(reps, || {
            let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).expect("ML-KEM");
            let _ = dk.encapsulation_key().and_then(|k| k.key_bytes());
            let _ = dk.decapsulate(kem::Ciphertext::from(m.ct.as_slice()));
        }),
        mlkem_server: seconds_per(reps, || {
            let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, &m.ek_bytes).expect("ek");
            let _ = ek.encapsulate();
        }),
        ecdsa_sign: seconds_per(reps, || {
            let _ = m.ecdsa.sign(&rng, &MSG);
        }),
        ecdsa_verify: seconds_per(reps, || {
            let _ =
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &m.ecdsa_pub)
                    .verify(&MSG, &m.ecdsa_sig);
        }),
        rsa_sign: seconds_per(reps / 4 + 1, || {
            let mut sig = vec![0u8; m.rsa_key.public_modulus_len()];
            let _ = m
                .rsa_key
                .sign(&signature::RSA_PSS_SHA256, &rng, &MSG, &mut sig);
        }),
        rsa_verify: seconds_per(reps, || {
            let _ =
                signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &m.rsa_pub)
                    .verify(&MSG, &m.rsa_sig);
        }),
        rsa_encrypt: seconds_per(reps, || {
            let mut out = vec![0u8; m.public.ciphertext_size()];
            let _ = m.public.encrypt(&[3u8; 48], &mut out);
        }),
        rsa_decrypt: seconds_per(reps / 4 + 1, || {
            let mut out = vec![0u8; 512];
            let _ = m.decrypting.decrypt(&m.ciphertext, &mut out);
        }),
        aead_key: [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305].map(|a| {
            let alg = a.algorithm();
            let key = vec![9u8; alg.key_len()];
            seconds_per(reps, || {
                let _ = aead::UnboundKey::new(alg, &key).map(aead::LessSafeKey::new);
            })
        }),
    }
}

/// Handshakes per second (client, server) if only the public-key operations and the AEAD
/// cost anything. The AEAD's part is setting up each side's record keys: two in TLS 1.2,
/// four in TLS 1.3 (handshake and application keys, each direction); the few handshake
/// records they protect cost less than a microsecond more. `None` where a handshake has no
/// public-key operation (TLS 1.2 resumption: its bound would be two key set-ups, a few
/// percent of the row, which says nothing).
pub fn handshake(s: &Scenario, c: &Costs) -> Option<(f64, f64)> {
    let keys = if s.tls13 { 4.0 } else { 2.0 } * c.aead_key[scenario_aead(s) as usize];
    let (kx_client, kx_server) = match s.group {
        NamedGroup::X25519MLKEM768 => (c.x25519 + c.mlkem_client, c.x25519 + c.mlkem_server),
        _ => (c.x25519, c.x25519),
    };
    // Encrypted Client Hello: HPKE's DHKEM(X25519), a key generation and an agreement on the
    // client (Encap), an agreement on the server (Decap), counted as one X25519 exchange each.
    let (kx_client, kx_server) = match s.ech {
        true => (kx_client + c.x25519, kx_server + c.x25519),
        false => (kx_client, kx_server),
    };
    let (client, server) = match s.resume {
        Resume::SessionId => return None,
        Resume::Ticket if !s.tls13 => return None,
        // psk_dhe_ke: the key exchange, no signatures.
        Resume::Ticket => (kx_client, kx_server),
        Resume::No => {
            // Every chain here is a leaf signed by an ECDSA P-256 CA: one ECDSA verify.
            let chain = c.ecdsa_verify;
            if matches!(
                s.suite,
                CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256
                    | CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384
            ) {
                (c.rsa_encrypt + chain, c.rsa_decrypt)
            } else {
                let (verify, sign) = match s.cert {
                    Cert::Rsa => (c.rsa_verify, c.rsa_sign),
                    Cert::Ecdsa => (c.ecdsa_verify, c.ecdsa_sign),
                };
                (kx_client + chain + verify, kx_server + sign)
            }
        }
    };
    Some((1.0 / (client + keys), 1.0 / (server + keys)))
}

fn scenario_aead(s: &Scenario) -> Aead {
    if let Some(suite) = glasstls::internal::crypto::suite13(s.suite) {
        return suite.aead;
    }
    glasstls::internal::crypto::suite(s.suite).map_or(Aead::Aes128Gcm, |suite| suite.aead)
}

/// MB/s (seal, open) of `records` 16 KiB records through the AEAD alone: sealed in place,
/// opened into another buffer (nothing allocated or copied), each record timed on its own as
/// the bulk rows time each write, so that the clock reads (about 0.1 µs a pair here, some 7%
/// of an AES-GCM record) are in both.
pub fn aead(s: &Scenario, records: usize) -> (f64, f64) {
    let alg = scenario_aead(s).algorithm();
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(alg, &vec![9u8; alg.key_len()]).expect("key"));
    let nonce = || aead::Nonce::assume_unique_for_key([1; 12]);
    let aad = || aead::Aad::from([0u8; 13]);
    let mut record = vec![0x5au8; 16 * 1024];
    let mut sealed = record.clone();
    let tag = key
        .seal_in_place_separate_tag(nonce(), aad(), &mut sealed)
        .expect("seal");
    let mut opened = vec![0u8; sealed.len()];
    let per_record = |f: &mut dyn FnMut()| {
        for _ in 0..records / 10 + 1 {
            f();
        }
        let mut total = std::time::Duration::ZERO;
        for _ in 0..records {
            let start = Instant::now();
            f();
            total += start.elapsed();
        }
        total.as_secs_f64() / records.max(1) as f64
    };
    let seal = per_record(&mut || {
        let _ = key.seal_in_place_separate_tag(nonce(), aad(), &mut record);
    });
    let open = per_record(&mut || {
        key.open_separate_gather(nonce(), aad(), &sealed, tag.as_ref(), &mut opened)
            .expect("open");
    });
    let mb = 16.0 * 1024.0 / 1e6;
    (mb / seal, mb / open)
}
