"""Drives each tenant's router: applies events, fires timers, saves, announces.

One router instance owns a tenant (topics are keyed by tenant). For each batch of a
tenant's events it applies them to the in-memory engine, saves the snapshot together
with the offsets it includes and the routing events to announce (one atomic write),
publishes the events, and lets the runner commit. After a crash the saved offsets
make replayed events no-ops and the saved outbox is published again (same ids).
When events arrive below a saved offset, the broker is asked whether its log was
replaced since (see ``log_positions``); if so the position is forgotten, not the work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry.context import Context

from cc_common.errors import PermanentError
from cc_common.events import (
    AGENT_CONFIGURED,
    AGENT_PRESENCE_CHANGED,
    AGENT_TASK_ACTED,
    CALLBACK_REQUESTED,
    INTERACTION_RECEIVED,
    QUEUE_CONFIGURED,
    ROUTING_POLICY_CONFIGURED,
    AgentConfigured,
    AgentPresenceChanged,
    AgentTaskActed,
    CallbackRequested,
    Channel,
    Envelope,
    QueueConfigured,
    RoutingPolicyConfigured,
    TaskState,
    derived_event_id,
    encode_event,
)
from cc_common.kafka.consumer import Delivery
from cc_common.kafka.producer import EventProducer
from cc_common.logging import get_logger
from cc_common.topics import ROUTING
from cc_common.tracing import context_from_headers
from router_service.adapters.state_store import ConcurrentWriter, StateStore
from router_service.consumers.log_positions import position_of, replaced_logs
from router_service.domain import snapshot
from router_service.domain.defaults import CALLBACK_QUEUE, RouterPolicy
from router_service.domain.engine import InvalidAction, TenantRouter
from router_service.domain.intake import (
    answered_conversation,
    cancelled_conversation,
    routing_event,
    work_request,
)
from router_service.domain.model import Change
from router_service.domain.requirements import InvalidRequirement
from router_service.metrics import (
    LOG_RESETS,
    QUEUE_AGENTS_AVAILABLE,
    QUEUE_LONGEST_WAIT,
    QUEUE_WAITING,
    ROUTING_DECISIONS,
    SLA_BREACHES,
)

log = get_logger(__name__)


class LogProbe(Protocol):
    """The broker's view of its logs (``cc_common.kafka.broker_log.BrokerLog``)."""

    async def cluster_id(self) -> str | None: ...

    async def end_offset(self, topic: str, partition: int) -> int: ...


@dataclass
class _Tenant:
    engine: TenantRouter
    version: int
    offsets: dict[str, int] = field(default_factory=dict)
    cluster_id: str | None = None


def apply_event(engine: TenantRouter, event: Envelope[Any], now: float) -> None:
    """Feed one event to the engine; refused agent actions are logged, not errors."""
    data = event.data
    if event.type == INTERACTION_RECEIVED:
        answered = answered_conversation(event)
        if answered:
            engine.answer_elsewhere(answered[0], answered[1], now)
        cancelled = cancelled_conversation(event)
        if cancelled:
            engine.cancel_conversation(cancelled, now, "customer left")
        request = work_request(event)
        if request is not None:
            engine.enqueue(
                task_id=request.task_id,
                interaction_id=request.interaction_id,
                conversation_key=request.conversation_key,
                customer_ref=request.customer_ref,
                channel=request.channel,
                text=request.text,
                skills=request.skills,
                priority=request.priority,
                language=request.language,
                now=now,
            )
    elif event.type == CALLBACK_REQUESTED and isinstance(data, CallbackRequested):
        # One open callback per customer: the conversation key makes a repeat a no-op.
        engine.enqueue(
            task_id=str(derived_event_id(event.id, "task")),
            interaction_id=str(event.id),
            conversation_key=f"callback:{data.customer_id}",
            customer_ref=f"phone:{data.phone}",
            channel=Channel.VOICE,
            text=None,
            skills=(),
            priority=0,
            now=now,
            queue_name=CALLBACK_QUEUE,
        )
    elif event.type == AGENT_PRESENCE_CHANGED and isinstance(data, AgentPresenceChanged):
        engine.set_presence(data.agent_id, data.presence, data.reason, now)
    elif event.type == AGENT_TASK_ACTED and isinstance(data, AgentTaskActed):
        try:
            engine.act(
                data.agent_id,
                str(data.task_id),
                data.action,
                now,
                target_queue=data.target_queue,
                target_agent_id=data.target_agent_id,
                note=data.note,
            )
        except InvalidAction as exc:
            log.warning("router.action_refused", action=data.action.value, reason=str(exc))
    elif event.type == AGENT_CONFIGURED and isinstance(data, AgentConfigured):
        engine.configure_agent(data, now)
    elif event.type == ROUTING_POLICY_CONFIGURED and isinstance(data, RoutingPolicyConfigured):
        engine.configure_policy(RouterPolicy(**data.model_dump()), now)
    elif event.type == QUEUE_CONFIGURED and isinstance(data, QueueConfigured):
        try:
            engine.configure_queue(data, now)
        except InvalidRequirement as exc:
            raise PermanentError(f"queue {data.name}: {exc}") from exc


class RouterWorker:
    def __init__(
        self,
        *,
        store: StateStore,
        producer: EventProducer,
        policy: RouterPolicy | None = None,
        clock: Callable[[], float] = time.time,
        broker_log: LogProbe | None = None,
    ) -> None:
        self._store = store
        self._broker_log = broker_log
        self._cluster_id: str | None = None
        self._producer = producer
        self._policy = policy
        self._clock = clock
        self._tenants: dict[str, _Tenant] = {}
        self._traces: dict[str, Context] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def handle_group(self, deliveries: list[Delivery]) -> list[tuple[Delivery, Exception]]:
        """Apply one tenant's deliveries of a batch, then save and announce once."""
        tenant_id = deliveries[0].event.tenant_id
        async with self._lock(tenant_id):
            refused: list[tuple[Delivery, Exception]] = []
            while True:
                tenant = await self._current(tenant_id)
                await self._forget_replaced_logs(tenant_id, tenant, deliveries)
                skipped = {id(d) for d, _ in refused}
                try:
                    for delivery in deliveries:
                        position = position_of(delivery.topic, delivery.partition)
                        if delivery.offset < tenant.offsets.get(position, 0):
                            continue  # already in the saved state
                        if id(delivery) not in skipped:
                            self._apply(tenant, delivery)
                        tenant.offsets[position] = delivery.offset + 1
                    break
                except _Refused as refusal:
                    # The engine may be half-changed: start again from the saved state
                    # without the message that broke it.
                    self._tenants.pop(tenant_id, None)
                    refused.append((refusal.delivery, refusal.error))
            await self._save_and_announce(tenant_id, tenant)
            return refused

    async def tick(self) -> None:
        """Fire due timers of every tenant this instance holds."""
        for tenant_id in list(self._tenants):
            async with self._lock(tenant_id):
                tenant = self._tenants.get(tenant_id)
                if tenant is None:
                    continue
                tenant.engine.tick(self._clock())
                if tenant.engine.changes:
                    await self._save_and_announce(tenant_id, tenant)

    async def run_ticker(
        self, stop: asyncio.Event, every: float = 0.5, metrics_every: int = 10
    ) -> None:
        """Tick until ``stop`` is set; refresh the queue gauges every few ticks."""
        ticks = 0
        while not stop.is_set():
            try:
                await self.tick()
            except ConcurrentWriter:
                log.warning("router.tick_lost_ownership")
            except Exception as exc:
                # A database or broker blip: the next tick tries again (timers are kept).
                log.warning("router.tick_failed", error=repr(exc))
            ticks += 1
            if ticks % metrics_every == 0:
                self.export_metrics()
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                continue

    def export_metrics(self) -> None:
        """Set the queue gauges from every tenant this instance holds."""
        now = self._clock()
        for tenant_id, tenant in self._tenants.items():
            for row in tenant.engine.queue_stats(now):
                labels = (tenant_id, str(row["queue"]))
                QUEUE_WAITING.labels(*labels).set(float(row["waiting"] or 0))
                QUEUE_LONGEST_WAIT.labels(*labels).set(float(row["longest_wait_seconds"] or 0))
                QUEUE_AGENTS_AVAILABLE.labels(*labels).set(float(row["agents_available"] or 0))

    async def queue_stats(self, tenant_id: str) -> list[dict[str, Any]]:
        """Live queue figures of a tenant (from the saved state if not held here)."""
        return (await self._engine_for_reading(tenant_id)).queue_stats(self._clock())

    async def agent_work(self, tenant_id: str, agent_id: str) -> dict[str, Any] | None:
        """An agent's presence, offers and accepted work (None: no such agent)."""
        engine = await self._engine_for_reading(tenant_id)
        return engine.agent_work(agent_id, self._clock())

    async def agents_board(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every agent's presence, time in state and work in hand."""
        return (await self._engine_for_reading(tenant_id)).agents_board(self._clock())

    async def _engine_for_reading(self, tenant_id: str) -> TenantRouter:
        tenant = self._tenants.get(tenant_id)
        if tenant is not None:
            return tenant.engine
        stored = await self._store.load(tenant_id)
        if stored.snapshot:
            return snapshot.load(stored.snapshot, self._policy)
        return TenantRouter(tenant_id, self._policy)

    def _apply(self, tenant: _Tenant, delivery: Delivery) -> None:
        # Routing events continue the trace of the interaction that caused them: its
        # first delivery's (a provider's resend of the same event, in the same batch,
        # carries another trace and changes nothing).
        self._traces.setdefault(str(delivery.event.id), context_from_headers(delivery.headers))
        try:
            apply_event(tenant.engine, delivery.event, self._clock())
        except Exception as exc:
            raise _Refused(delivery, exc) from exc

    async def _current(self, tenant_id: str) -> _Tenant:
        """The tenant's engine, reloaded when another instance saved since we did."""
        cached = self._tenants.get(tenant_id)
        stored_version = await self._store.version(tenant_id)
        if cached is not None and cached.version == stored_version:
            return cached
        stored = await self._store.load(tenant_id)
        engine = (
            snapshot.load(stored.snapshot, self._policy)
            if stored.snapshot
            else TenantRouter(tenant_id, self._policy)
        )
        tenant = _Tenant(
            engine=engine,
            version=stored.version,
            offsets=stored.offsets,
            cluster_id=stored.cluster_id,
        )
        # Offsets saved from another cluster mean nothing here (checked on every load,
        # so the saved cluster id always names where the saved offsets came from).
        if await self._known_cluster() is not None:
            self._forget(tenant_id, tenant, log_ends={})
        self._tenants[tenant_id] = tenant
        if stored.outbox:
            # A crash may have come between saving and announcing: announce again.
            await self._producer.send_raw_many(
                ROUTING.name, [(tenant_id.encode(), raw, []) for raw in stored.outbox]
            )
        return tenant

    async def _forget_replaced_logs(
        self, tenant_id: str, tenant: _Tenant, deliveries: list[Delivery]
    ) -> None:
        """Before skipping events as already applied, make sure the log is the same."""
        behind = {
            (d.topic, d.partition)
            for d in deliveries
            if d.offset < tenant.offsets.get(position_of(d.topic, d.partition), 0)
        }
        if not behind or self._broker_log is None:
            return
        # Asked afresh: the broker may have been replaced while this process ran.
        self._cluster_id = await self._broker_log.cluster_id()
        log_ends = {
            position_of(topic, partition): await self._broker_log.end_offset(topic, partition)
            for topic, partition in sorted(behind)
        }
        self._forget(tenant_id, tenant, log_ends)

    def _forget(self, tenant_id: str, tenant: _Tenant, log_ends: dict[str, int]) -> None:
        cluster = self._cluster_id
        for gone in replaced_logs(
            tenant.offsets, saved_cluster=tenant.cluster_id, cluster=cluster, log_ends=log_ends
        ):
            tenant.offsets.pop(gone.position, None)
            LOG_RESETS.labels(tenant_id, gone.reason).inc()
            log.warning(
                "router.log_replaced",
                tenant=tenant_id,
                position=gone.position,
                saved_offset=gone.saved_offset,
                log_end=log_ends.get(gone.position),
                reason=gone.reason,
                saved_cluster=tenant.cluster_id,
                cluster=cluster,
            )
        tenant.cluster_id = cluster or tenant.cluster_id

    async def _known_cluster(self) -> str | None:
        """The cluster this process reads from (asked once, and again on suspicion)."""
        if self._cluster_id is None and self._broker_log is not None:
            self._cluster_id = await self._broker_log.cluster_id()
        return self._cluster_id

    async def _save_and_announce(self, tenant_id: str, tenant: _Tenant) -> None:
        """Save the state with the events it owes, then publish them. Should any step
        fail, the engine in memory is dropped: it has already given up its changes, so
        the retry must start from the saved state (which re-applies the batch, or
        announces the saved outbox again), never from the drained engine."""
        try:
            await self._save_then_publish(tenant_id, tenant)
        except BaseException:
            self._tenants.pop(tenant_id, None)
            raise

    async def _save_then_publish(self, tenant_id: str, tenant: _Tenant) -> None:
        changes = tenant.engine.drain()
        self._count(tenant_id, tenant.engine, changes)
        events = [
            routing_event(tenant_id, change, step=change.step, correlation_id=None)
            for change in changes
        ]
        tenant.version = await self._store.save(
            tenant_id,
            expected_version=tenant.version,
            snapshot=snapshot.dump(tenant.engine),
            offsets=tenant.offsets,
            outbox=[encode_event(e) for e in events],
            cluster_id=tenant.cluster_id,
        )
        if events:
            contexts = [self._traces.get(change.interaction_id) for change in changes]
            await self._producer.publish_many(ROUTING.name, events, contexts=contexts)
        self._traces.clear()

    @staticmethod
    def _count(tenant_id: str, engine: TenantRouter, changes: list[Change]) -> None:
        for change in changes:
            if change.state is TaskState.OFFERED:
                ROUTING_DECISIONS.labels(tenant_id).inc()
            elif change.state is TaskState.ACCEPTED:
                queue = engine.queues.get(change.queue)
                target = queue.config.sla_seconds if queue else None
                if target is not None and (change.wait_seconds or 0) > target:
                    SLA_BREACHES.labels(tenant_id, change.queue).inc()

    def _lock(self, tenant_id: str) -> asyncio.Lock:
        return self._locks.setdefault(tenant_id, asyncio.Lock())


class _Refused(Exception):
    def __init__(self, delivery: Delivery, error: Exception) -> None:
        super().__init__(str(error))
        self.delivery = delivery
        self.error = error
