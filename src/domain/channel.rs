use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a dialog or message comes from; an operator's reply goes out through the channel the
/// visitor last wrote from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Email,
    Telegram,
    Whatsapp,
    Viber,
    Facebook,
    Vkontakte,
    Alice,
    Yandex,
    Skype,
    Slack,
    Wechat,
    Snapchat,
    Line,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 15] = [
        Channel::Web,
        Channel::Email,
        Channel::Telegram,
        Channel::Whatsapp,
        Channel::Viber,
        Channel::Facebook,
        Channel::Vkontakte,
        Channel::Alice,
        Channel::Yandex,
        Channel::Skype,
        Channel::Slack,
        Channel::Wechat,
        Channel::Snapchat,
        Channel::Line,
        Channel::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Email => "email",
            Channel::Telegram => "telegram",
            Channel::Whatsapp => "whatsapp",
            Channel::Viber => "viber",
            Channel::Facebook => "facebook",
            Channel::Vkontakte => "vkontakte",
            Channel::Alice => "alice",
            Channel::Yandex => "yandex",
            Channel::Skype => "skype",
            Channel::Slack => "slack",
            Channel::Wechat => "wechat",
            Channel::Snapchat => "snapchat",
            Channel::Line => "line",
            Channel::Api => "api",
        }
    }

    pub fn from_db(value: &str) -> Channel {
        Channel::ALL.into_iter().find(|c| c.as_str() == value).unwrap_or(Channel::Api)
    }
}
