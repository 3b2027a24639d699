//! Sends one webhook request: signs the body, posts it with a timeout, and reports the status,
//! the latency and the first KiB of the answer. Redirects are not followed (a 3xx is a failure),
//! and with private targets disallowed no request reaches a loopback, private or link-local
//! address, whether named by the URL or by what its host name resolves to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::WebhookSettings;

/// Longest part of an answer kept in the attempt log.
pub const EXCERPT_BYTES: usize = 1024;
pub const SIGNATURE_HEADER: &str = "Livedesk-Signature";
pub const EVENT_HEADER: &str = "Livedesk-Event";
pub const DELIVERY_HEADER: &str = "Livedesk-Delivery";

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status_code: Option<u16>,
    pub latency: Duration,
    pub excerpt: Option<String>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> Result<Self, String> {
        let timeout = Duration::from_secs(settings.timeout_secs);
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("livedesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(4);
        if !settings.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder.build().map_err(|e| format!("webhook HTTP client: {e}"))?;
        Ok(Self { client, allow_private: settings.allow_private })
    }

    /// Posts `body` to `url`, signed with `secret`.
    pub async fn send(&self, url: &str, secret: &str, event_type: &str, delivery_key: &str, body: &str) -> Outcome {
        let started = Instant::now();
        let failed = |error: String| Outcome {
            status_code: None,
            latency: started.elapsed(),
            excerpt: None,
            error: Some(error),
        };
        if !self.allow_private && literal_ip(url).is_some_and(|ip| !is_public(ip)) {
            return failed("the URL points at a private address, which this server does not call".into());
        }
        let timestamp = chrono::Utc::now().timestamp();
        let request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, timestamp, body))
            .header(EVENT_HEADER, event_type)
            .header(DELIVERY_HEADER, delivery_key)
            .body(body.to_string());
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return failed(describe(&e)),
        };
        let status = response.status().as_u16();
        let (excerpt, read_error) = read_excerpt(response).await;
        let error = match read_error {
            Some(e) if (200..300).contains(&status) => Some(e),
            _ if !(200..300).contains(&status) => Some(format!("the receiver answered {status}")),
            _ => None,
        };
        Outcome { status_code: Some(status), latency: started.elapsed(), excerpt, error }
    }
}

/// Why a request for an answer gave none.
#[derive(Debug, Clone)]
pub struct AskFailure {
    pub timed_out: bool,
    pub detail: String,
}

impl Sender {
    /// Posts `body` to `url` (signed when a secret is given) and returns up to `limit` bytes of
    /// a 2xx answer; everything, the answer included, within `timeout`.
    #[allow(clippy::too_many_arguments)]
    pub async fn ask(
        &self,
        url: &str,
        secret: Option<&str>,
        event_type: &str,
        key: &str,
        body: &str,
        timeout: Duration,
        limit: usize,
    ) -> Result<Vec<u8>, AskFailure> {
        let failed = |timed_out: bool, detail: String| AskFailure { timed_out, detail };
        if !self.allow_private && literal_ip(url).is_some_and(|ip| !is_public(ip)) {
            return Err(failed(false, "the URL points at a private address, which this server does not call".into()));
        }
        let mut request = self
            .client
            .post(url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event_type)
            .header(DELIVERY_HEADER, key)
            .body(body.to_string());
        if let Some(secret) = secret {
            request = request.header(SIGNATURE_HEADER, signature(secret, chrono::Utc::now().timestamp(), body));
        }
        let response = request.send().await.map_err(|e| failed(e.is_timeout(), describe(&e)))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(failed(false, format!("the service answered {status}")));
        }
        let mut stream = response.bytes_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| failed(e.is_timeout(), describe(&e)))?;
            bytes.extend_from_slice(&chunk);
            if bytes.len() > limit {
                return Err(failed(false, format!("the answer is longer than {limit} bytes")));
            }
        }
        Ok(bytes)
    }
}

/// The first [`EXCERPT_BYTES`] of the answer (lossy UTF-8), reading no further.
async fn read_excerpt(response: reqwest::Response) -> (Option<String>, Option<String>) {
    let mut stream = response.bytes_stream();
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
            Some(Err(e)) => return (excerpt(&bytes), Some(describe(&e))),
            None => break,
        }
    }
    bytes.truncate(EXCERPT_BYTES);
    (excerpt(&bytes), None)
}

fn excerpt(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    // A cut in the middle of a character leaves a replacement character; keep it within 1 KiB.
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_string())
}

/// A failure in words, without the URL (it may carry credentials).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "could not read the answer"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() { kind.to_string() } else { format!("{kind}: {cause}") }
}

fn literal_ip(url: &str) -> Option<IpAddr> {
    let host = reqwest::Url::parse(url).ok()?.host_str()?.trim_matches(['[', ']']).to_string();
    host.parse().ok()
}

/// Whether an address is on the public internet (not loopback, private, link-local, ...).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Resolves host names to public addresses only, so a name cannot lead to an internal host.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_dot_body() {
        // From: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
