//! Outbound HTTP(S) GETs of `amipub serve` and `amipub catch-up`: a stream's metadata, pages of
//! datagrepper. One small client on the hyper stack the AWS SDK already builds (rustls with the
//! system's roots), with a timeout and a size cap. Whether a failure may clear decides what the
//! caller does: a delivery goes back to the broker, a catch-up stops and says so.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a GET failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The server answered, but not with 200: 4xx will not clear by retrying.
    #[error("GET {url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The body is larger than the caller reads: asking again gives the same.
    #[error("GET {url} answered more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// No answer (DNS, connection, TLS, timeout, a body cut short).
    #[error("GET {url} failed: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// What happened.
        detail: String,
    },
}

impl FetchError {
    /// Whether asking again later may succeed (no answer, or a 5xx or 429). Redirects are not
    /// followed: a 3xx is an answer that will not change.
    pub fn may_clear(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            FetchError::Transport { .. } => true,
            FetchError::TooLarge { .. } => false,
        }
    }
}

/// GETs `url` and returns its body, at most `limit` bytes.
pub async fn get(url: &str, limit: usize) -> Result<Vec<u8>, FetchError> {
    let transport = |detail: String| FetchError::Transport {
        url: url.to_owned(),
        detail,
    };
    let uri: http::Uri = url.parse().map_err(|e| transport(format!("{e}")))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| transport(format!("no TLS roots: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let request = http::Request::get(uri)
        .header("accept", "application/json")
        .header("user-agent", concat!("amipub/", env!("CARGO_PKG_VERSION")))
        .body(Empty::new())
        .map_err(|e| transport(e.to_string()))?;
    let work = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| transport(format!("{e:#}")))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(
                |e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                    Some(_) => FetchError::TooLarge {
                        url: url.to_owned(),
                        limit,
                    },
                    None => transport(format!("reading the body: {e}")),
                },
            )?;
        Ok(body.to_bytes().to_vec())
    };
    tokio::time::timeout(TIMEOUT, work)
        .await
        .map_err(|_| transport(format!("no answer within {} s", TIMEOUT.as_secs())))?
}
