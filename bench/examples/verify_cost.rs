//! How much of a client handshake is certificate verification? Times rustls-webpki's chain
//! verification (what `glasstls::internal::verify_server_chain` does) against the one ECDSA
//! verification it needs, on the same certificate.
//!
//! ```sh
//! cargo run --release -p glasstls-bench --example verify_cost
//! ```

use glasstls::RootStore;
use glasstls_test::pki::{Ca, KeyKind};
use std::time::Instant;

fn main() {
    let ca = Ca::new("CA").expect("CA");
    let leaf = ca.issue(&["localhost"], KeyKind::EcdsaP256).expect("leaf");
    let mut roots = RootStore::empty();
    roots.add(&ca.cert).expect("root");
    let name = glasstls::ServerName::try_from("localhost").expect("name");
    let now = glasstls::UnixTime::now();
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        glasstls::internal::verify_server_chain(&roots, &leaf.chain, &name, now).expect("verifies");
    }
    let chain = start.elapsed().as_secs_f64() / n as f64;
    // The one signature in that chain: the CA's over the leaf's TBSCertificate. Stand-in: an
    // ECDSA P-256 verification of a message of the same size through aws-lc-rs.
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = aws_lc_rs::signature::EcdsaKeyPair::generate(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    )
    .expect("key");
    let msg = vec![7u8; leaf.chain[0].len()];
    let sig = key.sign(&rng, &msg).expect("sign");
    let public = aws_lc_rs::signature::KeyPair::public_key(&key)
        .as_ref()
        .to_vec();
    let start = Instant::now();
    for _ in 0..n {
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
            &public,
        )
        .verify(&msg, sig.as_ref())
        .expect("verifies");
    }
    let verify = start.elapsed().as_secs_f64() / n as f64;
    println!(
        "chain verification {:.1} µs, one ECDSA P-256 verify {:.1} µs",
        chain * 1e6,
        verify * 1e6
    );

    // The server's public-key work in TLS 1.3 ECDSA x25519, through glasstls's own calls.
    let client_share = glasstls::internal::crypto::KeyShare::generate(
        glasstls::internal::wire::NamedGroup::X25519,
    )
    .expect("share");
    let start = Instant::now();
    for _ in 0..n {
        glasstls::internal::crypto::KeyShare::respond(
            glasstls::internal::wire::NamedGroup::X25519,
            &client_share.public,
        )
        .expect("respond");
    }
    let respond = start.elapsed().as_secs_f64() / n as f64;
    let signing = glasstls::internal::crypto::SigningKey::from_der(&leaf.key_der()).expect("key");
    let content = vec![0x20u8; 130];
    let start = Instant::now();
    for _ in 0..n {
        signing
            .sign(
                glasstls::internal::wire::SignatureScheme::ecdsa_secp256r1_sha256,
                &content,
            )
            .expect("sign");
    }
    let sign = start.elapsed().as_secs_f64() / n as f64;
    let start = Instant::now();
    for _ in 0..n {
        glasstls::internal::crypto::random_bytes::<32>().expect("random");
    }
    let random = start.elapsed().as_secs_f64() / n as f64;
    println!(
        "server: x25519 respond {:.1} µs, ECDSA sign {:.1} µs, 32 random bytes {:.2} µs",
        respond * 1e6,
        sign * 1e6,
        random * 1e6
    );
}
