//! Who is asking: a bearer token (from the tokens file or the environment), a signed session
//! cookie (made at sign-in from such a token), the identity headers of a trusted reverse proxy,
//! or nobody (an anonymous reader on loopback when `open_reads = "loopback"`). Pure: the
//! caller's address and headers in, a `Caller` or a refusal out. Identity headers from any
//! address that is not a trusted proxy are ignored, never believed.

use std::net::IpAddr;

use amipub_domain::console::{ConsoleSettings, OpenReads};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};

pub use crate::caller::{Caller, Proof, Role};
use crate::keys::{Keys, digest, same};

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials, or unknown ones (401).
    Unauthenticated(String),
    /// Known, but not allowed (403).
    Forbidden(String),
}

/// One bearer token, kept as its digest.
#[derive(Clone)]
struct Token {
    name: String,
    role: Role,
    digest: [u8; 32],
}

/// The shortest token accepted.
const MIN_TOKEN_CHARS: usize = 16;

/// The access rules in force.
#[derive(Clone)]
pub struct Access {
    open_reads: OpenReads,
    tokens: Vec<Token>,
    proxies: Vec<IpAddr>,
    operator_groups: Vec<String>,
    viewer_groups: Vec<String>,
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "amipub_session";

impl Access {
    /// The rules of `[console]`, with the tokens file's text (if one is configured) and the
    /// token from the environment. A bad line of the file is an error naming the line.
    pub fn new(
        settings: &ConsoleSettings,
        tokens_file: Option<&str>,
        env_token: Option<String>,
    ) -> Result<Self, String> {
        let mut tokens = match tokens_file {
            Some(text) => parse_tokens(text)?,
            None => Vec::new(),
        };
        if let Some(secret) = env_token.filter(|t| !t.trim().is_empty()) {
            let secret = secret.trim();
            if secret.chars().count() < MIN_TOKEN_CHARS {
                return Err(format!(
                    "the token in {} is {} characters; use at least {MIN_TOKEN_CHARS} (e.g. `openssl rand -hex 24`)",
                    settings.token_env,
                    secret.chars().count()
                ));
            }
            tokens.push(Token {
                name: "token".to_owned(),
                role: Role::Operator,
                digest: digest(secret),
            });
        }
        Ok(Self {
            open_reads: settings.open_reads,
            tokens,
            proxies: settings.proxies(),
            operator_groups: settings.operator_groups.clone(),
            viewer_groups: settings.viewer_groups.clone(),
        })
    }

    /// How many tokens are known (for the start-up log line; never the tokens).
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// The holder of a bearer token, if it is known.
    pub fn by_token(&self, given: &str) -> Option<Caller> {
        let given = digest(given);
        // Every token is compared, so the time taken does not tell which one matched.
        let mut found = None;
        for t in &self.tokens {
            if same(&t.digest, &given) && found.is_none() {
                found = Some(t);
            }
        }
        found.map(|t| Caller {
            name: t.name.clone(),
            role: t.role,
            proof: Proof::Token,
        })
    }

    /// Who sends this request: `Ok(None)` when nobody is known and reads are not open to it.
    pub fn caller(
        &self,
        keys: &Keys,
        peer: IpAddr,
        headers: &HeaderMap,
        now: i64,
    ) -> Result<Option<Caller>, Refusal> {
        if let Some(given) = bearer(headers) {
            return self.by_token(given).map(Some).ok_or_else(|| {
                Refusal::Unauthenticated("the bearer token is not one the console knows".into())
            });
        }
        if let Some(caller) = cookie(headers, SESSION_COOKIE).and_then(|c| keys.session(c, now)) {
            return Ok(Some(caller));
        }
        let peer = unmapped(peer);
        if self.proxies.contains(&peer) {
            return self.proxied(headers);
        }
        // Identity headers from anyone else are ignored: only the loopback rule applies, and
        // not to a request an unlisted proxy on this machine passed on from elsewhere.
        let forwarded =
            headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
        if self.open_reads == OpenReads::Loopback && peer.is_loopback() && !forwarded {
            return Ok(Some(Caller {
                name: "anonymous".to_owned(),
                role: Role::Viewer,
                proof: Proof::Loopback,
            }));
        }
        Ok(None)
    }

    fn proxied(&self, headers: &HeaderMap) -> Result<Option<Caller>, Refusal> {
        // A proxy that appends instead of replacing would let a client's value through.
        for name in [
            "x-forwarded-user",
            "x-forwarded-email",
            "x-forwarded-groups",
        ] {
            if headers.get_all(name).iter().count() > 1 {
                return Err(Refusal::Unauthenticated(format!(
                    "{name} came more than once: the proxy must replace the identity headers, not add to them"
                )));
            }
        }
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let Some(name) = text("x-forwarded-user").or_else(|| text("x-forwarded-email")) else {
            return Ok(None);
        };
        let groups: Vec<&str> = text("x-forwarded-groups")
            .map(|g| g.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let member = |of: &[String]| groups.iter().any(|g| of.iter().any(|o| o == g));
        let role = if member(&self.operator_groups) {
            Role::Operator
        } else if self.viewer_groups.is_empty() || member(&self.viewer_groups) {
            Role::Viewer
        } else {
            return Err(Refusal::Forbidden(format!(
                "{name} is in none of the console's viewer or operator groups"
            )));
        };
        Ok(Some(Caller {
            name: name.chars().take(128).collect(),
            role,
            proof: Proof::Proxy,
        }))
    }
}

/// An IPv4 address that came as IPv6 (`::ffff:a.b.c.d`) compares as IPv4.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// One cookie's value from the `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Tokens from `<name> <role> <token>` lines; `#` starts a comment.
fn parse_tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, role, secret] = fields[..] else {
            return Err(format!(
                "line {}: expected `<name> <role> <token>` (three fields), found {}",
                i + 1,
                fields.len()
            ));
        };
        let Some(role) = Role::parse(role) else {
            return Err(format!(
                "line {}: role {role:?} is neither viewer nor operator",
                i + 1
            ));
        };
        if secret.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!(
                "line {}: the token of {name} is {} characters; use at least {MIN_TOKEN_CHARS} (e.g. `openssl rand -hex 24`)",
                i + 1,
                secret.chars().count()
            ));
        }
        tokens.push(Token {
            name: name.to_owned(),
            role,
            digest: digest(secret),
        });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests;
