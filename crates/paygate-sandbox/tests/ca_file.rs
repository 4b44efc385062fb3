//! The CA certificate file of a TLS sandbox: private, exclusive, and gone after shutdown.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use paygate_sandbox::{CaCertificateFile, Sandbox, StartError};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_private_temp_file_is_0600_in_a_0700_directory_and_removed_on_shutdown() {
    let sandbox = Sandbox::builder()
        .tls(true)
        .ca_certificate_file(CaCertificateFile::PrivateTemp)
        .start()
        .await
        .unwrap();
    let file = sandbox.ca_certificate_file().unwrap().to_owned();
    let dir = file.parent().unwrap().to_owned();
    assert_eq!(mode(&file), 0o600, "{}", file.display());
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    assert!(
        dir.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("paygate-sandbox-")
    );
    let pem = std::fs::read_to_string(&file).unwrap();
    assert_eq!(Some(pem.as_str()), sandbox.ca_certificate_pem());
    sandbox.shutdown().await;
    assert!(!file.exists(), "file left behind");
    assert!(!dir.exists(), "directory left behind");
}

#[tokio::test]
async fn a_user_path_is_created_0600_and_removed_when_the_sandbox_is_dropped() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("sandbox-ca.pem");
    let sandbox = Sandbox::builder()
        .tls(true)
        .ca_certificate_file(CaCertificateFile::At(path.clone()))
        .start()
        .await
        .unwrap();
    assert_eq!(sandbox.ca_certificate_file(), Some(path.as_path()));
    assert_eq!(mode(&path), 0o600);
    drop(sandbox);
    assert!(!path.exists());
}

#[tokio::test]
async fn a_planted_symlink_or_file_at_the_user_path_is_refused_and_left_alone() {
    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("victim");
    std::fs::write(&target, "precious").unwrap();
    let link = scratch.path().join("ca.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = scratch.path().join("dangling.pem");
    std::os::unix::fs::symlink(scratch.path().join("nowhere"), &dangling).unwrap();
    let planted = scratch.path().join("planted.pem");
    std::fs::write(&planted, "attacker's CA").unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();

    for path in [&link, &dangling, &planted] {
        let err = Sandbox::builder()
            .tls(true)
            .ca_certificate_file(CaCertificateFile::At(path.clone()))
            .start()
            .await
            .unwrap_err();
        match err {
            StartError::CaFile(e) => {
                assert_eq!(e.source.kind(), std::io::ErrorKind::AlreadyExists);
                assert_eq!(&e.path, path);
            }
            other => panic!("{}: {other}", path.display()),
        }
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    assert!(!scratch.path().join("nowhere").exists());
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "attacker's CA");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[tokio::test]
async fn no_file_unless_asked_or_without_tls() {
    let sandbox = Sandbox::builder().tls(true).start().await.unwrap();
    assert!(sandbox.ca_certificate_file().is_none());
    assert!(sandbox.ca_certificate_pem().is_some());
    let plain = Sandbox::builder()
        .ca_certificate_file(CaCertificateFile::PrivateTemp)
        .start()
        .await
        .unwrap();
    assert!(plain.ca_certificate_file().is_none());
}
