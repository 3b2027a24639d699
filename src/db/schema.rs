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
        max_active_dialogs -> Integer,
        last_assigned_at -> Nullable<BigInt>,
        exports_allowed -> Bool,
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

diesel::table! {
    chats (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        public_key -> Text,
        settings -> Text,
        archived_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    visitors (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        chat_id -> BigInt,
        token_hash -> Nullable<Text>,
        external_id -> Nullable<Text>,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        attributes -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_seen_at -> BigInt,
        avatar_url -> Nullable<Text>,
    }
}

diesel::table! {
    visitor_notes (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        visitor_id -> BigInt,
        operator_id -> BigInt,
        body -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// The dialog list order, kept from `dialogs` by triggers (see the migration).
    dialog_activity (dialog_id) {
        dialog_id -> BigInt,
        workspace_id -> BigInt,
        status -> Text,
        assignee_id -> Nullable<BigInt>,
        chat_id -> BigInt,
        last_activity_at -> BigInt,
    }
}

diesel::table! {
    dialogs (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        session_id -> Text,
        chat_id -> BigInt,
        visitor_id -> BigInt,
        channel -> Text,
        status -> Text,
        assignee_id -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_activity_at -> BigInt,
        closed_at -> Nullable<BigInt>,
        closed_by -> Nullable<Text>,
        closed_by_operator_id -> Nullable<BigInt>,
        reopen_count -> Integer,
        message_count -> Integer,
        visitor_message_count -> Integer,
        operator_message_count -> Integer,
        note_count -> Integer,
        last_message_id -> Nullable<BigInt>,
        last_visitor_message_at -> Nullable<BigInt>,
        last_operator_message_id -> Nullable<BigInt>,
        last_operator_message_at -> Nullable<BigInt>,
        first_operator_reply_at -> Nullable<BigInt>,
        visitor_last_read_id -> BigInt,
        visitor_last_read_at -> Nullable<BigInt>,
        operator_last_read_id -> BigInt,
        operator_last_read_at -> Nullable<BigInt>,
        started_at -> Nullable<BigInt>,
        waiting_since -> Nullable<BigInt>,
        first_response_ms -> Nullable<BigInt>,
        response_count -> Integer,
        response_total_ms -> BigInt,
        response_max_ms -> BigInt,
        queued_at -> Nullable<BigInt>,
        queue_notified_at -> Nullable<BigInt>,
        queue_timeout_at -> Nullable<BigInt>,
        assigned_at -> Nullable<BigInt>,
        due_at -> Nullable<BigInt>,
        auto_reply_checked -> Bool,
        auto_reply_id -> Nullable<BigInt>,
        auto_reply_at -> Nullable<BigInt>,
        contact_request -> Nullable<Text>,
        offer_due_at -> Nullable<BigInt>,
        prev_started_at -> Nullable<BigInt>,
        prev_channel_started_at -> Nullable<BigInt>,
        prev_closed_at -> Nullable<BigInt>,
        prev_channel_closed_at -> Nullable<BigInt>,
        linked_closed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    auto_replies (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        body -> Text,
        any_time -> Bool,
        weekdays -> Text,
        time_ranges -> Text,
        time_zone -> Text,
        delay_secs -> Integer,
        ask_for -> Text,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        dialog_id -> BigInt,
        kind -> Text,
        author_type -> Text,
        author_id -> Nullable<BigInt>,
        channel -> Text,
        body -> Text,
        client_id -> Nullable<Text>,
        created_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        name_normalized -> Text,
        color -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    dialog_tags (dialog_id, tag_id) {
        dialog_id -> BigInt,
        tag_id -> BigInt,
        workspace_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    saved_replies (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        shortcut -> Text,
        title -> Text,
        body -> Text,
        created_by -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    page_views (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        visitor_id -> BigInt,
        dialog_id -> Nullable<BigInt>,
        url -> Text,
        title -> Nullable<Text>,
        referrer -> Nullable<Text>,
        viewed_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        position -> BigInt,
        event_type -> Text,
        dialog_id -> Nullable<BigInt>,
        visitor_id -> Nullable<BigInt>,
        audience -> Text,
        payload -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    notification_preferences (operator_id, chat_id) {
        operator_id -> BigInt,
        chat_id -> BigInt,
        workspace_id -> BigInt,
        assigned_to_me -> Bool,
        unassigned -> Bool,
        assigned_to_others -> Bool,
        in_app -> Bool,
        email -> Bool,
        push -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    response_times (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        dialog_id -> BigInt,
        chat_id -> BigInt,
        channel -> Text,
        operator_id -> Nullable<BigInt>,
        is_first -> Bool,
        waited_from -> BigInt,
        answered_at -> BigInt,
        wait_ms -> BigInt,
    }
}

diesel::table! {
    operator_presence (operator_id) {
        operator_id -> BigInt,
        workspace_id -> BigInt,
        manual_status -> Text,
        status -> Text,
        changed_at -> BigInt,
    }
}

diesel::table! {
    presence_connections (node_id, operator_id) {
        node_id -> Text,
        operator_id -> BigInt,
        workspace_id -> BigInt,
        connections -> Integer,
        seen_at -> BigInt,
    }
}

diesel::table! {
    ratings (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        dialog_id -> BigInt,
        chat_id -> BigInt,
        visitor_id -> BigInt,
        operator_id -> Nullable<BigInt>,
        scale -> Integer,
        text -> Text,
        requested_at -> BigInt,
        due_at -> BigInt,
        score -> Nullable<Integer>,
        review -> Nullable<Text>,
        rated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        url -> Text,
        description -> Text,
        event_types -> Text,
        include_notes -> Bool,
        active -> Bool,
        secret -> Text,
        log_position -> BigInt,
        consecutive_failures -> Integer,
        failing_since -> Nullable<BigInt>,
        paused_at -> Nullable<BigInt>,
        paused_reason -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    stats_rollups (workspace_id, span, chat_id, channel, operator_id, bucket) {
        workspace_id -> BigInt,
        span -> Integer,
        chat_id -> BigInt,
        channel -> Text,
        operator_id -> BigInt,
        bucket -> BigInt,
        started -> BigInt,
        unanswered -> BigInt,
        missed -> BigInt,
        replies -> BigInt,
        active -> BigInt,
        closed -> BigInt,
        started_fresh -> BigInt,
        closed_fresh -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        workspace_id -> BigInt,
        delivery_key -> Text,
        position -> BigInt,
        event_type -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    response_month_rollups (workspace_id, chat_id, channel, operator_id, month) {
        workspace_id -> BigInt,
        chat_id -> BigInt,
        channel -> Text,
        operator_id -> BigInt,
        month -> BigInt,
        waits -> Binary,
    }
}

diesel::table! {
    visitor_link_rollups (workspace_id, chat_id, channel, moment, span, period, link_day) {
        workspace_id -> BigInt,
        chat_id -> BigInt,
        channel -> Text,
        moment -> Integer,
        span -> Integer,
        period -> BigInt,
        link_day -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    visitor_gap_rollups (workspace_id, chat_id, channel, bucket, moment, gap) {
        workspace_id -> BigInt,
        chat_id -> BigInt,
        channel -> Text,
        bucket -> BigInt,
        moment -> Integer,
        gap -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    response_rollups (workspace_id, chat_id, channel, operator_id, day) {
        workspace_id -> BigInt,
        chat_id -> BigInt,
        channel -> Text,
        operator_id -> BigInt,
        day -> BigInt,
        waits -> Binary,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> BigInt,
        manual -> Bool,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        response_excerpt -> Nullable<Text>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    rating_rollups (workspace_id, chat_id, operator_id, day, scale, score) {
        workspace_id -> BigInt,
        chat_id -> BigInt,
        operator_id -> BigInt,
        day -> BigInt,
        scale -> Integer,
        score -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    stats_rollup_backfill (workspace_id) {
        workspace_id -> BigInt,
    }
}

diesel::table! {
    billing_prices (workspace_id) {
        workspace_id -> BigInt,
        currency -> Text,
        prices -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::joinable!(operators -> workspaces (workspace_id));
diesel::joinable!(auth_sessions -> operators (operator_id));
diesel::joinable!(refresh_tokens -> auth_sessions (session_id));
diesel::joinable!(api_keys -> operators (operator_id));
diesel::joinable!(dialogs -> chats (chat_id));
diesel::joinable!(dialogs -> visitors (visitor_id));
diesel::joinable!(messages -> dialogs (dialog_id));
diesel::joinable!(dialog_activity -> dialogs (dialog_id));
diesel::joinable!(dialog_tags -> dialogs (dialog_id));
diesel::joinable!(dialog_tags -> tags (tag_id));
diesel::joinable!(visitor_notes -> visitors (visitor_id));
diesel::joinable!(page_views -> visitors (visitor_id));
diesel::joinable!(response_times -> dialogs (dialog_id));
diesel::table! {
    files (id) {
        id -> Text,
        workspace_id -> BigInt,
        kind -> Text,
        storage_key -> Text,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploader_type -> Text,
        uploader_id -> BigInt,
        message_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::joinable!(ratings -> dialogs (dialog_id));
diesel::joinable!(files -> messages (message_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    workspaces,
    response_month_rollups,
    visitor_gap_rollups,
    visitor_link_rollups,
    operators,
    auth_sessions,
    refresh_tokens,
    operator_tokens,
    api_keys,
    chats,
    visitors,
    visitor_notes,
    dialogs,
    dialog_activity,
    messages,
    tags,
    dialog_tags,
    saved_replies,
    page_views,
    events,
    notification_preferences,
    operator_presence,
    presence_connections,
    response_times,
    ratings,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    auto_replies,
    stats_rollups,
    response_rollups,
    rating_rollups,
    stats_rollup_backfill,
    billing_prices,
    files,
);
