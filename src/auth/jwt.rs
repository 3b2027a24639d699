//! Short-lived access tokens: HS256 JWTs naming the operator, workspace and session.

use std::path::Path;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Operator id (a string, as the JWT spec wants `sub`).
    pub sub: String,
    /// Workspace id.
    pub wid: i64,
    /// Session (refresh-token family) id; revoking the session ends the token early.
    pub sid: i64,
    pub iat: i64,
    pub exp: i64,
    /// Token kind, so no other JWT signed with the same key passes as an access token.
    pub typ: String,
}

impl AccessClaims {
    pub fn operator_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

const ACCESS: &str = "access";

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs: access_ttl_secs as i64,
        }
    }

    pub fn issue(&self, operator_id: i64, workspace_id: i64, session_id: i64, now_secs: i64) -> String {
        let claims = AccessClaims {
            sub: operator_id.to_string(),
            wid: workspace_id,
            sid: session_id,
            iat: now_secs,
            exp: now_secs + self.access_ttl_secs,
            typ: ACCESS.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        ApiError::unauthorized("token_expired", "the access token has expired; refresh it")
                    }
                    _ => ApiError::unauthorized("invalid_token", "the access token is not valid"),
                }
            })?;
        if data.claims.typ != ACCESS || data.claims.operator_id().is_none() {
            return Err(ApiError::unauthorized("invalid_token", "the access token is not valid"));
        }
        Ok(data.claims)
    }
}

/// The configured secret, or the one kept in `<data dir>/jwt_secret`, generated on first start
/// with mode 0600 so restarts keep sessions valid.
pub fn load_or_create_secret(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, String> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt_secret");
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 32 => return Ok(existing.trim().as_bytes().to_vec()),
        Ok(_) => return Err(format!("{} is shorter than 32 characters", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create data folder {}: {e}", data_dir.display()))?;
    let secret = hex::encode(super::secret::random_bytes::<32>());
    write_private(&path, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // create_new: two processes starting at once must not overwrite each other's secret.
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let now = chrono::Utc::now().timestamp();
        let token = keys.issue(7, 3, 11, now);
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.operator_id(), claims.wid, claims.sid), (Some(7), 3, 11));

        let other = JwtKeys::new(b"another-secret-another-secret-xx", 60);
        assert_eq!(other.verify(&token).unwrap_err().code(), "invalid_token");

        let expired = keys.issue(7, 3, 11, now - 3600);
        assert_eq!(keys.verify(&expired).unwrap_err().code(), "token_expired");
    }

    #[test]
    fn secret_file_is_created_once_with_private_mode() {
        let dir = std::env::temp_dir().join(format!("livedesk-jwt-{}", uuid::Uuid::new_v4()));
        let first = load_or_create_secret(None, &dir).unwrap();
        let second = load_or_create_secret(None, &dir).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt_secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
