//! The console's one secret, drawn at start: it signs CSRF tokens (one per caller, so a form
//! made for one person is useless to another) and session cookies (who signed in, with which
//! role, until when). A restart draws a new key, which signs everybody out; nothing is stored.
//! A MAC that cannot be made counts as a mismatch: every check fails closed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::caller::{Caller, Proof, Role};

type Signer = Hmac<Sha256>;

/// The shortest shared secret accepted.
pub const MIN_SECRET_CHARS: usize = 32;

/// How long a session lasts, seconds (wall-clock time).
pub const SESSION_SECS: i64 = 12 * 3600;

/// The process's signing key.
#[derive(Clone)]
pub struct Keys {
    key: [u8; 32],
}

impl Keys {
    /// A fresh random key.
    pub fn random() -> Result<Self, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| format!("no randomness for the console's key: {e}"))?;
        Ok(Self { key })
    }

    /// A key derived from a shared secret (at least `MIN_SECRET_CHARS` characters), so that
    /// every worker behind one address signs alike.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(format!(
                "the key file holds {} characters; use at least {MIN_SECRET_CHARS} (e.g. `openssl rand -hex 32`)",
                secret.chars().count()
            ));
        }
        Ok(Self {
            key: digest(secret),
        })
    }

    /// The MAC of length-prefixed parts, in hex; `None` when no signer could be made (HMAC
    /// takes keys of any length, so never).
    fn mac(&self, parts: &[&[u8]]) -> Option<String> {
        let mut m = Signer::new_from_slice(&self.key).ok()?;
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        Some(hex(&m.finalize().into_bytes()))
    }

    /// A caller's CSRF MAC: over who, with which role, proved how, so that a viewer's token is
    /// never the token of an operator of the same name.
    fn csrf_mac(&self, caller: &Caller) -> Option<String> {
        let proof = format!("{:?}", caller.proof);
        let role = caller.role.name();
        self.mac(&[
            b"csrf",
            caller.name.as_bytes(),
            role.as_bytes(),
            proof.as_bytes(),
        ])
    }

    /// The CSRF token of a caller's forms.
    pub fn csrf(&self, caller: &Caller) -> String {
        self.csrf_mac(caller).unwrap_or_default()
    }

    /// Whether `given` is the caller's CSRF token.
    pub fn csrf_ok(&self, caller: &Caller, given: &str) -> bool {
        self.csrf_mac(caller)
            .is_some_and(|want| same(want.as_bytes(), given.as_bytes()))
    }

    fn session_mac(&self, name: &str, role: &str, until: &str) -> Option<String> {
        self.mac(&[
            b"session",
            name.as_bytes(),
            role.as_bytes(),
            until.as_bytes(),
        ])
    }

    /// A session cookie's value for a caller, valid until `until` (epoch seconds).
    pub fn session_value(&self, caller: &Caller, until: i64) -> String {
        let name = hex(caller.name.as_bytes());
        let role = caller.role.name();
        let until = until.to_string();
        let mac = self.session_mac(&name, role, &until).unwrap_or_default();
        format!("{name}.{role}.{until}.{mac}")
    }

    /// The caller a session cookie names, if its signature holds and it has not run out.
    pub fn session(&self, value: &str, now: i64) -> Option<Caller> {
        let mut parts = value.split('.');
        let (name, role, until, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let want = self.session_mac(name, role, until)?;
        if parts.next().is_some() || !same(want.as_bytes(), mac.as_bytes()) {
            return None;
        }
        if until.parse::<i64>().ok()? < now {
            return None;
        }
        Some(Caller {
            name: String::from_utf8(unhex(name)?).ok()?,
            role: Role::parse(role)?,
            proof: Proof::Session,
        })
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The SHA-256 digest of a secret: secrets are compared by digest, so every comparison takes
/// the same time whatever their lengths.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
