//! Secrets kept in the database (a hook's signing secret) are sealed with the server's key
//! (XChaCha20-Poly1305, a random nonce each time): the database alone does not give them away,
//! and they are never logged. The key is 32 random bytes in a file readable by its owner only;
//! every node of one database uses the same file.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::{Result, StoreError};

pub struct SecretKey(XChaCha20Poly1305);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// A new random key (tests; `load_or_create` for a real one).
    pub fn generate() -> SecretKey {
        SecretKey(XChaCha20Poly1305::new(&XChaCha20Poly1305::generate_key(&mut OsRng)))
    }

    /// The key in `path` (base64 of 32 bytes), made — readable by its owner only — when absent.
    pub fn load_or_create(path: &Path) -> Result<SecretKey> {
        let bad = |why: String| StoreError::Config(format!("secret key {}: {why}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = STANDARD.decode(text.trim()).map_err(|_| bad("not base64".into()))?;
                let key = XChaCha20Poly1305::new_from_slice(&bytes)
                    .map_err(|_| bad(format!("{} bytes; a key is 32", bytes.len())))?;
                Ok(SecretKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    crate::paths::create_private_dir(dir).map_err(|e| bad(format!("cannot make its folder: {e}")))?;
                }
                let key = XChaCha20Poly1305::generate_key(&mut OsRng);
                write_private(path, STANDARD.encode(key).as_bytes())
                    .map_err(|e| bad(format!("cannot write it: {e}")))?;
                Ok(SecretKey(XChaCha20Poly1305::new(&key)))
            }
            Err(e) => Err(bad(format!("cannot read it: {e}"))),
        }
    }

    /// `plain` sealed: base64 of the nonce and the ciphertext.
    pub fn seal(&self, plain: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(self.0.encrypt(&nonce, plain).expect("sealing a short secret cannot fail"));
        STANDARD.encode(out)
    }

    /// What `seal` sealed; an error when it was sealed with another key or changed.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>> {
        let wrong = || {
            StoreError::Config("a secret in the database does not open with this secret key: was the key file replaced? Set the hook's secret again".into())
        };
        let bytes = STANDARD.decode(sealed).map_err(|_| wrong())?;
        if bytes.len() < 24 {
            return Err(wrong());
        }
        let (nonce, ct) = bytes.split_at(24);
        self.0.decrypt(XNonce::from_slice(nonce), ct).map_err(|_| wrong())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_their_key_only_and_the_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("secret.key");
        let key = SecretKey::load_or_create(&path).unwrap();
        let sealed = key.seal(b"whsec_abc");
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, key.seal(b"whsec_abc"), "a new nonce each time");
        assert_eq!(SecretKey::load_or_create(&path).unwrap().open(&sealed).unwrap(), b"whsec_abc");
        assert!(SecretKey::generate().open(&sealed).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("short.key"), "AAAA").unwrap();
        assert!(SecretKey::load_or_create(&dir.path().join("short.key")).unwrap_err().to_string().contains("32"));
    }
}
