//! The bus settings as the connection needs them: `[bus]` of `amipub.toml` with the password
//! read from its environment variable and the TLS files read from disk, each failure naming the
//! setting and the file.

use amipub_domain::settings::Bus;
use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};

/// Everything needed to connect, declare and consume.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// The broker URL (`amqp://` or `amqps://`), password included when one was configured.
    pub url: String,
    /// CA bundle (PEM), client certificate (PEM) and key (PEM).
    pub tls: Option<Tls>,
    /// Our durable queue.
    pub queue: String,
    /// Its dead-letter queue.
    pub dead_letter_queue: String,
    /// Binding patterns on `amq.topic`.
    pub bindings: Vec<String>,
    /// Unacknowledged deliveries the broker may send ahead.
    pub prefetch: u16,
    /// Prefix of outgoing routing keys (`org.fedoraproject.prod.`).
    pub topic_prefix: String,
    /// The connection's name as the broker shows it.
    pub connection_name: String,
}

/// TLS material, already read.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// The CA bundle.
    pub ca: Option<String>,
    /// Client certificate and key.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("bus.{field}: {problem}")]
pub struct ConfigError {
    /// The setting.
    pub field: &'static str,
    /// What is wrong and what to do.
    pub problem: String,
}

fn read(field: &'static str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError {
        field,
        problem: format!("cannot read {path}: {e}; point {field} at a readable PEM file"),
    })
}

impl BusConfig {
    /// From `[bus]`; `env` looks up environment variables (the password).
    pub fn from_settings(
        bus: &Bus,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut url = bus.url.clone();
        if let Some(var) = &bus.password_env {
            let pw = env(var).ok_or_else(|| ConfigError {
                field: "password_env",
                problem: format!(
                    "the environment variable {var} is not set; export it or remove password_env"
                ),
            })?;
            url = with_password(&url, &pw).ok_or_else(|| ConfigError {
                field: "url",
                problem: format!(
                    "{url:?} has no user to give the password to; write amqp://USER@HOST/VHOST"
                ),
            })?;
        }
        let tls = match (&bus.ca_file, &bus.cert_file, &bus.key_file) {
            (None, None, None) => None,
            (ca, cert, key) => {
                let identity = match (cert, key) {
                    (Some(c), Some(k)) => Some((read("cert_file", c)?, read("key_file", k)?)),
                    (None, None) => None,
                    _ => {
                        return Err(ConfigError {
                            field: "cert_file",
                            problem: "cert_file and key_file go together; set both or neither"
                                .into(),
                        });
                    }
                };
                let ca =
                    match ca {
                        Some(p) => Some(String::from_utf8(read("ca_file", p)?).map_err(|_| {
                            ConfigError {
                                field: "ca_file",
                                problem: format!("{p} is not PEM text"),
                            }
                        })?),
                        None => None,
                    };
                Some(Tls { ca, identity })
            }
        };
        if tls.is_some() && !url.starts_with("amqps://") {
            return Err(ConfigError {
                field: "url",
                problem:
                    "TLS files are set but the URL is not amqps://; use amqps://HOST:5671/VHOST"
                        .into(),
            });
        }
        // A client certificate authenticates by itself (SASL EXTERNAL), as Fedora's broker wants.
        if tls.as_ref().is_some_and(|t| t.identity.is_some()) && !url.contains("auth_mechanism") {
            url.push_str(if url.contains('?') { "&" } else { "?" });
            url.push_str("auth_mechanism=external");
        }
        Ok(Self {
            url,
            tls,
            dead_letter_queue: format!("{}.dead", bus.queue),
            queue: bus.queue.clone(),
            bindings: bus.bindings.clone(),
            prefetch: bus.prefetch,
            topic_prefix: bus.topic_prefix.clone(),
            connection_name: "amipub".into(),
        })
    }

    /// The URL with any password replaced by `***` (for logs).
    pub fn safe_url(&self) -> String {
        match self.url.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    let masked = if userinfo.contains(':') { ":***" } else { "" };
                    format!("{scheme}://{user}{masked}@{host}")
                }
                None => self.url.clone(),
            },
            None => self.url.clone(),
        }
    }

    /// The TLS configuration lapin takes.
    pub fn tls_config(&self) -> OwnedTLSConfig {
        match &self.tls {
            None => OwnedTLSConfig::default(),
            Some(t) => OwnedTLSConfig {
                identity: t.identity.as_ref().map(|(pem, key)| OwnedIdentity::PKCS8 {
                    pem: pem.clone(),
                    key: key.clone(),
                }),
                cert_chain: t.ca.clone(),
            },
        }
    }
}

/// `scheme://user@host…` with `:password` after the user.
fn with_password(url: &str, password: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (user, host) = rest.split_once('@')?;
    let user = user.split(':').next().unwrap_or_default();
    // Percent-encoded (a space is %20: AMQP URLs do not read `+` as one).
    let encoded =
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC);
    Some(format!("{scheme}://{user}:{encoded}@{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus(url: &str) -> Bus {
        Bus {
            url: url.into(),
            password_env: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            queue: "amipub".into(),
            bindings: vec![],
            topic_prefix: String::new(),
            prefetch: 25,
            datagrepper_url: String::new(),
            catch_up: None,
        }
    }

    #[test]
    fn the_password_comes_from_the_environment_and_never_shows() {
        let mut b = bus("amqp://amipub@localhost:5672/%2F");
        b.password_env = Some("PW".into());
        let c = BusConfig::from_settings(&b, |_| Some("s3cr/t x".into())).unwrap();
        assert_eq!(c.url, "amqp://amipub:s3cr%2Ft%20x@localhost:5672/%2F");
        assert_eq!(c.safe_url(), "amqp://amipub:***@localhost:5672/%2F");
        assert_eq!(c.dead_letter_queue, "amipub.dead");
        let e = BusConfig::from_settings(&b, |_| None).unwrap_err();
        assert_eq!(e.field, "password_env");
        assert!(e.problem.contains("PW"), "{e}");
    }

    #[test]
    fn tls_files_need_amqps_and_both_halves_of_the_identity() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "CERT").unwrap();
        let mut b = bus("amqp://localhost/%2F");
        b.cert_file = Some(cert.display().to_string());
        let e = BusConfig::from_settings(&b, |_| None).unwrap_err();
        assert_eq!(e.field, "cert_file");
        b.key_file = Some(dir.path().join("missing.pem").display().to_string());
        let e = BusConfig::from_settings(&b, |_| None).unwrap_err();
        assert_eq!(e.field, "key_file");
        assert!(e.problem.contains("missing.pem"), "{e}");
        b.key_file = Some(cert.display().to_string());
        let e = BusConfig::from_settings(&b, |_| None).unwrap_err();
        assert_eq!(e.field, "url");
        b.url = "amqps://localhost:5671/%2F".into();
        let c = BusConfig::from_settings(&b, |_| None).unwrap();
        assert!(c.url.ends_with("?auth_mechanism=external"), "{}", c.url);
    }
}
