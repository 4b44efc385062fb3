//! HTTPS for the sandbox: a throwaway certificate authority and a `localhost`/`127.0.0.1`
//! server certificate, both made at start. Clients trust the CA certificate
//! ([`crate::Sandbox::ca_certificate_pem`]) as an extra root, or read it from the file the
//! sandbox writes when asked ([`CaCertificateFile`]).

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Why the sandbox could not set up TLS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// Certificate generation failed.
    #[error("cannot make the sandbox certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the certificate or the configuration.
    #[error("cannot configure TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

pub(crate) struct SandboxTls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

pub(crate) fn make(extra_names: &[String]) -> Result<SandboxTls, TlsSetupError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "paygate sandbox test CA (throwaway)");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(extra_names.iter().cloned());
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(names)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "paygate sandbox");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;

    let chain = vec![
        CertificateDer::from(leaf.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(SandboxTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca_cert.pem(),
    })
}

/// Where a TLS sandbox writes its CA certificate (PEM) for other processes to trust
/// ([`crate::SandboxBuilder::ca_certificate_file`]).
///
/// The file is created exclusively with mode 0600: the sandbox never overwrites, reuses or
/// follows (as the last path component) anything that already exists at the path, a planted
/// symbolic link included. It is removed by [`crate::Sandbox::shutdown`] and when the
/// [`crate::Sandbox`] is dropped (only if it is still the file the sandbox made).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaCertificateFile {
    /// Write no file; read the PEM from [`crate::Sandbox::ca_certificate_pem`]. The default.
    #[default]
    None,
    /// `ca.pem` in a fresh private directory (mode 0700, random name
    /// `paygate-sandbox-XXXXXX`) under the system's temporary directory; both are removed on
    /// shutdown.
    PrivateTemp,
    /// Exactly this path, which must not exist yet.
    At(PathBuf),
}

/// Why the CA certificate file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot create the CA certificate file {path}: {source}", path = path.display())]
#[non_exhaustive]
pub struct CaFileError {
    /// The path (or, for [`CaCertificateFile::PrivateTemp`], the temporary directory).
    pub path: PathBuf,
    /// The operating system's error; [`io::ErrorKind::AlreadyExists`] when something (a file,
    /// a symbolic link) is already at the path.
    pub source: io::Error,
}

/// The CA file a running sandbox wrote; removes it on drop.
pub(crate) struct WrittenCaFile {
    path: PathBuf,
    /// The private directory holding the file, when the sandbox made it.
    dir: Option<tempfile::TempDir>,
    /// Device and inode of the file made, so that removal never deletes a replacement.
    id: (u64, u64),
    removed: bool,
}

impl WrittenCaFile {
    /// Writes `pem` where `location` says; `None` for [`CaCertificateFile::None`].
    pub(crate) fn write(
        location: &CaCertificateFile,
        pem: &str,
    ) -> Result<Option<Self>, CaFileError> {
        let (path, dir) = match location {
            CaCertificateFile::None => return Ok(None),
            CaCertificateFile::At(path) => (path.clone(), None),
            CaCertificateFile::PrivateTemp => {
                // tempfile's default directory mode follows the umask (0755 here): ask for 0700.
                let dir = tempfile::Builder::new()
                    .prefix("paygate-sandbox-")
                    .permissions(std::fs::Permissions::from_mode(0o700))
                    .tempdir()
                    .map_err(|source| CaFileError {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (dir.path().join("ca.pem"), Some(dir))
            }
        };
        let fail = |source| CaFileError {
            path: path.clone(),
            source,
        };
        // O_CREAT|O_EXCL: fails on anything already there, a symbolic link included.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        let mut written = WrittenCaFile {
            path: path.clone(),
            dir,
            id: (meta.dev(), meta.ino()),
            removed: false,
        };
        if let Err(source) = file
            .write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
        {
            written.remove();
            return Err(fail(source));
        }
        Ok(Some(written))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file (if it is still the one made) and the private directory. Idempotent.
    pub(crate) fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.file_type().is_file() && (m.dev(), m.ino()) == self.id);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

impl Drop for WrittenCaFile {
    fn drop(&mut self) {
        self.remove();
    }
}
