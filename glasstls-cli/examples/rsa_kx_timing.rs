//! Measures how long a glasstls server takes to process an RSA ClientKeyExchange, for a good
//! one and for each kind of bad one (RFC 5246 §7.4.7.1: they must be indistinguishable).
//! Trials are interleaved so that machine noise falls on all kinds alike.
//!
//! ```sh
//! cargo run --release -p glasstls-cli --example rsa_kx_timing -- 4000
//! ```

use glasstls::CipherSuite;
use glasstls::{ClientConfig, Connection, Identity, RootStore, ServerConfig, UnixTime};
use glasstls_test::pki::{Ca, KeyKind};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let ca = Ca::new("timing CA").expect("CA");
    let leaf = ca.issue(&["localhost"], KeyKind::Rsa2048).expect("leaf");
    let mut server_config = ServerConfig::new(vec![
        Identity::new(leaf.chain.clone(), &leaf.key_der()).expect("identity"),
    ]);
    server_config.common.rsa_key_exchange = true;
    let server_config = Arc::new(server_config);
    let mut roots = RootStore::empty();
    roots.add(&ca.cert).expect("root");
    let mut client_config = ClientConfig::new(roots);
    client_config.common.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
    client_config.common.rsa_key_exchange = true;
    let client = Connection::client(
        Arc::new(client_config),
        "localhost".try_into().expect("name"),
    )
    .expect("client");
    let mut client = client;
    let hello = client.take_outgoing();

    let spki = rcgen::PublicKeyData::subject_public_key_info(
        &rcgen::KeyPair::from_pem(&leaf.key_pem).expect("key"),
    );
    let encrypt = |pt: &[u8]| {
        glasstls::internal::crypto::rsa_encrypt_pre_master_secret(&spki, pt).expect("encrypt")
    };
    let mut good = vec![3u8, 3];
    good.extend([0x11; 46]);
    let mut old_version = vec![3u8, 1];
    old_version.extend([0x11; 46]);
    let kinds: Vec<(&str, Vec<u8>)> = vec![
        ("good", encrypt(&good)),
        ("bad padding", (0..256).map(|i| (i * 7 + 1) as u8).collect()),
        ("bad length (47)", encrypt(&[3; 47])),
        ("bad version", encrypt(&old_version)),
        ("short ciphertext", vec![0x42; 255]),
    ];
    let records: Vec<Vec<u8>> = kinds
        .iter()
        .map(|(_, c)| {
            let mut body = (c.len() as u16).to_be_bytes().to_vec();
            body.extend_from_slice(c);
            let mut msg = vec![16, 0, (body.len() >> 8) as u8, body.len() as u8];
            msg.extend(body);
            let mut rec = vec![22, 3, 3, (msg.len() >> 8) as u8, msg.len() as u8];
            rec.extend(msg);
            rec
        })
        .collect();

    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(trials); kinds.len()];
    for trial in 0..trials {
        // Rotate the order each round so no kind always runs first (cache, branch history).
        for i in 0..records.len() {
            let k = (trial + i) % records.len();
            let record = &records[k];
            let mut server = Connection::server(Arc::clone(&server_config)).expect("server");
            server.read_tls(&hello);
            server.process_new_packets(UnixTime::now()).expect("hello");
            let _ = server.take_outgoing();
            server.read_tls(record);
            let start = Instant::now();
            let result = server.process_new_packets(UnixTime::now());
            let elapsed = start.elapsed().as_nanos() as f64;
            assert!(
                result.is_ok() && server.outgoing_tls().is_empty(),
                "a bad ClientKeyExchange was answered"
            );
            samples[k].push(elapsed);
        }
    }
    let base = stats(&samples[0]);
    println!(
        "{trials} interleaved trials per kind, server processing of the ClientKeyExchange record:"
    );
    println!(
        "{:<18} {:>12} {:>12} {:>10} {:>9}",
        "kind", "median µs", "mean µs", "Δmedian", "Welch t"
    );
    for ((name, _), s) in kinds.iter().zip(&samples) {
        let st = stats(s);
        let t = (st.mean - base.mean)
            / (st.var / s.len() as f64 + base.var / samples[0].len() as f64).sqrt();
        println!(
            "{name:<18} {:>12.1} {:>12.1} {:>9.2}% {:>9.2}",
            st.median / 1000.0,
            st.mean / 1000.0,
            100.0 * (st.median - base.median) / base.median,
            if t.is_nan() { 0.0 } else { t }
        );
    }
}

struct Stats {
    median: f64,
    mean: f64,
    var: f64,
}

/// Median, and mean and variance of the samples below the 95th percentile (scheduler spikes
/// on a shared machine are not the server's doing).
fn stats(samples: &[f64]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let kept = &sorted[..sorted.len() * 95 / 100];
    let mean = kept.iter().sum::<f64>() / kept.len() as f64;
    let var = kept.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (kept.len() as f64 - 1.0);
    Stats { median, mean, var }
}
