//! Throw-away certificate authorities and certificates (rcgen), for `glasstls demo`, the tests
//! and the benchmark. Nothing here is meant for production keys.

pub use rcgen::Error;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa2048,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
}

impl KeyKind {
    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::EcdsaP521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        }
    }
}

/// A certificate chain (end entity first) with its key, in DER and PEM.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub chain_pem: String,
    pub key_pem: String,
}

impl Leaf {
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("rcgen writes PKCS#8 PEM")
    }

    /// Writes `NAME.pem` and `NAME.key` into `dir`; returns their paths.
    pub fn write(&self, dir: &Path, name: &str) -> std::io::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.chain_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// A certificate authority that can issue leaves.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub cert: CertificateDer<'static>,
    pub cert_pem: String,
}

/// Validity in days relative to now: `(-1, 365)` is "from yesterday for a year".
pub type Validity = (i64, i64);

const DEFAULT_VALIDITY: Validity = (-1, 365);

fn params(
    names: &[&str],
    common_name: &str,
    validity: Validity,
) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    p.distinguished_name.push(DnType::CommonName, common_name);
    p.distinguished_name
        .push(DnType::OrganizationName, "glasstls throw-away PKI");
    // Whole days from today's midnight (UTC), as rcgen writes them.
    let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    let day = |offset: i64| today + time::Duration::days(offset);
    p.not_before = day(validity.0);
    p.not_after = day(validity.1);
    Ok(p)
}

impl Ca {
    pub fn new(common_name: &str) -> Result<Self, rcgen::Error> {
        let key = KeyPair::generate_for(KeyKind::EcdsaP256.algorithm())?;
        let mut p = params(&[], common_name, (-1, 3650))?;
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = p.self_signed(&key)?;
        Ok(Self {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(p, key),
        })
    }

    /// Issues a server certificate for `names` (the first is also the common name).
    pub fn issue(&self, names: &[&str], kind: KeyKind) -> Result<Leaf, rcgen::Error> {
        self.issue_with_validity(names, kind, DEFAULT_VALIDITY)
    }

    pub fn issue_with_validity(
        &self,
        names: &[&str],
        kind: KeyKind,
        validity: Validity,
    ) -> Result<Leaf, rcgen::Error> {
        self.leaf(names, KeyPair::generate_for(kind.algorithm())?, validity)
    }

    /// Issues a server certificate for a key made elsewhere (PKCS #8 PEM), which is written
    /// back as it came: OpenSSL 3.0 reads only version 1 of PKCS #8 for Ed25519, while aws-lc
    /// writes version 2.
    pub fn issue_for_key(&self, names: &[&str], key_pem: &str) -> Result<Leaf, rcgen::Error> {
        let mut leaf = self.leaf(names, KeyPair::from_pem(key_pem)?, DEFAULT_VALIDITY)?;
        leaf.key_pem = key_pem.to_string();
        Ok(leaf)
    }

    /// Issues a client certificate (client-auth extended key usage) named `common_name`.
    pub fn issue_client(&self, common_name: &str, kind: KeyKind) -> Result<Leaf, rcgen::Error> {
        let key = KeyPair::generate_for(kind.algorithm())?;
        self.leaf_for(
            &[common_name],
            key,
            DEFAULT_VALIDITY,
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }

    /// Issues a server certificate for `names` that is itself a CA (basicConstraints cA), which
    /// path validation refuses as an end entity.
    pub fn issue_ca_for(&self, names: &[&str], kind: KeyKind) -> Result<Leaf, rcgen::Error> {
        let (mut p, key) = server_params(names, kind)?;
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        self.sign(&p, &key)
    }

    fn leaf(&self, names: &[&str], key: KeyPair, validity: Validity) -> Result<Leaf, rcgen::Error> {
        self.leaf_for(names, key, validity, ExtendedKeyUsagePurpose::ServerAuth)
    }

    fn leaf_for(
        &self,
        names: &[&str],
        key: KeyPair,
        validity: Validity,
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<Leaf, rcgen::Error> {
        let mut p = params(names, names.first().copied().unwrap_or("server"), validity)?;
        p.extended_key_usages = vec![usage];
        self.sign(&p, &key)
    }

    /// The certificate `p` describes, for `key`, signed by this CA.
    fn sign(&self, p: &CertificateParams, key: &KeyPair) -> Result<Leaf, rcgen::Error> {
        let cert = p.signed_by(key, &self.issuer)?;
        Ok(Leaf {
            chain: vec![cert.der().clone()],
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A server certificate's parameters for `names` (the first is also the common name), valid
/// from yesterday for a year, and a new key of `kind`.
fn server_params(
    names: &[&str],
    kind: KeyKind,
) -> Result<(CertificateParams, KeyPair), rcgen::Error> {
    let key = KeyPair::generate_for(kind.algorithm())?;
    let mut p = params(
        names,
        names.first().copied().unwrap_or("server"),
        DEFAULT_VALIDITY,
    )?;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok((p, key))
}

/// A self-signed certificate for `names` whose subject is exactly `subject`, attribute by
/// attribute in this order ((OID arcs, UTF-8 value); rcgen keeps one value per attribute
/// type): for tests of how names are shown.
pub fn self_signed_with_subject(
    names: &[&str],
    subject: &[(&[u64], &str)],
) -> Result<Leaf, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    for (oid, value) in subject {
        p.distinguished_name.push(
            DnType::CustomDnType(oid.to_vec()),
            rcgen::DnValue::Utf8String((*value).into()),
        );
    }
    let cert = p.self_signed(&key)?;
    Ok(Leaf {
        chain: vec![cert.der().clone()],
        chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A certificate that signs itself, trusted by nobody.
pub fn self_signed(names: &[&str], kind: KeyKind) -> Result<Leaf, rcgen::Error> {
    let (p, key) = server_params(names, kind)?;
    let cert = p.self_signed(&key)?;
    Ok(Leaf {
        chain: vec![cert.der().clone()],
        chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A CA, two server certificates for `localhost` (RSA 2048 and ECDSA P-256) and a client
/// certificate, also written to a fresh temporary directory (`ca.pem`, `rsa.pem`/`rsa.key`,
/// `ecdsa.pem`/`ecdsa.key`, `client.pem`/`client.key`) for peers that read files.
pub struct Pki {
    /// Where the files are.
    pub dir: PathBuf,
    /// The CA.
    pub ca: Ca,
    /// An RSA 2048 certificate for localhost.
    pub rsa: Leaf,
    /// An ECDSA P-256 certificate for localhost.
    pub ecdsa: Leaf,
    /// An ECDSA P-256 client certificate (client-auth usage) for "glasstls test client".
    pub client: Leaf,
}

/// The directory goes with the PKI: a test run leaves nothing in the temporary directory.
impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Pki {
    /// A new PKI in a new directory, removed when the `Pki` is dropped.
    pub fn new() -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "glasstls-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let ca = Ca::new("glasstls test CA").expect("a CA");
        let rsa = ca
            .issue(&["localhost"], KeyKind::Rsa2048)
            .expect("an RSA leaf");
        let ecdsa = ca
            .issue(&["localhost"], KeyKind::EcdsaP256)
            .expect("an ECDSA leaf");
        let client = ca
            .issue_client("glasstls test client", KeyKind::EcdsaP256)
            .expect("a client leaf");
        std::fs::write(dir.join("ca.pem"), &ca.cert_pem).expect("ca.pem");
        rsa.write(&dir, "rsa").expect("rsa.pem");
        ecdsa.write(&dir, "ecdsa").expect("ecdsa.pem");
        client.write(&dir, "client").expect("client.pem");
        Self {
            dir,
            ca,
            rsa,
            ecdsa,
            client,
        }
    }

    /// The path of a file in the directory, as a string for a command line.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// A root store trusting the CA.
    pub fn roots(&self) -> glasstls::RootStore {
        let mut roots = glasstls::RootStore::empty();
        roots.add(&self.ca.cert).expect("the CA is a valid root");
        roots
    }

    /// Both localhost identities, RSA first.
    pub fn identities(&self) -> Vec<glasstls::Identity> {
        [&self.rsa, &self.ecdsa]
            .into_iter()
            .map(|leaf| {
                glasstls::Identity::new(leaf.chain.clone(), &leaf.key_der()).expect("an identity")
            })
            .collect()
    }

    /// The client certificate as an identity.
    pub fn client_identity(&self) -> glasstls::Identity {
        glasstls::Identity::new(self.client.chain.clone(), &self.client.key_der())
            .expect("an identity")
    }

    /// A client trusting the CA, with the defaults otherwise.
    pub fn client_config(&self) -> glasstls::ClientConfig {
        glasstls::ClientConfig::new(self.roots())
    }

    /// A server holding both identities, with the defaults otherwise.
    pub fn server_config(&self) -> glasstls::ServerConfig {
        glasstls::ServerConfig::new(self.identities())
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}
