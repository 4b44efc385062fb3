//! RSA keys (RSASSA-PKCS1-v1_5) over two back ends: `aws-lc-rs` (default) and RustCrypto `rsa`.

use std::fmt;
use std::sync::Arc;

use super::der::{self, PrivateFormat};
use super::pem::{self, KeyKind};
use super::{SigningKey, VerifyingKey};
use crate::{Error, KeyError, SignatureMethod};

/// The crypto library behind an RSA key.
///
/// | back end | feature | key sizes | RSA-SHA1 signing | notes |
/// |---|---|---|---|---|
/// | `AwsLcRs` | `aws-lc-rs` (default) | 2048–8192 | no (verify only) | constant-time, fast |
/// | `RustCrypto` | `rsa` | 1024–8192 | yes | pure Rust, RUSTSEC-2023-0071 |
///
/// A variant exists only when its feature is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `aws-lc-rs` (AWS-LC): constant-time, the fastest; refuses keys under 2048 bits and has no
    /// RSA-SHA1 signing (RSA-SHA1 verification works).
    #[cfg(feature = "aws-lc-rs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "aws-lc-rs")))]
    AwsLcRs,
    /// RustCrypto `rsa` 0.9, pure Rust. Signing uses the blinded path (`sign_with_rng` with the OS
    /// CSPRNG), but the crate carries RUSTSEC-2023-0071 (Marvin: a timing side channel in
    /// private-key operations that blinding does not fully close). Prefer `aws-lc-rs` for
    /// production signing; this back end exists for pure-Rust builds and for 1024-bit legacy
    /// test keys.
    #[cfg(feature = "rsa")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rsa")))]
    RustCrypto,
}

impl Default for Backend {
    /// `AwsLcRs` when the `aws-lc-rs` feature is on, otherwise `RustCrypto`.
    fn default() -> Self {
        #[cfg(feature = "aws-lc-rs")]
        {
            Backend::AwsLcRs
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            Backend::RustCrypto
        }
    }
}

impl Backend {
    /// A short name (`aws-lc-rs`, `rsa`).
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => "aws-lc-rs",
            #[cfg(feature = "rsa")]
            Backend::RustCrypto => "rsa",
        }
    }

    /// The smallest modulus this back end accepts, in bits.
    pub fn min_bits(self) -> usize {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => 2048,
            #[cfg(feature = "rsa")]
            Backend::RustCrypto => 1024,
        }
    }

    /// The largest modulus this back end accepts, in bits.
    pub fn max_bits(self) -> usize {
        8192
    }

    /// The size of the modulus `n` (big-endian bytes) if this back end accepts it.
    fn checked_bits(self, n: &[u8]) -> Result<usize, KeyError> {
        let bits = der::bit_len(n);
        if bits < self.min_bits() {
            return Err(KeyError::TooSmall {
                bits,
                min_bits: self.min_bits(),
                backend: self.name(),
            });
        }
        if bits > self.max_bits() {
            return Err(KeyError::TooLarge {
                bits,
                max_bits: self.max_bits(),
                backend: self.name(),
            });
        }
        Ok(bits)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn rejected(backend: Backend, source: impl std::error::Error + Send + Sync + 'static) -> KeyError {
    KeyError::Rejected {
        backend: backend.name(),
        source: Box::new(source),
    }
}

/// The public constructors around each key type's `load_der` (PEM through [`pem::decode`], the
/// default back end) and the accessors both key types share, written once.
macro_rules! key_loaders {
    ($kind:expr, $pem_doc:literal, $errors_doc:literal, $der_doc:literal) => {
        #[doc = $pem_doc]
        ///
        /// # Errors
        #[doc = $errors_doc]
        pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
            Self::from_pem_with(Backend::default(), pem)
        }

        /// [`from_pem`](Self::from_pem) with a chosen back end.
        ///
        /// # Errors
        /// As [`from_pem`](Self::from_pem).
        pub fn from_pem_with(backend: Backend, pem: &str) -> Result<Self, KeyError> {
            Self::from_der_with(backend, &pem::decode(pem, $kind)?)
        }

        #[doc = $der_doc]
        ///
        /// # Errors
        /// As [`from_pem`](Self::from_pem).
        pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
            Self::from_der_with(Backend::default(), der)
        }

        /// [`from_der`](Self::from_der) with a chosen back end.
        ///
        /// # Errors
        /// As [`from_pem`](Self::from_pem).
        pub fn from_der_with(backend: Backend, der: &[u8]) -> Result<Self, KeyError> {
            Self::load_der(backend, der)
        }

        /// The modulus size in bits.
        pub fn bits(&self) -> usize {
            self.bits
        }

        /// The back end holding the key.
        pub fn backend(&self) -> Backend {
            self.backend
        }
    };
}

enum PrivateInner {
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::signature::RsaKeyPair),
    #[cfg(feature = "rsa")]
    RustCrypto(Box<rsa::RsaPrivateKey>),
}

/// An RSA private key (PKCS#1 or PKCS#8, PEM or DER). As a [`SigningKey`] it signs RSA-SHA256;
/// [`with_method`](Self::with_method) gives RSA-SHA1/RSA-SHA512 signers.
///
/// Cloning is cheap (the key is shared). `Debug` shows only the back end and the size.
///
/// **Zeroization.** Every buffer this crate makes while loading (the unescaped PEM text, the DER
/// bytes) is `Zeroizing` and wiped when loading ends; no copy of the DER is kept. The PEM is
/// decoded by `rustls-pki-types` (constant-time base64 for private keys), whose working copy of
/// the base64 text is freed without being wiped, like the caller's own PEM string. The back-end key object holds the key afterwards: RustCrypto's `RsaPrivateKey` zeroizes
/// its private components on drop; AWS-LC cleanses every allocation it frees (`OPENSSL_free`
/// calls `OPENSSL_cleanse`), so its copy is wiped when the last clone is dropped. Neither
/// back end can promise anything about copies made by the OS (swap, core dumps).
#[derive(Clone)]
pub struct RsaPrivateKey {
    inner: Arc<PrivateInner>,
    backend: Backend,
    bits: usize,
    public: RsaPublicKey,
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("backend", &self.backend)
            .field("bits", &self.bits)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl RsaPrivateKey {
    key_loaders!(
        KeyKind::Private,
        "Loads a PEM private key (`RSA PRIVATE KEY` = PKCS#1 or `PRIVATE KEY` = PKCS#8) with the default back end. A one-line PEM with literal `\\n` escapes is accepted.",
        "A [`KeyError`] naming the problem: not PEM, encrypted, not RSA, a public key, truncated or corrupted, too small/large for the back end, or rejected by it.",
        "Loads a DER private key (PKCS#1 `RSAPrivateKey` or PKCS#8 `PrivateKeyInfo`) with the default back end."
    );

    fn load_der(backend: Backend, der: &[u8]) -> Result<Self, KeyError> {
        let info = der::classify_private(der)?;
        let bits = backend.checked_bits(info.n)?;
        let (inner, public_pkcs1) = match backend {
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => {
                use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
                let pair = match info.format {
                    PrivateFormat::Pkcs1 => RsaKeyPair::from_der(der),
                    PrivateFormat::Pkcs8 => RsaKeyPair::from_pkcs8(der),
                }
                .map_err(|e| rejected(backend, e))?;
                let public = pair.public_key().as_ref().to_vec();
                (PrivateInner::AwsLc(pair), public)
            }
            #[cfg(feature = "rsa")]
            Backend::RustCrypto => {
                use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
                use rsa::pkcs8::DecodePrivateKey as _;
                let key =
                    match info.format {
                        PrivateFormat::Pkcs1 => rsa::RsaPrivateKey::from_pkcs1_der(der)
                            .map_err(|e| rejected(backend, e)),
                        PrivateFormat::Pkcs8 => rsa::RsaPrivateKey::from_pkcs8_der(der)
                            .map_err(|e| rejected(backend, e)),
                    }?;
                key.validate().map_err(|e| rejected(backend, e))?;
                let public = key
                    .to_public_key()
                    .to_pkcs1_der()
                    .map_err(|e| rejected(backend, e))?
                    .into_vec();
                (PrivateInner::RustCrypto(Box::new(key)), public)
            }
        };
        Ok(RsaPrivateKey {
            inner: Arc::new(inner),
            backend,
            bits,
            public: RsaPublicKey::from_der_with(backend, &public_pkcs1)?,
        })
    }

    /// A signer for another RSA method (RSA-SHA1, RSA-SHA512, or RSA-SHA256 again) sharing this
    /// key.
    ///
    /// A non-RSA `method` (or RSA-SHA1 on the `aws-lc-rs` back end, which cannot sign it) gives a
    /// signer whose [`sign`](SigningKey::sign) returns [`KeyError::MethodNotSupported`]; use
    /// [`RsaSigner::check`] to find out early.
    pub fn with_method(&self, method: SignatureMethod) -> RsaSigner {
        RsaSigner {
            key: self.clone(),
            method,
        }
    }

    /// The matching public key (same back end).
    pub fn public_key(&self) -> RsaPublicKey {
        self.public.clone()
    }

    fn sign_with(&self, method: SignatureMethod, message: &[u8]) -> Result<Vec<u8>, Error> {
        match &*self.inner {
            #[cfg(feature = "aws-lc-rs")]
            PrivateInner::AwsLc(pair) => {
                use aws_lc_rs::signature;
                let encoding: &'static dyn signature::RsaEncoding = match method {
                    SignatureMethod::RsaSha256 => &signature::RSA_PKCS1_SHA256,
                    SignatureMethod::RsaSha512 => &signature::RSA_PKCS1_SHA512,
                    SignatureMethod::RsaSha1 => {
                        return Err(KeyError::MethodNotSupported {
                            method,
                            reason: "aws-lc-rs cannot sign RSA-SHA1; load the key with Backend::RustCrypto (feature `rsa`)",
                        }
                        .into());
                    }
                    _ => return Err(not_rsa(method)),
                };
                let mut signature = vec![0u8; pair.public_modulus_len()];
                // aws-lc-rs ignores the RNG argument; AWS-LC blinds internally.
                pair.sign(
                    encoding,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|e| Error::Signing(Box::new(e)))?;
                Ok(signature)
            }
            #[cfg(feature = "rsa")]
            PrivateInner::RustCrypto(key) => {
                use rsa::Pkcs1v15Sign;
                use sha2::Digest as _;
                let mut rng = rsa::rand_core::OsRng;
                let result = match method {
                    SignatureMethod::RsaSha256 => key.sign_with_rng(
                        &mut rng,
                        Pkcs1v15Sign::new::<sha2::Sha256>(),
                        &sha2::Sha256::digest(message),
                    ),
                    SignatureMethod::RsaSha512 => key.sign_with_rng(
                        &mut rng,
                        Pkcs1v15Sign::new::<sha2::Sha512>(),
                        &sha2::Sha512::digest(message),
                    ),
                    SignatureMethod::RsaSha1 => key.sign_with_rng(
                        &mut rng,
                        Pkcs1v15Sign::new::<sha1::Sha1>(),
                        &sha1::Sha1::digest(message),
                    ),
                    _ => return Err(not_rsa(method)),
                };
                result.map_err(|e| Error::Signing(Box::new(e)))
            }
        }
    }
}

fn not_rsa(method: SignatureMethod) -> Error {
    KeyError::MethodNotSupported {
        method,
        reason: "an RSA key signs only RSA-SHA1, RSA-SHA256 and RSA-SHA512",
    }
    .into()
}

impl SigningKey for RsaPrivateKey {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::RsaSha256
    }

    fn sign(&self, base_string: &[u8]) -> Result<Vec<u8>, Error> {
        self.sign_with(SignatureMethod::RsaSha256, base_string)
    }
}

/// An RSA private key bound to one signature method (from [`RsaPrivateKey::with_method`]).
#[derive(Clone, Debug)]
pub struct RsaSigner {
    key: RsaPrivateKey,
    method: SignatureMethod,
}

impl RsaSigner {
    /// Checks that this key and back end can sign with the chosen method.
    ///
    /// # Errors
    /// [`KeyError::MethodNotSupported`] for a non-RSA method, or RSA-SHA1 on `aws-lc-rs`.
    pub fn check(&self) -> Result<(), KeyError> {
        if !self.method.is_rsa() {
            return Err(KeyError::MethodNotSupported {
                method: self.method,
                reason: "an RSA key signs only RSA-SHA1, RSA-SHA256 and RSA-SHA512",
            });
        }
        #[cfg(feature = "aws-lc-rs")]
        if self.method == SignatureMethod::RsaSha1 && self.key.backend == Backend::AwsLcRs {
            return Err(KeyError::MethodNotSupported {
                method: self.method,
                reason: "aws-lc-rs cannot sign RSA-SHA1; load the key with Backend::RustCrypto (feature `rsa`)",
            });
        }
        Ok(())
    }

    /// The underlying key.
    pub fn key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

impl SigningKey for RsaSigner {
    fn method(&self) -> SignatureMethod {
        self.method
    }

    fn sign(&self, base_string: &[u8]) -> Result<Vec<u8>, Error> {
        self.key.sign_with(self.method, base_string)
    }
}

#[derive(Clone)]
enum PublicInner {
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(Arc<AwsLcPublic>),
    #[cfg(feature = "rsa")]
    RustCrypto(Arc<rsa::RsaPublicKey>),
}

/// An aws-lc-rs public key, parsed once at load time: verifying with a parsed key skips the DER
/// decoding and lets AWS-LC keep the key's Montgomery context (computing it costs about as much
/// as the DER decoding and a tenth of a 2048-bit verification). RSA-SHA256, the method
/// [`RsaPublicKey`] verifies, is parsed eagerly; the others on first use.
#[cfg(feature = "aws-lc-rs")]
struct AwsLcPublic {
    sha256: aws_lc_rs::signature::ParsedPublicKey,
    sha512: std::sync::OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>,
    sha1: std::sync::OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>,
}

#[cfg(feature = "aws-lc-rs")]
impl AwsLcPublic {
    fn verify(
        &self,
        pkcs1: &[u8],
        method: SignatureMethod,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        use aws_lc_rs::signature;
        let (slot, algorithm): (_, &'static signature::RsaParameters) = match method {
            SignatureMethod::RsaSha256 => {
                return self
                    .sha256
                    .verify_sig(message, signature)
                    .map_err(|_| Error::BadSignature);
            }
            SignatureMethod::RsaSha512 => (&self.sha512, &signature::RSA_PKCS1_2048_8192_SHA512),
            SignatureMethod::RsaSha1 => (
                &self.sha1,
                &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            ),
            _ => return Err(not_rsa(method)),
        };
        let result = match slot
            .get_or_init(|| signature::ParsedPublicKey::new(algorithm, pkcs1).ok())
        {
            Some(parsed) => parsed.verify_sig(message, signature),
            // The same bytes parsed for RSA-SHA256 at load time, so this is not expected; keep
            // the per-call path rather than failing.
            None => signature::UnparsedPublicKey::new(algorithm, pkcs1).verify(message, signature),
        };
        result.map_err(|_| Error::BadSignature)
    }
}

/// An RSA public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`, PEM or DER). As a
/// [`VerifyingKey`] it checks RSA-SHA256; [`with_method`](Self::with_method) gives the others.
#[derive(Clone)]
pub struct RsaPublicKey {
    inner: PublicInner,
    backend: Backend,
    bits: usize,
    /// PKCS#1 `RSAPublicKey` DER, as the back end encodes it.
    pkcs1: Arc<[u8]>,
    /// SPKI `SubjectPublicKeyInfo` DER, as the back end encodes it.
    spki: Arc<[u8]>,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("backend", &self.backend)
            .field("bits", &self.bits)
            .finish()
    }
}

impl RsaPublicKey {
    key_loaders!(
        KeyKind::Public,
        "Loads a PEM public key (`PUBLIC KEY` = SPKI, or `RSA PUBLIC KEY` = PKCS#1) with the default back end. One-line PEM with literal `\\n` escapes is accepted.",
        "A [`KeyError`] naming the problem (not PEM, a private key, not RSA, malformed, too small/large for the back end).",
        "Loads a DER public key (SPKI or PKCS#1) with the default back end."
    );

    fn load_der(backend: Backend, der: &[u8]) -> Result<Self, KeyError> {
        let info = der::classify_public(der)?;
        let bits = backend.checked_bits(info.n)?;
        let (inner, pkcs1, spki): (_, Vec<u8>, Vec<u8>) = match backend {
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => {
                use aws_lc_rs::encoding::AsDer as _;
                use aws_lc_rs::signature;
                // Reads SPKI and PKCS#1 alike.
                let key = signature::RsaSubjectPublicKey::from_der(der)
                    .map_err(|e| rejected(backend, e))?;
                let spki = key.as_der().map_err(|e| rejected(backend, e))?;
                let pkcs1 = key.as_ref();
                let sha256 =
                    signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pkcs1)
                        .map_err(|e| rejected(backend, e))?;
                let inner = PublicInner::AwsLc(Arc::new(AwsLcPublic {
                    sha256,
                    sha512: std::sync::OnceLock::new(),
                    sha1: std::sync::OnceLock::new(),
                }));
                (inner, pkcs1.to_vec(), spki.as_ref().to_vec())
            }
            #[cfg(feature = "rsa")]
            Backend::RustCrypto => {
                use rsa::pkcs1::EncodeRsaPublicKey as _;
                use rsa::pkcs8::EncodePublicKey as _;
                // From (n, e) with `new_with_max_size`: the crate's DER decoders stop at 4096 bits.
                let key = rsa::RsaPublicKey::new_with_max_size(
                    rsa::BigUint::from_bytes_be(info.n),
                    rsa::BigUint::from_bytes_be(info.e),
                    backend.max_bits(),
                )
                .map_err(|e| rejected(backend, e))?;
                let pkcs1 = key.to_pkcs1_der().map_err(|e| rejected(backend, e))?;
                let spki = key.to_public_key_der().map_err(|e| rejected(backend, e))?;
                let inner = PublicInner::RustCrypto(Arc::new(key));
                (inner, pkcs1.into_vec(), spki.into_vec())
            }
        };
        Ok(RsaPublicKey {
            inner,
            backend,
            bits,
            pkcs1: Arc::from(pkcs1),
            spki: Arc::from(spki),
        })
    }

    /// A verifier for another RSA method sharing this key. A non-RSA method gives a verifier
    /// that fails every check with [`KeyError::MethodNotSupported`].
    pub fn with_method(&self, method: SignatureMethod) -> RsaVerifier {
        RsaVerifier {
            key: self.clone(),
            method,
        }
    }

    /// The key as PKCS#1 `RSAPublicKey` DER.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        self.pkcs1.to_vec()
    }

    /// The key as SPKI (`SubjectPublicKeyInfo`) DER, the `PUBLIC KEY` PEM body.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.spki.to_vec()
    }

    /// The key as an SPKI `-----BEGIN PUBLIC KEY-----` PEM document (64-column lines).
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.to_spki_der());
        let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
        out.push_str("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.extend(chunk.iter().map(|&b| char::from(b)));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    fn verify_with(
        &self,
        method: SignatureMethod,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        match &self.inner {
            #[cfg(feature = "aws-lc-rs")]
            PublicInner::AwsLc(parsed) => parsed.verify(&self.pkcs1, method, message, signature),
            #[cfg(feature = "rsa")]
            PublicInner::RustCrypto(key) => {
                use rsa::Pkcs1v15Sign;
                use sha2::Digest as _;
                let result = match method {
                    SignatureMethod::RsaSha256 => key.verify(
                        Pkcs1v15Sign::new::<sha2::Sha256>(),
                        &sha2::Sha256::digest(message),
                        signature,
                    ),
                    SignatureMethod::RsaSha512 => key.verify(
                        Pkcs1v15Sign::new::<sha2::Sha512>(),
                        &sha2::Sha512::digest(message),
                        signature,
                    ),
                    SignatureMethod::RsaSha1 => key.verify(
                        Pkcs1v15Sign::new::<sha1::Sha1>(),
                        &sha1::Sha1::digest(message),
                        signature,
                    ),
                    _ => return Err(not_rsa(method)),
                };
                result.map_err(|_| Error::BadSignature)
            }
        }
    }
}

impl VerifyingKey for RsaPublicKey {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::RsaSha256
    }

    fn verify(&self, base_string: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.verify_with(SignatureMethod::RsaSha256, base_string, signature)
    }
}

/// An RSA public key bound to one signature method (from [`RsaPublicKey::with_method`]).
#[derive(Clone, Debug)]
pub struct RsaVerifier {
    key: RsaPublicKey,
    method: SignatureMethod,
}

impl VerifyingKey for RsaVerifier {
    fn method(&self) -> SignatureMethod {
        self.method
    }

    fn verify(&self, base_string: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.key.verify_with(self.method, base_string, signature)
    }
}
