//! Signing up, signing in and staying signed in: sessions whose refresh tokens rotate, and
//! whose reuse ends the whole family.

use crate::auth::{Principal, password, secret};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::operators::{NewOperator, OperatorChanges, OperatorRow, normalize_email};
use crate::store::workspaces::WorkspaceRow;
use crate::store::{self, operator_tokens, sessions};
use crate::time::{SECOND_MS, now_ms};
use crate::validate::Validator;

pub const REFRESH_TOKEN_PREFIX: &str = "ldr";
pub const MAX_NAME_CHARS: usize = 100;

/// What a successful sign-in hands out.
pub struct Grant {
    pub access_token: String,
    pub expires_in_secs: i64,
    pub refresh_token: String,
    pub operator: OperatorRow,
    pub workspace: WorkspaceRow,
}

pub struct Signup {
    pub workspace_name: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

pub async fn signup(state: &AppState, input: Signup, user_agent: Option<String>) -> ApiResult<Grant> {
    if !state.config.signup_enabled {
        return Err(ApiError::forbidden_code("signup_disabled", "sign-up is switched off on this server"));
    }
    let mut v = Validator::new();
    v.text("workspace_name", &input.workspace_name, MAX_NAME_CHARS);
    v.email("email", &input.email);
    v.text("display_name", &input.display_name, MAX_NAME_CHARS);
    v.finish()?;
    password::validate("password", &input.password)?;
    let hash = password::hash(input.password).await?;
    let refresh_ttl_ms = refresh_ttl_ms(state);
    let (operator, workspace, session_id, refresh_token) = state
        .db
        .write(move |conn| {
            let now = now_ms();
            let (workspace, operator) = insert_workspace_with_owner(
                conn,
                input.workspace_name.trim(),
                input.email.trim(),
                input.display_name.trim(),
                &hash,
                now,
            )?;
            let (session_id, refresh) = open_session(conn, &operator, user_agent.as_deref(), now, refresh_ttl_ms)?;
            Ok((operator, workspace, session_id, refresh))
        })
        .await?;
    Ok(grant(state, operator, workspace, session_id, refresh_token))
}

/// A workspace with a unique slug derived from its name.
pub fn create_workspace(conn: &mut DbConn, name: &str, now: i64) -> ApiResult<WorkspaceRow> {
    let base = slugify(name);
    let mut slug = base.clone();
    let mut attempt = 0;
    while store::workspaces::slug_taken(conn, &slug)? {
        attempt += 1;
        if attempt > 20 {
            return Err(ApiError::internal("could not find a free workspace slug"));
        }
        let suffix: u32 = rand::random_range(1000..100_000);
        slug = format!("{base}-{suffix}");
    }
    Ok(store::workspaces::insert(conn, name, &slug, now)?)
}

/// Lower-case ASCII letters, digits and dashes; "workspace" when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(40).collect();
    if slug.is_empty() { "workspace".to_string() } else { slug }
}

pub struct Login {
    pub email: String,
    pub password: String,
    pub workspace: Option<String>,
}

pub async fn login(state: &AppState, input: Login, user_agent: Option<String>) -> ApiResult<Grant> {
    let email = normalize_email(&input.email);
    let candidates = state.db.run(move |conn| Ok(store::operators::find_by_email(conn, &email)?)).await?;
    let candidates: Vec<_> = candidates
        .into_iter()
        .filter(|(_, ws)| input.workspace.as_deref().is_none_or(|slug| ws.slug == slug))
        .collect();

    let invalid = || ApiError::unauthorized("invalid_credentials", "the email or password is wrong");
    if candidates.is_empty() {
        // Same work as a real check, so timing does not tell whether the email exists.
        password::verify(input.password, None).await;
        return Err(invalid());
    }
    let mut matched = Vec::new();
    for (operator, workspace) in candidates {
        if password::verify(input.password.clone(), operator.password_hash.clone()).await {
            matched.push((operator, workspace));
        }
    }
    let (operator, workspace) = match matched.len() {
        0 => return Err(invalid()),
        1 => matched.pop().expect("one match"),
        _ => {
            let slugs: Vec<_> = matched.iter().map(|(_, ws)| ws.slug.clone()).collect();
            return Err(ApiError::conflict(
                "workspace_required",
                format!("this email belongs to several workspaces; send `workspace` with one of: {}", slugs.join(", ")),
            ));
        }
    };
    if !operator.active {
        return Err(ApiError::forbidden_code("account_deactivated", "this account has been deactivated"));
    }
    let refresh_ttl_ms = refresh_ttl_ms(state);
    let op = operator.clone();
    let (session_id, refresh_token) =
        state.db.write(move |conn| open_session(conn, &op, user_agent.as_deref(), now_ms(), refresh_ttl_ms)).await?;
    Ok(grant(state, operator, workspace, session_id, refresh_token))
}

enum RefreshOutcome {
    Rotated(Box<(OperatorRow, WorkspaceRow, i64, String)>),
    Refused(ApiError),
}

pub async fn refresh(state: &AppState, refresh_token: String) -> ApiResult<Grant> {
    let hash = secret::hash(&refresh_token);
    let refresh_ttl_ms = refresh_ttl_ms(state);
    // A refusal that revokes the family must still commit, so it is a value, not an error.
    let outcome = state
        .db
        .write(move |conn| {
            let now = now_ms();
            let invalid = || ApiError::unauthorized("invalid_token", "the refresh token is not valid");
            let Some((token, session)) = sessions::find_refresh_token(conn, &hash)? else {
                return Ok(RefreshOutcome::Refused(invalid()));
            };
            if session.revoked_at.is_some() {
                return Ok(RefreshOutcome::Refused(ApiError::unauthorized(
                    "token_revoked",
                    "this session has ended; sign in again",
                )));
            }
            if token.used_at.is_some() || !sessions::use_refresh_token(conn, token.id, now)? {
                sessions::revoke(conn, session.id, "refresh_token_reused", now)?;
                return Ok(RefreshOutcome::Refused(ApiError::unauthorized(
                    "refresh_token_reused",
                    "this refresh token was already used; the session has been ended for safety",
                )));
            }
            if token.expires_at <= now {
                return Ok(RefreshOutcome::Refused(ApiError::unauthorized(
                    "token_expired",
                    "the refresh token has expired; sign in again",
                )));
            }
            let operator = store::operators::find(conn, session.workspace_id, session.operator_id)?;
            let Some(operator) = operator.filter(|o| o.active) else {
                sessions::revoke(conn, session.id, "operator_deactivated", now)?;
                return Ok(RefreshOutcome::Refused(ApiError::unauthorized(
                    "token_revoked",
                    "this account is no longer active",
                )));
            };
            let workspace = store::workspaces::find(conn, operator.workspace_id)?.ok_or_else(invalid)?;
            let new_token = secret::generate(REFRESH_TOKEN_PREFIX);
            sessions::insert_refresh_token(conn, session.id, &secret::hash(&new_token), now, now + refresh_ttl_ms)?;
            Ok(RefreshOutcome::Rotated(Box::new((operator, workspace, session.id, new_token))))
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated(rotated) => {
            let (operator, workspace, session_id, token) = *rotated;
            Ok(grant(state, operator, workspace, session_id, token))
        }
        RefreshOutcome::Refused(err) => Err(err),
    }
}

/// Ends the session of a refresh token; unknown tokens are ignored (logout is idempotent).
pub async fn logout_refresh_token(state: &AppState, refresh_token: String) -> ApiResult<()> {
    let hash = secret::hash(&refresh_token);
    state
        .db
        .write(move |conn| {
            if let Some((_, session)) = sessions::find_refresh_token(conn, &hash)? {
                sessions::revoke(conn, session.id, "logout", now_ms())?;
            }
            Ok(())
        })
        .await
}

pub async fn logout_session(state: &AppState, principal: &Principal) -> ApiResult<()> {
    let Some(session_id) = principal.session_id() else {
        return Err(ApiError::bad_request(
            "api_key_logout",
            "API keys do not log out; revoke them through /api/v1/api-keys",
        ));
    };
    state.db.write(move |conn| Ok(sessions::revoke(conn, session_id, "logout", now_ms())?)).await
}

/// Sets a password from an invite or password-reset link and signs the operator in.
pub async fn set_password_with_token(
    state: &AppState,
    token: String,
    new_password: String,
    user_agent: Option<String>,
) -> ApiResult<Grant> {
    password::validate("password", &new_password)?;
    let hash = password::hash(new_password).await?;
    let token_hash = secret::hash(&token);
    let refresh_ttl_ms = refresh_ttl_ms(state);
    let (operator, workspace, session_id, refresh) = state
        .db
        .write(move |conn| {
            let now = now_ms();
            let invalid = || ApiError::unauthorized("invalid_token", "the link is not valid or was already used");
            let row = operator_tokens::find_by_hash(conn, &token_hash)?.ok_or_else(invalid)?;
            if row.used_at.is_some() {
                return Err(invalid());
            }
            if row.expires_at <= now {
                return Err(ApiError::unauthorized(
                    "token_expired",
                    "the link has expired; ask an admin for a new one",
                ));
            }
            let operator = store::operators::find(conn, row.workspace_id, row.operator_id)?.ok_or_else(invalid)?;
            if !operator.active {
                return Err(ApiError::forbidden_code("account_deactivated", "this account has been deactivated"));
            }
            if !operator_tokens::consume(conn, row.id, now)? {
                return Err(invalid());
            }
            // A reset ends every existing session: whoever knew the old password is out.
            sessions::revoke_all_for_operator(conn, operator.id, None, "password_changed", now)?;
            let operator = set_password_hash(conn, &operator, hash, now)?;
            let workspace = store::workspaces::find(conn, operator.workspace_id)?.ok_or_else(invalid)?;
            let (session_id, refresh) = open_session(conn, &operator, user_agent.as_deref(), now, refresh_ttl_ms)?;
            Ok((operator, workspace, session_id, refresh))
        })
        .await?;
    Ok(grant(state, operator, workspace, session_id, refresh))
}

/// Changes the caller's own password; other sessions end, the current one stays.
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    current: String,
    new_password: String,
) -> ApiResult<()> {
    password::validate("new_password", &new_password)?;
    let (ws, id) = (principal.workspace_id, principal.operator_id);
    let operator = state
        .db
        .run(move |conn| store::operators::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("operator")))
        .await?;
    if !password::verify(current, operator.password_hash.clone()).await {
        return Err(ApiError::invalid_field("current_password", "incorrect", "the current password is wrong"));
    }
    let hash = password::hash(new_password).await?;
    let keep = principal.session_id();
    state
        .db
        .write(move |conn| {
            let now = now_ms();
            set_password_hash(conn, &operator, hash, now)?;
            sessions::revoke_all_for_operator(conn, operator.id, keep, "password_changed", now)?;
            Ok(())
        })
        .await
}

fn set_password_hash(conn: &mut DbConn, operator: &OperatorRow, hash: String, now: i64) -> ApiResult<OperatorRow> {
    let changes = OperatorChanges { password_hash: Some(Some(hash)), updated_at: Some(now), ..Default::default() };
    Ok(store::operators::update(conn, operator.workspace_id, operator.id, &changes)?)
}

/// A new session with its first refresh token.
fn open_session(
    conn: &mut DbConn,
    operator: &OperatorRow,
    user_agent: Option<&str>,
    now: i64,
    ttl_ms: i64,
) -> ApiResult<(i64, String)> {
    let user_agent = user_agent.map(|ua| ua.chars().take(300).collect::<String>());
    let session_id = sessions::create(conn, operator.workspace_id, operator.id, user_agent.as_deref(), now)?;
    let token = secret::generate(REFRESH_TOKEN_PREFIX);
    sessions::insert_refresh_token(conn, session_id, &secret::hash(&token), now, now + ttl_ms)?;
    Ok((session_id, token))
}

fn grant(
    state: &AppState,
    operator: OperatorRow,
    workspace: WorkspaceRow,
    session_id: i64,
    refresh_token: String,
) -> Grant {
    let now_secs = now_ms() / SECOND_MS;
    Grant {
        access_token: state.jwt.issue(operator.id, operator.workspace_id, session_id, now_secs),
        expires_in_secs: state.jwt.access_ttl_secs,
        refresh_token,
        operator,
        workspace,
    }
}

fn refresh_ttl_ms(state: &AppState) -> i64 {
    state.config.refresh_token_ttl_secs as i64 * SECOND_MS
}

/// A workspace and its first super admin (sign-up and the `create-workspace` command).
/// Runs in the caller's transaction.
pub fn insert_workspace_with_owner(
    conn: &mut DbConn,
    workspace_name: &str,
    email: &str,
    display_name: &str,
    password_hash: &str,
    now: i64,
) -> ApiResult<(WorkspaceRow, OperatorRow)> {
    let workspace = create_workspace(conn, workspace_name, now)?;
    let operator = store::operators::insert(
        conn,
        &NewOperator {
            workspace_id: workspace.id,
            email,
            email_normalized: &normalize_email(email),
            display_name,
            internal_name: None,
            avatar_url: None,
            role: "super_admin",
            active: true,
            password_hash: Some(password_hash),
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok((workspace, operator))
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slugify("Acme Support  Team!"), "acme-support-team");
        assert_eq!(super::slugify("Поддержка"), "workspace");
        assert_eq!(super::slugify("--x--"), "x");
    }
}
