//! `[console]` in `amipub.toml`: who may use the web console and the JSON API of `amipub serve`.
//! Reads without credentials are open to loopback callers only (or to nobody); everything else
//! needs a bearer token or the identity headers of a trusted reverse proxy, mapped to the
//! roles `viewer` and `operator`. Parsing and checking only; the console applies it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::spec::path::FieldPath;
use crate::validate::Findings;

/// `[console]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Who may read pages and the API without credentials: `loopback` (callers on this machine
    /// that did not come through a trusted proxy) or `nobody`.
    #[serde(default)]
    pub open_reads: OpenReads,
    /// A file of bearer tokens, one `<name> <role> <token>` per line (`#` starts a comment).
    #[serde(default)]
    pub tokens_file: Option<String>,
    /// An environment variable holding one more token, with the operator role (named `token`
    /// on timelines).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Addresses of the reverse proxies whose `X-Forwarded-User`, `X-Forwarded-Email` and
    /// `X-Forwarded-Groups` are believed; from any other address those headers are ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Groups (from `X-Forwarded-Groups`) whose members are operators.
    #[serde(default)]
    pub operator_groups: Vec<String>,
    /// Groups whose members are viewers; empty: every user the proxy vouches for is a viewer.
    #[serde(default)]
    pub viewer_groups: Vec<String>,
    /// A file holding the secret that signs sessions and CSRF tokens, the same for every
    /// worker behind one address; absent: each worker draws its own at start.
    #[serde(default)]
    pub key_file: Option<String>,
}

/// Who reads without credentials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenReads {
    /// Callers on the loopback interface.
    #[default]
    Loopback,
    /// Nobody: every request needs credentials.
    Nobody,
}

/// The default variable of the operator token.
pub const DEFAULT_TOKEN_ENV: &str = "AMIPUB_CONSOLE_TOKEN";

fn default_token_env() -> String {
    DEFAULT_TOKEN_ENV.to_owned()
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            open_reads: OpenReads::default(),
            tokens_file: None,
            token_env: default_token_env(),
            trusted_proxies: Vec::new(),
            operator_groups: Vec::new(),
            viewer_groups: Vec::new(),
            key_file: None,
        }
    }
}

impl ConsoleSettings {
    /// The trusted proxies' addresses (those that parse; `check` reports the others).
    pub fn proxies(&self) -> Vec<IpAddr> {
        self.trusted_proxies
            .iter()
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    }

    /// Adds a finding for every value that cannot work.
    pub fn check(&self, f: &mut Findings, p: &FieldPath) {
        for (i, a) in self.trusted_proxies.iter().enumerate() {
            if a.trim().parse::<IpAddr>().is_err() {
                f.error(
                    &p.key("trusted_proxies").index(i),
                    "settings.console.proxy",
                    format!("{a:?} is not an IP address"),
                    "the address the proxy's requests come from, e.g. \"127.0.0.1\" or \"::1\"",
                    "write the proxy's address (no port, no host name)",
                );
            }
        }
        if self.token_env.trim().is_empty() {
            f.error(
                &p.key("token_env"),
                "settings.console.token_env",
                "is empty",
                "the name of an environment variable",
                format!("remove it to use {DEFAULT_TOKEN_ENV}"),
            );
        }
        if !self.trusted_proxies.is_empty()
            && self.operator_groups.is_empty()
            && self.viewer_groups.is_empty()
        {
            f.warning(
                &p.key("operator_groups"),
                "settings.console.no-operators",
                "names no group: people who come through the proxy can only read",
                "the groups whose members may retry, cancel, promote and approve",
                "add operator_groups = [\"<group>\"]",
            );
        }
    }
}
