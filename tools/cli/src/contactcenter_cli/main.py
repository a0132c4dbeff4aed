"""``contactcenter``: run the embedded stack, the demo, dead-letter tools, dev tokens."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from cc_common.auth import Role, issue_token
from cc_common.kafka import dlq_tools
from cc_common.kafka.producer import EventProducer
from cc_common.schemas import stale_schemas, write_schemas
from cc_common.settings import AuthSettings, KafkaSettings
from cc_common.topics import all_topic_names
from contactcenter_cli import send
from contactcenter_cli.banner import welcome
from contactcenter_cli.demo import format_timeline, run_demo
from contactcenter_cli.demo_channels import demo_channels
from contactcenter_cli.stack import External, Stack, StackConfig, use_external

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA_DIR = Path(os.environ.get("CC_DATA_DIR", REPO_ROOT / ".data"))


STACK_PORTS = (
    ("--kafka-port", 19092, "the embedded broker"),
    ("--mongo-port", 27027, "the embedded database"),
    ("--base-port", 8001, "first service port (the five services on consecutive ports)"),
    ("--smtp-port", 2525, "inbound SMTP (ingest-email)"),
    ("--mail-sink-port", 1025, "where mail replies are sent"),
    ("--provider-sink-port", 1026, "where LINE, Meta, Telegram and Twilio replies are sent"),
)
"""Each also read from the environment: --base-port from CONTACTCENTER_BASE_PORT, ..."""


def _port_default(flag: str, default: int) -> int:
    name = "CONTACTCENTER_" + flag.removeprefix("--").replace("-", "_").upper()
    return int(os.environ.get(name, default))


def _stack_config(args: argparse.Namespace) -> StackConfig:
    return StackConfig(
        data_dir=Path(args.data_dir),
        kafka_port=args.kafka_port,
        mongo_port=args.mongo_port,
        base_port=args.base_port,
        smtp_port=args.smtp_port,
        mail_sink_port=args.mail_sink_port,
        provider_sink_port=args.provider_sink_port,
    )


def cmd_up(args: argparse.Namespace) -> int:
    """Start everything, print the URLs, wait for Ctrl-C, stop everything."""
    stack = Stack(_stack_config(args))
    started = time.monotonic()
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("Starting Kafka (Tansu) and MongoDB (SecantusDB)...", flush=True)
        stack.start_infrastructure()
        print("Starting the five services...", flush=True)
        stack.start_services()
        print("\n" + welcome(stack, time.monotonic() - started) + "\n", flush=True)
        if args.demo:
            print("Running the demo scenario (chat, then email, then a call)...\n", flush=True)
            print(format_timeline(run_demo(stack)), flush=True)
        print("\nPress Ctrl-C to stop.", flush=True)
        while not stopping:
            dead = [p.name for p in stack.services.values() if not p.alive()]
            if dead:
                print(f"Stopped unexpectedly: {', '.join(dead)}; see the logs.", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("\nStopping...", flush=True)
        stack.stop()
        print("Stopped.")


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo scenario against a stack started with ``contactcenter up``."""
    print(format_timeline(run_demo(Stack(_stack_config(args)))))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    """One inbound message on a channel of the demo tenant, signed like the provider."""
    config = _stack_config(args)
    stack = Stack(config)
    sender = args.sender or send.DEFAULT_SENDERS[args.channel]
    channels = demo_channels(config.dev_secret())
    deliveries = send.BUILDERS[args.channel](channels, sender, args.text)
    try:
        results = send.deliver(
            deliveries, channels=channels, url_of=stack.url, smtp_port=config.smtp_port
        )
    except (OSError, httpx.HTTPError) as exc:
        print(f"Could not reach the stack ({exc}); is `make run` running?", file=sys.stderr)
        return 1
    for result in results:
        print(f"{result.what} -> {result.status} {result.answer}")
    return 0 if all(r.status < 300 for r in results) else 1


def cmd_simulate(argv: list[str]) -> int:
    """A simulated day, or a recorded stream replayed, through the router's core."""
    from contactcenter_cli import simulate

    return simulate.main(argv)


def cmd_bench_router_core(argv: list[str]) -> int:
    """The router core's decisions/s and latency (pure, no broker or database)."""
    from contactcenter_cli import router_core_bench

    router_core_bench.main(argv)
    return 0


TOOLS_WITH_OWN_OPTIONS = {
    "simulate": (cmd_simulate, "simulate a day, or replay a stream, through the router core"),
    "bench-router-core": (cmd_bench_router_core, "the router core's decisions/s and latency"),
}
"""Commands that parse their own options (``contactcenter simulate --help``)."""


def cmd_token(args: argparse.Namespace) -> int:
    """Print a token signed with the stack's secret (or CC_AUTH_JWT_SECRET)."""
    secret = os.environ.get("CC_AUTH_JWT_SECRET") or _stack_config(args).dev_secret()
    roles = [Role(r) for r in args.role]
    print(
        issue_token(
            AuthSettings(jwt_secret=secret),
            subject=args.subject,
            tenant_id=args.tenant,
            roles=roles,
            ttl_seconds=args.ttl,
        )
    )
    return 0


def cmd_dlq_list(args: argparse.Namespace) -> int:
    """List dead letters of a topic with their errors."""
    letters = asyncio.run(dlq_tools.read_dead_letters(KafkaSettings(), args.topic))
    if args.json:
        if letters:
            print(dlq_tools.as_json_lines(letters))
        return 0
    if not letters:
        print(f"No dead letters for {args.topic}.")
        return 0
    for letter in letters:
        s = letter.summary()
        print(
            f"{s['ref']:<10} {s['failed_at'] or '':<33} "
            f"{s['event_id'] or '-':<37} {s['type'] or '-'}"
        )
        print(f"           {s['error_type']}: {s['error']}")
    print(
        f"\n{len(letters)} dead letter(s). Replay with: contactcenter dlq replay {args.topic} --all"
    )
    return 0


async def _replay(topic: str, ids: list[str]) -> int:
    settings = KafkaSettings()
    letters = dlq_tools.select(await dlq_tools.read_dead_letters(settings, topic), ids)
    producer = EventProducer(settings)
    await producer.start()
    try:
        return await dlq_tools.replay(producer, topic, letters)
    finally:
        await producer.stop()


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    """Republish dead letters (all, or by ref / event id) to their original topic."""
    if not args.all and not args.id:
        print("Name the letters with --id (ref or event id), or pass --all.", file=sys.stderr)
        return 2
    count = asyncio.run(_replay(args.topic, [] if args.all else args.id))
    print(f"Replayed {count} message(s) to {args.topic.removesuffix('.dlq')}.")
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    """Write (or check) the JSON Schemas generated from the event models."""
    directory = Path(args.dir)
    if args.check:
        stale = stale_schemas(directory)
        if stale:
            print(f"Stale schemas: {', '.join(stale)}; run: contactcenter schemas", file=sys.stderr)
            return 1
        print("Schemas are current.")
        return 0
    for path in write_schemas(directory):
        print(path)
    return 0


def cmd_bench_routing(args: argparse.Namespace) -> int:
    """Measure interaction-to-offer latency beside the broker's round trip."""
    from contactcenter_cli import bench_routing

    result = bench_routing.run(rate=args.rate, seconds=args.seconds, agents=args.agents)
    print(bench_routing.format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def deploy_files() -> dict[Path, str]:
    """deploy/kafka/topics.json and deploy/mongo/indexes.json as they should read."""
    from case_service.adapters.indexes import INDEXES as CASE_INDEXES
    from case_service.settings import CaseSettings
    from cc_common import deploy_defs
    from ingest_chat.main import INDEXES as CHAT_INDEXES
    from ingest_chat.settings import ChatSettings
    from ingest_email.main import INDEXES as EMAIL_INDEXES
    from ingest_email.settings import EmailSettings

    indexes = deploy_defs.index_definitions(
        {
            CaseSettings().database: CASE_INDEXES,
            EmailSettings().database: EMAIL_INDEXES,
            ChatSettings().database: CHAT_INDEXES,
        }
    )
    return {
        REPO_ROOT / "deploy" / "kafka" / "topics.json": deploy_defs.render(
            deploy_defs.topic_definitions()
        ),
        REPO_ROOT / "deploy" / "mongo" / "indexes.json": deploy_defs.render(indexes),
    }


def cmd_deploy_defs(args: argparse.Namespace) -> int:
    """Write (or check) the topic and index definitions in deploy/."""
    stale = []
    for path, text in deploy_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(REPO_ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(path)
    if stale:
        print(f"Stale: {', '.join(stale)}; run: contactcenter deploy-defs", file=sys.stderr)
        return 1
    return 0


def cmd_config_doc(args: argparse.Namespace) -> int:
    """Write (or check) docs/configuration.md from the settings classes."""
    from contactcenter_cli.config_doc import render

    path = REPO_ROOT / "docs" / "configuration.md"
    text = render()
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print("docs/configuration.md is stale; run: contactcenter config-doc", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(path)
    return 0


def _bench(name: str, args: argparse.Namespace, **options: float | str) -> int:
    """Run a ``bench_<name>`` module, print its table, and write its JSON when asked."""
    module = importlib.import_module(f"contactcenter_cli.bench_{name}")
    result = module.run(
        seconds=args.seconds, connections=args.connections, runs=args.runs, **options
    )
    print(module.format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def cmd_bench_voice(args: argparse.Namespace) -> int:
    """Status callbacks/s with durable 2xx, beside the raw produce rate."""
    return _bench("voice", args)


def cmd_bench_email(args: argparse.Namespace) -> int:
    """Emails/s accepted over SMTP and the upload endpoint, beside the raw produce rate."""
    return _bench("email", args)


def cmd_bench_chat(args: argparse.Namespace) -> int:
    """Signed LINE webhooks/s and WebSocket visitors, beside the raw produce rate."""
    return _bench("chat", args, visitors=args.visitors, ws_rate=args.ws_rate)


def cmd_bench_case(args: argparse.Namespace) -> int:
    """Interactions/s the case consumer stores; timeline pages and searches, 5,000 deep."""
    return _bench("case", args, interactions=args.interactions)


def cmd_bench_webhooks(args: argparse.Namespace) -> int:
    """Webhook deliveries stored and delivered per second, beside MongoDB inserts."""
    return _bench("webhooks", args, deliveries=args.deliveries)


def cmd_bench(args: argparse.Namespace) -> int:
    """Every benchmark, each figure beside its limit and target; JSON and a PNG."""
    from contactcenter_cli import bench_all

    result = bench_all.run(quick=args.quick)
    print(bench_all.format_result(result))
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    bench_all.draw(result, Path(args.png))
    print(f"wrote {args.json} and {args.png}")
    return 0


def cmd_bench_e2e(args: argparse.Namespace) -> int:
    """Open-loop LINE webhooks to the case service's live stream, at fixed rates."""
    return _bench("e2e", args, rates=args.rates)


def cmd_chaos(args: argparse.Namespace) -> int:
    """Mixed traffic while each service is killed in turn; every event accounted for."""
    from contactcenter_cli import chaos

    plan = chaos.Plan(
        rate=args.rate,
        warmup=args.warmup,
        interval=args.interval,
        customers=args.customers,
        services=args.service or chaos.FAULTS,
    )
    report = chaos.run(plan)
    print(chaos.format_report(report, plan))
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2))
    return 0 if report.ok else 1


def cmd_bench_limits(args: argparse.Namespace) -> int:
    """The raw broker, database and HTTP limits on this machine."""
    from contactcenter_cli import bench_limits

    result = bench_limits.run(runs=args.runs)
    print(bench_limits.format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactcenter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def external_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--kafka", metavar="HOST:PORT", help="use this broker instead of starting Tansu"
        )
        p.add_argument(
            "--mongo", metavar="URL", help="use this database instead of starting SecantusDB"
        )

    def stack_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
        for flag, default, what in STACK_PORTS:
            p.add_argument(flag, type=int, default=_port_default(flag, default), help=what)

    up = sub.add_parser("up", help="run the broker, database and all five services")
    stack_options(up)
    up.add_argument("--demo", action="store_true", help="send the demo scenario once up")
    up.set_defaults(func=cmd_up)

    demo = sub.add_parser("demo", help="send the demo scenario to a running stack")
    stack_options(demo)
    demo.set_defaults(func=cmd_demo)

    sender = sub.add_parser(
        "send", help="send one message on a channel of the demo tenant, signed like the provider"
    )
    stack_options(sender)
    sender.add_argument("channel", choices=send.CHANNELS)
    sender.add_argument("--text", default="荷物がまだ届きません。注文番号は4521です。")
    sender.add_argument(
        "--from", dest="sender", help="the sender (user id, phone or address); default: Hanako"
    )
    sender.set_defaults(func=cmd_send)

    for name, (_, what) in TOOLS_WITH_OWN_OPTIONS.items():
        sub.add_parser(name, help=what, add_help=False)  # listed; main() dispatches them

    token = sub.add_parser("token", help="print a bearer token for the APIs")
    stack_options(token)
    token.add_argument("--tenant", required=True)
    token.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=int, default=8 * 3600)
    token.set_defaults(func=cmd_token)

    dlq = sub.add_parser("dlq", help="list or replay dead-lettered messages")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    topics = sorted(n for n in all_topic_names() if not n.endswith(".dlq"))
    dlq_list = dlq_sub.add_parser("list", help="dead letters of a topic, with their errors")
    dlq_list.add_argument("topic", choices=topics)
    dlq_list.add_argument("--json", action="store_true")
    dlq_list.set_defaults(func=cmd_dlq_list)
    dlq_replay = dlq_sub.add_parser("replay", help="republish dead letters after a fix")
    dlq_replay.add_argument("topic", choices=topics)
    dlq_replay.add_argument("--id", action="append", default=[], help="ref (p:offset) or event id")
    dlq_replay.add_argument("--all", action="store_true")
    dlq_replay.set_defaults(func=cmd_dlq_replay)

    bench = sub.add_parser("bench-routing", help="interaction-to-offer latency vs the broker")
    bench.add_argument("--rate", type=float, default=100, help="interactions per second")
    bench.add_argument("--seconds", type=float, default=10)
    bench.add_argument("--agents", type=int, default=200)
    bench.add_argument("--json", help="also write the result to this file")
    external_options(bench)
    bench.set_defaults(func=cmd_bench_routing)

    voice = sub.add_parser("bench-voice", help="Twilio status callbacks/s vs raw produce")
    voice.add_argument("--seconds", type=int, default=10)
    voice.add_argument("--connections", type=int, default=32)
    voice.add_argument("--runs", type=int, default=3)
    voice.add_argument("--json", help="also write the result to this file")
    external_options(voice)
    voice.set_defaults(func=cmd_bench_voice)

    email = sub.add_parser("bench-email", help="emails/s over SMTP and upload vs raw produce")
    email.add_argument("--seconds", type=int, default=8)
    email.add_argument("--connections", type=int, default=16)
    email.add_argument("--runs", type=int, default=3)
    email.add_argument("--json", help="also write the result to this file")
    external_options(email)
    email.set_defaults(func=cmd_bench_email)

    everything = sub.add_parser("bench", help="every benchmark against its limit and target")
    everything.add_argument("--quick", action="store_true", help="one run each, smaller loads")
    everything.add_argument("--json", default="bench.json", help="where the result goes")
    everything.add_argument("--png", default="bench.png", help="where the chart goes")
    external_options(everything)
    everything.set_defaults(func=cmd_bench)

    e2e = sub.add_parser("bench-e2e", help="webhook to stored, open loop at fixed rates")
    e2e.add_argument("--rates", default="10,20,40,80", help="messages/s, comma separated")
    e2e.add_argument("--seconds", type=int, default=10, help="per rate")
    e2e.add_argument("--runs", type=int, default=1)
    e2e.add_argument("--connections", type=int, default=0, help=argparse.SUPPRESS)
    e2e.add_argument("--json", help="also write the result to this file")
    external_options(e2e)
    e2e.set_defaults(func=cmd_bench_e2e)

    case = sub.add_parser("bench-case", help="timeline reads and stored interactions/s")
    case.add_argument("--interactions", type=int, default=2000, help="stored via the consumer")
    case.add_argument("--connections", type=int, default=4, help="concurrent readers")
    case.add_argument("--runs", type=int, default=3)
    case.add_argument("--seconds", type=int, default=0, help=argparse.SUPPRESS)
    case.add_argument("--json", help="also write the result to this file")
    external_options(case)
    case.set_defaults(func=cmd_bench_case)

    hooks = sub.add_parser("bench-webhooks", help="webhook deliveries stored and sent per s")
    hooks.add_argument("--deliveries", type=int, default=3000)
    hooks.add_argument("--runs", type=int, default=3)
    hooks.add_argument("--seconds", type=int, default=0, help=argparse.SUPPRESS)
    hooks.add_argument("--connections", type=int, default=0, help=argparse.SUPPRESS)
    hooks.add_argument("--json", help="also write the result to this file")
    external_options(hooks)
    hooks.set_defaults(func=cmd_bench_webhooks)

    chat = sub.add_parser("bench-chat", help="LINE webhooks/s and WebSocket visitors")
    chat.add_argument("--seconds", type=int, default=8)
    chat.add_argument("--connections", type=int, default=32)
    chat.add_argument("--runs", type=int, default=3)
    chat.add_argument("--visitors", type=int, default=200)
    chat.add_argument("--ws-rate", type=float, default=200, help="visitor messages/s, in all")
    chat.add_argument("--json", help="also write the result to this file")
    external_options(chat)
    chat.set_defaults(func=cmd_bench_chat)

    chaos = sub.add_parser("chaos", help="kill each service under load; account for every event")
    chaos.add_argument("--rate", type=float, default=20, help="events per second, all channels")
    chaos.add_argument("--warmup", type=float, default=10, help="seconds before the first kill")
    chaos.add_argument("--interval", type=float, default=15, help="seconds between kills")
    chaos.add_argument("--customers", type=int, default=10, help="customers per channel")
    chaos.add_argument(
        "--service",
        action="append",
        help="break only these (repeatable: a service, database or broker-pause; default: all)",
    )
    chaos.add_argument("--json", help="also write the report to this file")
    external_options(chaos)
    chaos.set_defaults(func=cmd_chaos)

    limits = sub.add_parser("bench-limits", help="raw Kafka, MongoDB and HTTP limits")
    limits.add_argument("--runs", type=int, default=3)
    limits.add_argument("--json", help="also write the result to this file")
    external_options(limits)
    limits.set_defaults(func=cmd_bench_limits)

    defs = sub.add_parser("deploy-defs", help="write topic and index definitions into deploy/")
    defs.add_argument("--check", action="store_true", help="fail when they are stale")
    defs.set_defaults(func=cmd_deploy_defs)

    config = sub.add_parser("config-doc", help="write docs/configuration.md")
    config.add_argument("--check", action="store_true", help="fail when it is stale")
    config.set_defaults(func=cmd_config_doc)

    schemas = sub.add_parser("schemas", help="write the event JSON Schemas into docs/schemas")
    schemas.add_argument("--dir", default=str(REPO_ROOT / "docs" / "schemas"))
    schemas.add_argument("--check", action="store_true", help="fail when they are stale")
    schemas.set_defaults(func=cmd_schemas)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``contactcenter`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in TOOLS_WITH_OWN_OPTIONS:
        return TOOLS_WITH_OWN_OPTIONS[argv[0]][0](argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "kafka", None) or getattr(args, "mongo", None):
        if not (args.kafka and args.mongo):
            parser.error("--kafka and --mongo go together")
        use_external(External(args.kafka, args.mongo))
    # SIGTERM (a timeout, a CI runner) unwinds like Ctrl-C, so commands that start
    # servers stop them in their `finally` instead of leaving them behind.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    code: int = args.func(args)
    return code


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
