//! The one schema both backends share. Written by hand (not printed by the diesel CLI) so that
//! it only uses portable types; keep it in step with both migration folders.

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    operators (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        email -> Text,
        email_normalized -> Text,
        display_name -> Text,
        internal_name -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        password_hash -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    auth_sessions (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        operator_id -> BigInt,
        user_agent -> Nullable<Text>,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> BigInt,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    operator_tokens (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        operator_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        operator_id -> BigInt,
        name -> Text,
        role -> Text,
        key_prefix -> Text,
        secret_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(operators -> workspaces (workspace_id));
diesel::joinable!(auth_sessions -> operators (operator_id));
diesel::joinable!(refresh_tokens -> auth_sessions (session_id));
diesel::joinable!(api_keys -> operators (operator_id));

diesel::allow_tables_to_appear_in_same_query!(
    workspaces,
    operators,
    auth_sessions,
    refresh_tokens,
    operator_tokens,
    api_keys,
);
