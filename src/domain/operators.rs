//! Managing operators, and the role rules:
//! - operators manage their own profile only;
//! - admins manage operators and admins but cannot create, change or remove a super admin, nor
//!   grant the super admin role;
//! - the last active super admin of a workspace cannot be demoted, deactivated or removed.

use crate::auth::{Principal, Role, secret};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::operators::{ListFilter, NewOperator, OperatorChanges, OperatorRow, normalize_email};
use crate::store::{self, api_keys, operator_tokens, sessions};
use crate::time::{DAY_MS, now_ms};
use crate::validate::Validator;

use super::accounts::MAX_NAME_CHARS;
use super::assignment;

pub const LINK_TOKEN_PREFIX: &str = "ldi";
/// How long an invite or password-reset link stays valid.
pub const LINK_TTL_MS: i64 = 7 * DAY_MS;

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: ListFilter,
    page: PageParams,
) -> ApiResult<Page<OperatorRow>> {
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state.db.run(move |conn| Ok(store::operators::list(conn, ws, &filter, after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| vec![r.id], |r| r))
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<OperatorRow> {
    let ws = principal.workspace_id;
    state.db.run(move |conn| store::operators::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("operator"))).await
}

pub struct NewOperatorInput {
    pub email: String,
    pub display_name: String,
    pub internal_name: Option<String>,
    pub avatar_url: Option<String>,
    pub role: Role,
}

/// A one-time link token, shown once.
pub struct LinkToken {
    pub purpose: &'static str,
    pub token: String,
    pub expires_at: i64,
}

/// Invites an operator: created without a password, with a one-time link to set one.
pub async fn invite(
    state: &AppState,
    principal: &Principal,
    input: NewOperatorInput,
) -> ApiResult<(OperatorRow, LinkToken)> {
    principal.require_admin()?;
    if input.role == Role::SuperAdmin && principal.role < Role::SuperAdmin {
        return Err(ApiError::forbidden("only a super admin can create a super admin"));
    }
    let mut v = Validator::new();
    v.email("email", &input.email);
    v.text("display_name", &input.display_name, MAX_NAME_CHARS);
    v.opt_text("internal_name", input.internal_name.as_deref(), MAX_NAME_CHARS);
    v.opt_url("avatar_url", input.avatar_url.as_deref());
    v.finish()?;
    let (ws, by) = (principal.workspace_id, principal.operator_id);
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let email = input.email.trim();
            let normalized = normalize_email(email);
            if store::operators::email_taken(conn, ws, &normalized, -1)? {
                return Err(email_taken());
            }
            let operator = store::operators::insert(
                conn,
                &NewOperator {
                    workspace_id: ws,
                    email,
                    email_normalized: &normalized,
                    display_name: input.display_name.trim(),
                    internal_name: input.internal_name.as_deref().map(str::trim),
                    avatar_url: input.avatar_url.as_deref().map(str::trim),
                    role: input.role.as_str(),
                    active: true,
                    password_hash: None,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let link = issue_link(conn, &operator, operator_tokens::INVITE, by, now)?;
            Ok((operator, link))
        })
        .await
}

/// Issues a new link for an operator: an invite while no password is set, else a password
/// reset. Older unused links of the operator stop working.
pub async fn issue_password_link(state: &AppState, principal: &Principal, id: i64) -> ApiResult<LinkToken> {
    principal.require_admin()?;
    let actor = principal.clone();
    let ws = actor.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let target = find_target(conn, &actor, id)?;
            guard_admin_on_super_admin(&actor, &target)?;
            if !target.active {
                return Err(ApiError::conflict("operator_deactivated", "reactivate the operator first"));
            }
            let purpose =
                if target.password_hash.is_none() { operator_tokens::INVITE } else { operator_tokens::PASSWORD_RESET };
            issue_link(conn, &target, purpose, actor.operator_id, now)
        })
        .await
}

fn issue_link(
    conn: &mut DbConn,
    operator: &OperatorRow,
    purpose: &'static str,
    by: i64,
    now: i64,
) -> ApiResult<LinkToken> {
    operator_tokens::expire_unused(conn, operator.id, now)?;
    let token = secret::generate(LINK_TOKEN_PREFIX);
    let expires_at = now + LINK_TTL_MS;
    operator_tokens::insert(
        conn,
        operator.workspace_id,
        operator.id,
        purpose,
        &secret::hash(&token),
        Some(by),
        now,
        expires_at,
    )?;
    Ok(LinkToken { purpose, token, expires_at })
}

/// Fields anyone may change on their own profile; admins on others'.
#[derive(Default)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub internal_name: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
}

/// Fields only admins may change.
#[derive(Default)]
pub struct AdminChanges {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub max_active_dialogs: Option<i32>,
    /// Super admins only.
    pub exports_allowed: Option<bool>,
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    profile: ProfileChanges,
    admin: AdminChanges,
) -> ApiResult<OperatorRow> {
    validate_profile(&profile)?;
    if let Some(n) = admin.max_active_dialogs {
        let mut v = Validator::new();
        v.range("max_active_dialogs", i64::from(n), 0, 1000);
        v.finish()?;
    }
    let actor = principal.clone();
    let ws = actor.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let target = find_target(conn, &actor, id)?;
            let is_self = target.id == actor.operator_id;
            let touches_admin_fields = admin.role.is_some()
                || admin.active.is_some()
                || admin.max_active_dialogs.is_some()
                || admin.exports_allowed.is_some();
            if !actor.role.is_admin() && (!is_self || touches_admin_fields) {
                return Err(ApiError::forbidden("operators can change only their own profile"));
            }
            guard_admin_on_super_admin(&actor, &target)?;
            if admin.role == Some(Role::SuperAdmin) && actor.role < Role::SuperAdmin {
                return Err(ApiError::forbidden("only a super admin can grant the super admin role"));
            }
            if admin.exports_allowed.is_some() && actor.role < Role::SuperAdmin {
                return Err(ApiError::forbidden("only a super admin can change the right to export"));
            }
            let demoted = admin.role.is_some_and(|r| r != Role::SuperAdmin);
            let deactivated = admin.active == Some(false);
            if Role::from_db(&target.role) == Role::SuperAdmin && (demoted || deactivated) {
                ensure_another_super_admin(conn, &target, now)?;
            }
            let mut changes = profile_changeset(conn, &target, profile)?;
            changes.role = admin.role.map(|r| r.as_str().to_string());
            changes.active = admin.active;
            changes.max_active_dialogs = admin.max_active_dialogs;
            changes.exports_allowed = admin.exports_allowed;
            changes.updated_at = Some(now);
            let updated = store::operators::update(conn, target.workspace_id, target.id, &changes)?;
            if updated.max_active_dialogs > target.max_active_dialogs {
                assignment::assign_queued(conn, ws, now, &assignment::Avoid::new(), &mut Vec::new())?;
            }
            if deactivated && target.active {
                sessions::revoke_all_for_operator(conn, target.id, None, "deactivated", now)?;
                assignment::release_operator(conn, ws, target.id, now, &mut Vec::new())?;
            }
            Ok(updated)
        })
        .await
}

/// Removes an operator: their dialogs and messages keep pointing at them, so the row stays
/// (soft delete); the email becomes free, sessions end and their API keys are revoked.
pub async fn remove(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    principal.require_admin()?;
    let actor = principal.clone();
    let ws = actor.workspace_id;
    // Under the workspace lock: the operator's dialogs go back to the queue.
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let target = find_target(conn, &actor, id)?;
            guard_admin_on_super_admin(&actor, &target)?;
            if Role::from_db(&target.role) == Role::SuperAdmin {
                ensure_another_super_admin(conn, &target, now)?;
            }
            let changes = OperatorChanges {
                active: Some(false),
                deleted_at: Some(Some(now)),
                updated_at: Some(now),
                ..Default::default()
            };
            store::operators::update(conn, target.workspace_id, target.id, &changes)?;
            sessions::revoke_all_for_operator(conn, target.id, None, "deleted", now)?;
            api_keys::revoke_for_operator(conn, target.id, now)?;
            operator_tokens::expire_unused(conn, target.id, now)?;
            assignment::release_operator(conn, ws, target.id, now, &mut Vec::new())?;
            Ok(())
        })
        .await
}

fn find_target(conn: &mut DbConn, actor: &Principal, id: i64) -> ApiResult<OperatorRow> {
    store::operators::find(conn, actor.workspace_id, id)?.ok_or_else(|| ApiError::not_found("operator"))
}

fn guard_admin_on_super_admin(actor: &Principal, target: &OperatorRow) -> ApiResult<()> {
    if Role::from_db(&target.role) == Role::SuperAdmin && actor.role < Role::SuperAdmin {
        return Err(ApiError::forbidden("only a super admin can manage a super admin"));
    }
    Ok(())
}

/// Refuses when `target` is the last active super admin. Locks the workspace row first so two
/// super admins demoting each other at once cannot both succeed.
fn ensure_another_super_admin(conn: &mut DbConn, target: &OperatorRow, now: i64) -> ApiResult<()> {
    store::workspaces::lock(conn, target.workspace_id, now)?;
    if store::operators::count_other_super_admins(conn, target.workspace_id, target.id)? == 0 {
        return Err(ApiError::conflict("last_super_admin", "the workspace needs at least one active super admin"));
    }
    Ok(())
}

fn validate_profile(p: &ProfileChanges) -> ApiResult<()> {
    let mut v = Validator::new();
    v.opt_email("email", p.email.as_deref());
    v.opt_text("display_name", p.display_name.as_deref(), MAX_NAME_CHARS);
    if let Some(Some(name)) = &p.internal_name {
        v.text("internal_name", name, MAX_NAME_CHARS);
    }
    if let Some(Some(url)) = &p.avatar_url {
        v.url("avatar_url", url);
    }
    v.finish()
}

fn profile_changeset(conn: &mut DbConn, target: &OperatorRow, p: ProfileChanges) -> ApiResult<OperatorChanges> {
    let mut changes = OperatorChanges::default();
    if let Some(email) = p.email {
        let normalized = normalize_email(&email);
        if normalized != target.email_normalized
            && store::operators::email_taken(conn, target.workspace_id, &normalized, target.id)?
        {
            return Err(email_taken());
        }
        changes.email = Some(email.trim().to_string());
        changes.email_normalized = Some(normalized);
    }
    changes.display_name = p.display_name.map(|s| s.trim().to_string());
    changes.internal_name = p.internal_name.map(|o| o.map(|s| s.trim().to_string()));
    changes.avatar_url = p.avatar_url.map(|o| o.map(|s| s.trim().to_string()));
    Ok(changes)
}

fn email_taken() -> ApiError {
    ApiError::conflict("email_taken", "an operator with this email already exists in the workspace")
}
