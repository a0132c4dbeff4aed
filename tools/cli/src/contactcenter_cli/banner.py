"""What ``contactcenter up`` prints once everything is ready: where each part listens,
a supervisor token, the demo tenant's channels with their test credentials, and the
first commands to try."""

from __future__ import annotations

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings
from contactcenter_cli.demo_channels import DEMO_TENANT, demo_channels
from contactcenter_cli.send import CHANNELS
from contactcenter_cli.stack import DEMO_WIDGET_KEY, Stack


def welcome(stack: Stack, started_in: float) -> str:
    config = stack.config
    chat, email, voice = (stack.url(s) for s in ("ingest-chat", "ingest-email", "ingest-voice"))
    lines = [
        f"Up in {started_in:.1f}s. Logs in {config.data_dir / 'logs'}",
        "",
        f"  kafka         {config.bootstrap_servers}",
        f"  mongodb       {config.mongo_url}",
        f"  smtp (in)     127.0.0.1:{config.smtp_port}   (support@demo.example)",
        f"  mail sink     127.0.0.1:{config.mail_sink_port}"
        f"   (sent mail: {config.data_dir / 'outbox'})",
    ]
    if config.provider_sink_port is not None:
        lines.append(
            f"  provider sink http://127.0.0.1:{config.provider_sink_port}"
            f"   (LINE/Meta/Telegram/Twilio sends: {config.data_dir / 'provider-outbox'})"
        )
    for spec in stack.specs:
        lines.append(
            f"  {spec.name:<13} {stack.url(spec.name)}   (docs: {stack.url(spec.name)}/docs)"
        )
    lines += [
        "",
        f"Agent desk and wallboard: {stack.url('case')}/desk/"
        f"   (sign in to tenant '{DEMO_TENANT}' as agent ana, or as a supervisor)",
    ]
    token = issue_token(
        AuthSettings(jwt_secret=config.dev_secret()),
        subject="dev-supervisor",
        tenant_id=DEMO_TENANT,
        roles=[Role.SUPERVISOR],
    )
    lines += ["", f"A supervisor token for tenant '{DEMO_TENANT}' (8 h):", f"  {token}"]
    if config.provider_sink_port is None:
        return "\n".join(lines)
    channels = demo_channels(config.dev_secret())
    lines += [
        "",
        f"Channels of tenant '{DEMO_TENANT}' (test credentials, kept in the data folder):",
        f"  web chat      {chat}/v1/webchat/conversations   (widget key {DEMO_WIDGET_KEY})",
        f"  LINE          {chat}/v1/line/{DEMO_TENANT}/webhook",
        f"  Messenger, WhatsApp  {chat}/v1/meta/{DEMO_TENANT}/webhook",
        f"  Telegram      {chat}/v1/telegram/{DEMO_TENANT}/webhook",
        f"  Twilio SMS    {chat}/v1/twilio/{DEMO_TENANT}/sms",
        f"  Twilio voice  {voice}/v1/twilio/{DEMO_TENANT}/voice/incoming",
        f"  mail upload   {email}/v1/messages   (and SMTP above)",
    ]
    lines += [f"  {what:<38} {value}" for what, value in channels.printable()]
    lines += [
        "",
        "Send one message as the provider would (signed like the provider):",
        '  .venv/bin/contactcenter send line --text "荷物が届きません"',
        f"  channels: {' '.join(CHANNELS)}",
        "Take it as an agent (ana is configured by the demo; see README, 'Five minutes'):",
        "  ANA=$(.venv/bin/contactcenter token --tenant demo --role agent --subject ana)",
        f'  curl -X PUT {stack.url("case")}/v1/agents/me/presence -H "authorization: Bearer $ANA"'
        " -H 'content-type: application/json' -d '{\"presence\":\"available\"}'",
        f'  curl {stack.url("case")}/v1/agents/me/tasks -H "authorization: Bearer $ANA"',
    ]
    return "\n".join(lines)
