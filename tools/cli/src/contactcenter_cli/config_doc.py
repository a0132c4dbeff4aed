"""The configuration reference, generated from the settings classes."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

from case_service.settings import CaseSettings
from cc_common.settings import AuthSettings, KafkaSettings, MongoSettings
from ingest_chat.settings import ChatSettings
from ingest_email.settings import EmailSettings
from ingest_voice.settings import VoiceSettings
from router_service.settings import RouterSettings

SHARED: list[tuple[str, type[BaseSettings]]] = [
    ("Kafka (every service)", KafkaSettings),
    ("MongoDB (router, case)", MongoSettings),
    ("Bearer tokens (every API)", AuthSettings),
]
SERVICES: list[tuple[str, type[BaseSettings]]] = [
    ("ingest-chat", ChatSettings),
    ("ingest-email", EmailSettings),
    ("ingest-voice", VoiceSettings),
    ("router", RouterSettings),
    ("case", CaseSettings),
]
NESTED = {"kafka", "mongo", "auth"}
EXTRA = [
    ("CC_KAFKA_REPLICATION_FACTOR", "int", "1", "Bootstrap job: replication factor of new topics."),
    (
        "CC_KAFKA_MIN_INSYNC_REPLICAS",
        "int",
        "unset",
        "Bootstrap job: min.insync.replicas of new topics.",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "str",
        "unset",
        "Export traces over OTLP/HTTP to this collector.",
    ),
]


def _rows(settings: type[BaseSettings]) -> list[tuple[str, str, str, str]]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    rows = []
    for name, field in settings.model_fields.items():
        if name in NESTED:
            continue
        alias = field.validation_alias
        if isinstance(alias, str):
            continue  # shared by every service: listed once, at the end
        env = f"{prefix}{name}".upper()
        annotation = getattr(field.annotation, "__name__", str(field.annotation))
        default = field.default
        if isinstance(default, SecretStr):
            shown = "secret (development default)"
        elif isinstance(default, BaseModel) or default is None:
            shown = "unset" if default is None else "…"
        else:
            shown = f"`{default}`"
        kind = annotation.replace("typing.", "").replace("|", "or")
        rows.append((env, kind, shown, field.description or ""))
    return rows


def render() -> str:
    """docs/configuration.md."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings classes by `contactcenter config-doc`; a test fails",
        "when it is stale. Every service reads its own prefix plus the shared ones.",
        "",
    ]
    for title, settings in [*SHARED, *SERVICES]:
        lines += [f"## {title}", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        rows = _rows(settings)
        lines += [
            f"| `{env}` | {kind} | {default} | {meaning} |" for env, kind, default, meaning in rows
        ]
        lines.append("")
    lines += [
        "## Every service",
        "",
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    lines += [
        "| `CC_ENVIRONMENT` | Environment | `local` | `production` refuses development secrets. |",
        "| `CC_LOG_LEVEL` | str | `INFO` | Log level of the JSON logs. |",
    ]
    lines += [
        f"| `{env}` | {kind} | {default} | {meaning} |" for env, kind, default, meaning in EXTRA
    ]
    return "\n".join(lines) + "\n"
