//! Every setting of a chat widget, with its default. Stored as JSON on the chat; changed with a
//! JSON merge patch (RFC 7386) and validated as a whole.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::channel::Channel;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::validate::Validator;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChatSettings {
    /// Shown to visitors who start a dialog themselves.
    #[schema(max_length = 1000)]
    pub greeting: String,
    /// Label of the collapsed widget.
    #[schema(max_length = 100)]
    pub collapsed_label: String,
    pub hide_collapsed_label: bool,
    pub position: WidgetPosition,
    /// Name shown on automatic messages.
    #[schema(max_length = 100)]
    pub default_sender_name: String,
    pub colors: ChatColors,
    pub avatars: ChatAvatars,
    pub display_mode: DisplayMode,
    /// Show "powered by livedesk" in the widget.
    pub show_powered_by: bool,
    /// Whether the bot answers the visitor's first message with `first_message_reply`.
    pub reply_to_first_message: bool,
    #[schema(max_length = 2000)]
    pub first_message_reply: String,
    #[schema(max_length = 2048)]
    pub knowledge_base_url: Option<String>,
    /// Buttons next to the widget that open the chat in a messenger (at most 20).
    #[schema(max_items = 20)]
    pub messenger_links: Vec<MessengerLink>,
    /// Pages (URL prefixes, up to 2048 characters each) where the widget stays hidden (at most 50).
    #[schema(max_items = 50)]
    pub hidden_on_urls: Vec<String>,
    /// Target for the first operator response, seconds (used in reports).
    #[schema(minimum = 1, maximum = 604800)]
    pub sla_first_response_secs: i64,
    /// Target for each later operator response, seconds (used in reports).
    #[schema(minimum = 1, maximum = 604800)]
    pub sla_next_response_secs: i64,
    /// A visitor message within this time after a close reopens the dialog; later it starts a
    /// new dialog.
    #[schema(minimum = 0, maximum = 2592000)]
    pub reopen_timeout_secs: i64,
    /// An assigned dialog with no operator reply for this long goes back to the queue (0: never).
    #[schema(minimum = 0, maximum = 86400)]
    pub operator_idle_secs: i64,
    /// A dialog with no visitor or operator message for this long closes by itself, counted as
    /// closed by `system` (0: never).
    #[schema(minimum = 0, maximum = 2592000)]
    pub auto_close_secs: i64,
    /// Who gets a new dialog.
    pub assignment: AssignmentPolicy,
    /// An external web service that picks the operator for each dialog entering the queue of
    /// a chat with an automatic `assignment`; the policy decides when it does not (`null`: no
    /// service).
    pub assignment_service: Option<AssignmentService>,
    pub queue: QueueSettings,
    pub rating: RatingSettings,
    pub offline: OfflineSettings,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            greeting: "Hi! How can we help you?".into(),
            collapsed_label: "Chat with us".into(),
            hide_collapsed_label: false,
            position: WidgetPosition::BottomRight,
            default_sender_name: "Support".into(),
            colors: ChatColors::default(),
            avatars: ChatAvatars::default(),
            display_mode: DisplayMode::Always,
            show_powered_by: true,
            reply_to_first_message: false,
            first_message_reply: "Thanks for your message! An operator will answer shortly.".into(),
            knowledge_base_url: None,
            messenger_links: Vec::new(),
            hidden_on_urls: Vec::new(),
            sla_first_response_secs: 60,
            sla_next_response_secs: 120,
            reopen_timeout_secs: 3600,
            operator_idle_secs: 0,
            auto_close_secs: 0,
            assignment: AssignmentPolicy::Manual,
            assignment_service: None,
            queue: QueueSettings::default(),
            rating: RatingSettings::default(),
            offline: OfflineSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WidgetPosition {
    BottomRight,
    BottomLeft,
    TopRight,
    TopLeft,
}

/// How new dialogs find an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentPolicy {
    /// Nobody is assigned; the first operator to reply takes the dialog.
    Manual,
    /// Online operators under their capacity take turns (the one assigned longest ago first).
    RoundRobin,
    /// The online operator with the fewest active dialogs, under their capacity.
    LeastBusy,
}

impl AssignmentPolicy {
    pub fn is_automatic(self) -> bool {
        self != AssignmentPolicy::Manual
    }
}

/// Where livedesk offers dialogs for assignment: it POSTs the dialog, the visitor and the
/// operators who can take it, and applies the `operator_id` the answer names (see README).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentService {
    /// http:// or https:// URL of the service.
    #[schema(max_length = 2048)]
    pub url: String,
    /// How long to wait for the answer, milliseconds; later the chat's policy decides.
    #[serde(default = "AssignmentService::default_timeout_ms")]
    #[schema(minimum = 100, maximum = 10000, default = 3000)]
    pub timeout_ms: i64,
    /// Signs each request (`Livedesk-Signature`, as webhooks are signed). Write-only: chats
    /// are always shown with `null` here.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
}

impl AssignmentService {
    pub const DEFAULT_TIMEOUT_MS: i64 = 3000;
    pub const MAX_TIMEOUT_MS: i64 = 10_000;

    fn default_timeout_ms() -> i64 {
        Self::DEFAULT_TIMEOUT_MS
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisplayMode {
    /// Always visible.
    Always,
    /// Only while the visitor has a dialog.
    WithDialog,
    /// Only when a new message arrives.
    OnNewMessage,
}

/// Colours as HEX (`#1a73e8`, `#1a73e8cc`), `rgb()/rgba()` or `hsl()/hsla()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChatColors {
    #[schema(max_length = 64)]
    pub bot: String,
    #[schema(max_length = 64)]
    pub operator: String,
    #[schema(max_length = 64)]
    pub visitor: String,
    #[schema(max_length = 64)]
    pub buttons: String,
    #[schema(max_length = 64)]
    pub button_text: String,
}

impl Default for ChatColors {
    fn default() -> Self {
        Self {
            bot: "#6b7280".into(),
            operator: "#1a73e8".into(),
            visitor: "#f1f3f4".into(),
            buttons: "#1a73e8".into(),
            button_text: "#ffffff".into(),
        }
    }
}

/// Avatar image URLs; uploads (jpeg/png up to 5 MB) fill them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChatAvatars {
    /// Shown on the collapsed widget before any operator has answered.
    #[schema(max_length = 2048)]
    pub chat: Option<String>,
    #[schema(max_length = 2048)]
    pub bot: Option<String>,
    #[schema(max_length = 2048)]
    pub operator: Option<String>,
    #[schema(max_length = 2048)]
    pub visitor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessengerLink {
    pub messenger: Channel,
    #[schema(max_length = 2048)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// Longest a visitor waits in the queue for an operator, seconds (0: no limit). After it
    /// the dialog leaves the queue (it stays open for any operator to answer) and the visitor
    /// gets the offline text.
    #[schema(minimum = 0, maximum = 86400)]
    pub max_wait_secs: i64,
    /// How often the visitor is told their place in the queue, minutes (0: never).
    #[schema(minimum = 0, maximum = 1440)]
    pub notify_interval_mins: i64,
    /// `{position}` is replaced by the visitor's place in the queue.
    #[schema(max_length = 1000)]
    pub notify_text: String,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            max_wait_secs: 600,
            notify_interval_mins: 2,
            notify_text: "You are number {position} in the queue. An operator will be with you soon.".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RatingSettings {
    /// Ask the visitor to rate the dialog when it closes.
    pub enabled: bool,
    /// Seconds after the close before the request is shown.
    #[schema(minimum = 0, maximum = 86400)]
    pub delay_secs: i64,
    /// Points on the scale: 2, 5 or 10.
    #[schema(example = 5, minimum = 2, maximum = 10)]
    pub scale: i64,
    #[schema(max_length = 1000)]
    pub text: String,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self { enabled: true, delay_secs: 0, scale: 5, text: "How would you rate this conversation?".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OfflineSettings {
    /// Answer with `text` when no operator is online.
    pub enabled: bool,
    #[schema(max_length = 2000)]
    pub text: String,
    /// What to ask the visitor for so the team can answer later.
    pub ask_for: ContactRequest,
}

impl Default for OfflineSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            text: "We are offline right now. Leave a message and we will get back to you.".into(),
            ask_for: ContactRequest::Email,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactRequest {
    Email,
    Phone,
    Nothing,
}

impl ChatSettings {
    pub fn from_stored(json: &str) -> ChatSettings {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }

    /// The settings as operators see them: the service's secret never leaves the server.
    pub fn without_secrets(mut self) -> ChatSettings {
        if let Some(service) = self.assignment_service.as_mut() {
            service.secret = None;
        }
        self
    }

    /// The settings as the widget sees them: nothing about the assignment service.
    pub fn for_widget(mut self) -> ChatSettings {
        self.assignment_service = None;
        self
    }

    /// The assignment service, when dialogs of this chat are offered to one.
    pub fn offers_to(&self) -> Option<&AssignmentService> {
        self.assignment_service.as_ref().filter(|_| self.assignment.is_automatic())
    }

    /// Applies a JSON merge patch to these settings and validates the result.
    pub fn patched(&self, patch: &Value) -> ApiResult<ChatSettings> {
        if !patch.is_object() {
            return Err(ApiError::invalid_field("settings", "invalid_type", "must be an object"));
        }
        let mut doc = serde_json::to_value(self).expect("settings serialise");
        merge_patch(&mut doc, patch);
        let settings: ChatSettings = serde_json::from_value(doc)
            .map_err(|e| ApiError::validation(vec![FieldError::new("settings", "invalid_value", e.to_string())]))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> ApiResult<()> {
        let mut v = Validator::new();
        v.max_chars("settings.greeting", &self.greeting, 1000);
        v.max_chars("settings.collapsed_label", &self.collapsed_label, 100);
        v.max_chars("settings.default_sender_name", &self.default_sender_name, 100);
        v.max_chars("settings.first_message_reply", &self.first_message_reply, 2000);
        for (name, value) in [
            ("bot", &self.colors.bot),
            ("operator", &self.colors.operator),
            ("visitor", &self.colors.visitor),
            ("buttons", &self.colors.buttons),
            ("button_text", &self.colors.button_text),
        ] {
            v.check(
                is_color(value),
                &format!("settings.colors.{name}"),
                "invalid_format",
                "must be a HEX, RGB(A) or HSL(A) colour",
            );
        }
        for (name, url) in [
            ("chat", &self.avatars.chat),
            ("bot", &self.avatars.bot),
            ("operator", &self.avatars.operator),
            ("visitor", &self.avatars.visitor),
        ] {
            v.opt_url(&format!("settings.avatars.{name}"), url.as_deref());
        }
        v.opt_url("settings.knowledge_base_url", self.knowledge_base_url.as_deref());
        v.check(self.messenger_links.len() <= 20, "settings.messenger_links", "too_many", "at most 20 links");
        for (i, link) in self.messenger_links.iter().enumerate() {
            v.url(&format!("settings.messenger_links.{i}.url"), &link.url);
        }
        v.check(self.hidden_on_urls.len() <= 50, "settings.hidden_on_urls", "too_many", "at most 50 entries");
        for (i, url) in self.hidden_on_urls.iter().enumerate() {
            v.text(&format!("settings.hidden_on_urls.{i}"), url, 2048);
        }
        v.range("settings.sla_first_response_secs", self.sla_first_response_secs, 1, 604_800);
        v.range("settings.sla_next_response_secs", self.sla_next_response_secs, 1, 604_800);
        v.range("settings.reopen_timeout_secs", self.reopen_timeout_secs, 0, 2_592_000);
        v.range("settings.operator_idle_secs", self.operator_idle_secs, 0, 86_400);
        v.range("settings.auto_close_secs", self.auto_close_secs, 0, 2_592_000);
        if let Some(service) = &self.assignment_service {
            v.url("settings.assignment_service.url", &service.url);
            v.range(
                "settings.assignment_service.timeout_ms",
                service.timeout_ms,
                100,
                AssignmentService::MAX_TIMEOUT_MS,
            );
            if let Some(secret) = &service.secret {
                let chars = secret.chars().count();
                v.check(
                    (16..=256).contains(&chars),
                    "settings.assignment_service.secret",
                    "invalid_length",
                    "must be 16 to 256 characters",
                );
            }
        }
        v.range("settings.queue.max_wait_secs", self.queue.max_wait_secs, 0, 86_400);
        v.range("settings.queue.notify_interval_mins", self.queue.notify_interval_mins, 0, 1440);
        v.max_chars("settings.queue.notify_text", &self.queue.notify_text, 1000);
        v.range("settings.rating.delay_secs", self.rating.delay_secs, 0, 86_400);
        v.check(
            matches!(self.rating.scale, 2 | 5 | 10),
            "settings.rating.scale",
            "invalid_value",
            "must be 2, 5 or 10",
        );
        v.max_chars("settings.rating.text", &self.rating.text, 1000);
        v.max_chars("settings.offline.text", &self.offline.text, 2000);
        v.finish()
    }
}

/// RFC 7386: objects merge recursively, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let map = target.as_object_mut().expect("object");
            for (key, value) in fields {
                if value.is_null() {
                    map.remove(key);
                } else {
                    merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// HEX (#rgb, #rgba, #rrggbb, #rrggbbaa), rgb()/rgba() or hsl()/hsla() with values in range.
/// Longest colour accepted: `hsla(360, 100%, 100%, 0.5)` and the like fit with room to spare.
pub const MAX_COLOR_CHARS: usize = 64;

pub fn is_color(value: &str) -> bool {
    if value.len() > MAX_COLOR_CHARS {
        return false;
    }
    let v = value.trim().to_ascii_lowercase();
    if let Some(hex) = v.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let parse = |prefix: &str| -> Option<Vec<String>> {
        let inner = v.strip_prefix(prefix)?.trim_start().strip_prefix('(')?.strip_suffix(')')?;
        Some(inner.split(',').map(|p| p.trim().to_string()).collect())
    };
    let number = |s: &str, max: f64| s.parse::<f64>().ok().filter(|n| (0.0..=max).contains(n)).is_some();
    let percent = |s: &str| s.strip_suffix('%').is_some_and(|n| number(n, 100.0));
    let alpha = |s: &str| number(s, 1.0) || percent(s);
    let channel = |s: &str| number(s, 255.0) || percent(s);
    if let Some(parts) = parse("rgba").or_else(|| parse("rgb")) {
        return match parts.as_slice() {
            [r, g, b] => channel(r) && channel(g) && channel(b),
            [r, g, b, a] => channel(r) && channel(g) && channel(b) && alpha(a),
            _ => false,
        };
    }
    if let Some(parts) = parse("hsla").or_else(|| parse("hsl")) {
        let hue = |s: &str| s.trim_end_matches("deg").parse::<f64>().is_ok_and(|h| h.is_finite());
        return match parts.as_slice() {
            [h, s, l] => hue(h) && percent(s) && percent(l),
            [h, s, l, a] => hue(h) && percent(s) && percent(l) && alpha(a),
            _ => false,
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colours() {
        for ok in [
            "#fff",
            "#FFFFFF",
            "#1a73e8cc",
            "rgb(0, 128, 255)",
            "rgba(0,0,0,0.5)",
            "hsl(210, 50%, 40%)",
            "hsla(210deg,50%,40%,0.3)",
        ] {
            assert!(is_color(ok), "{ok}");
        }
        for bad in ["", "red", "#ggg", "#12345", "rgb(300,0,0)", "rgba(0,0)", "hsl(10, 50, 40%)", "rgb(1,2,3,4,5)"] {
            assert!(!is_color(bad), "{bad}");
        }
    }

    #[test]
    fn merge_patch_changes_only_what_it_names() {
        let base = ChatSettings::default();
        let patched = base.patched(&json!({"rating": {"scale": 10}, "colors": {"bot": "#000"}})).unwrap();
        assert_eq!(patched.rating.scale, 10);
        assert_eq!(patched.rating.text, base.rating.text);
        assert_eq!(patched.colors.bot, "#000");
        assert_eq!(patched.colors.operator, base.colors.operator);
        let err = base.patched(&json!({"rating": {"scale": 3}})).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        assert!(base.patched(&json!({"no_such_setting": 1})).is_err());
        // null resets a field to its default.
        let reset = patched.patched(&json!({"rating": {"scale": null}})).unwrap();
        assert_eq!(reset.rating.scale, 5);
    }
}
