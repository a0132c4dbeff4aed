"""Test credentials of the demo tenant for every channel, under ``contactcenter up``.

They are derived from the stack's own signing secret (made once per data folder), so
they stay the same across restarts and differ between machines. Replies on the
messaging channels go to the local provider stand-in (``provider_sink``), mail to the
local mail sink: nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

DEMO_TENANT = "demo"
CUSTOMER_NAME = "Hanako Yamada"
CUSTOMER_EMAIL = "hanako.yamada@example.jp"
CUSTOMER_PHONE = "+819012345678"
"""The demo customer: the demo scenario and ``contactcenter send`` write as her."""
SUPPORT_ADDRESS = "support@demo.example"
WHATSAPP_PHONE_NUMBER_ID = "100000000000001"
WHATSAPP_DISPLAY_NUMBER = "15550000001"
TWILIO_NUMBER = "+81312345678"
DEMO_REPLY_TEMPLATES = [
    {
        "name": "order_update",
        "language": "ja",
        "parameters": 2,
        "text": "{{1}}様、ご注文{{2}}についてご連絡いたします。",
    },
    {
        "name": "order_update",
        "language": "en",
        "parameters": 2,
        "text": "Hello {{1}}, an update on your order {{2}}.",
    },
]
"""The demo tenant's approved WhatsApp templates (the desk offers them outside the
24-hour window); a real tenant lists the ones Meta approved for it."""
"""The demo tenant's Twilio number (SMS and voice), in E.164."""


def _derived(secret: str, purpose: str, length: int = 32) -> str:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:length]


@dataclass(frozen=True, slots=True)
class DemoChannels:
    line_channel_secret: str
    line_access_token: str
    meta_app_secret: str
    meta_verify_token: str
    meta_page_token: str
    whatsapp_token: str
    telegram_secret_token: str
    telegram_bot_token: str
    twilio_account_sid: str
    twilio_auth_token: str
    mailgun_signing_key: str
    inbound_basic_auth: str
    """``user:password`` SendGrid and Postmark put in the webhook URL."""

    def printable(self) -> list[tuple[str, str]]:
        """(what, value) rows for ``contactcenter up`` to print."""
        return [
            ("LINE channel secret", self.line_channel_secret),
            ("Meta app secret (Messenger, WhatsApp)", self.meta_app_secret),
            ("Meta verify token", self.meta_verify_token),
            ("Telegram secret token", self.telegram_secret_token),
            (
                "Twilio account / auth token",
                f"{self.twilio_account_sid} / {self.twilio_auth_token}",
            ),
            ("Mailgun signing key", self.mailgun_signing_key),
            ("SendGrid/Postmark basic auth", self.inbound_basic_auth),
        ]


def demo_channels(stack_secret: str) -> DemoChannels:
    """The demo tenant's credentials, derived from the stack's secret."""

    def d(purpose: str, length: int = 32) -> str:
        return _derived(stack_secret, f"demo-channel:{purpose}", length)

    return DemoChannels(
        line_channel_secret=d("line-secret"),
        line_access_token=d("line-token", 64),
        meta_app_secret=d("meta-app-secret"),
        meta_verify_token=d("meta-verify", 16),
        meta_page_token=d("meta-page-token", 64),
        whatsapp_token=d("whatsapp-token", 64),
        telegram_secret_token=d("telegram-secret"),
        telegram_bot_token=f"{int(d('telegram-bot-id', 8), 16)}:{d('telegram-bot', 35)}",
        twilio_account_sid="AC" + d("twilio-account"),
        twilio_auth_token=d("twilio-token"),
        mailgun_signing_key=d("mailgun-key"),
        inbound_basic_auth=f"inbound:{d('inbound-basic', 24)}",
    )


def channel_env(channels: DemoChannels, provider_api: str) -> dict[str, str]:
    """The services' settings giving the demo tenant every channel (merged into the
    stack's environment; ``EMAIL_TENANTS`` extends the demo mail tenant)."""
    tenant = DEMO_TENANT
    return {
        "CHAT_LINE": json.dumps(
            {
                tenant: {
                    "channel_secrets": [channels.line_channel_secret],
                    "access_token": channels.line_access_token,
                    "api_base_url": provider_api,
                    "data_api_base_url": provider_api,
                    "profile_lookup": False,
                }
            }
        ),
        "CHAT_META": json.dumps(
            {
                tenant: {
                    "app_secrets": [channels.meta_app_secret],
                    "verify_tokens": [channels.meta_verify_token],
                    "page_access_token": channels.meta_page_token,
                    "whatsapp_token": channels.whatsapp_token,
                    "whatsapp_phone_number_id": WHATSAPP_PHONE_NUMBER_ID,
                    "graph_base_url": provider_api,
                }
            }
        ),
        "CHAT_TELEGRAM": json.dumps(
            {
                tenant: {
                    "secret_tokens": [channels.telegram_secret_token],
                    "bot_token": channels.telegram_bot_token,
                    "api_base_url": provider_api,
                }
            }
        ),
        "CHAT_TWILIO_SMS": json.dumps(
            {
                tenant: {
                    "auth_tokens": [channels.twilio_auth_token],
                    "account_sid": channels.twilio_account_sid,
                    "from_number": TWILIO_NUMBER,
                    "api_base_url": provider_api,
                }
            }
        ),
        "VOICE_TWILIO": json.dumps(
            {
                tenant: {
                    "auth_tokens": [channels.twilio_auth_token],
                    "account_sid": channels.twilio_account_sid,
                    "from_number": TWILIO_NUMBER,
                    "api_base_url": provider_api,
                }
            }
        ),
    }


def email_tenant(channels: DemoChannels) -> dict[str, object]:
    """The demo mail tenant with the providers' webhook credentials."""
    return {
        "addresses": [SUPPORT_ADDRESS],
        "from_name": "Demo Support",
        "staff_domains": ["demo.example"],
        "mailgun_signing_keys": [channels.mailgun_signing_key],
        "inbound_basic_auth": [channels.inbound_basic_auth],
    }
