//! The console's one secret, drawn at start: it signs CSRF tokens (one per caller, so a form
//! made for one person is useless to another) and session cookies (who signed in, with which
//! role, until when). A restart draws a new key, which signs everybody out; nothing is stored.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::access::{Caller, Proof, Role};

type Signer = Hmac<Sha256>;

/// How long a session lasts, seconds.
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

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes a key of any length, so this cannot fail.
        let mut m = match Signer::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }

    /// The CSRF token of a caller's forms.
    pub fn csrf(&self, caller: &Caller) -> String {
        hex(&self.mac(&[b"csrf", caller.name.as_bytes()]))
    }

    /// Whether `given` is the caller's CSRF token.
    pub fn csrf_ok(&self, caller: &Caller, given: &str) -> bool {
        same(self.csrf(caller).as_bytes(), given.as_bytes())
    }

    /// A session cookie's value for a caller, valid until `until`.
    pub fn session_value(&self, caller: &Caller, until: i64) -> String {
        let name = hex(caller.name.as_bytes());
        let role = caller.role.name();
        let until = until.to_string();
        let mac = self.mac(&[
            b"session",
            name.as_bytes(),
            role.as_bytes(),
            until.as_bytes(),
        ]);
        format!("{name}.{role}.{until}.{}", hex(&mac))
    }

    /// The caller a session cookie names, if its signature holds and it has not run out.
    pub fn session(&self, value: &str, now: i64) -> Option<Caller> {
        let mut parts = value.split('.');
        let (name, role, until, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let want = self.mac(&[
            b"session",
            name.as_bytes(),
            role.as_bytes(),
            until.as_bytes(),
        ]);
        if parts.next().is_some() || !same(hex(&want).as_bytes(), mac.as_bytes()) {
            return None;
        }
        if until.parse::<i64>().ok()? < now {
            return None;
        }
        let role = match role {
            "viewer" => Role::Viewer,
            "operator" => Role::Operator,
            _ => return None,
        };
        Some(Caller {
            name: String::from_utf8(unhex(name)?).ok()?,
            role,
            proof: Proof::Session,
        })
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
