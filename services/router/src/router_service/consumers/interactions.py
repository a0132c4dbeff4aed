"""Turns interactions that need an agent into queued tasks."""

from __future__ import annotations

from cc_common.kafka.consumer import Delivery
from cc_common.kafka.producer import EventProducer
from cc_common.topics import ROUTING
from router_service.adapters.task_store import TaskStore
from router_service.domain.tasks import plan_task, queued_event


class InteractionHandler:
    def __init__(self, *, store: TaskStore, producer: EventProducer) -> None:
        self._store = store
        self._producer = producer

    async def __call__(self, delivery: Delivery) -> None:
        """Queue a task for the interaction, unless its conversation already has one.

        Replays re-announce the same deterministic event, which consumers drop, so a
        crash between storing and publishing loses nothing.
        """
        task = plan_task(delivery.event)
        if task is None:
            return
        open_task = await self._store.open_task_id(task.tenant_id, task.conversation_key)
        if open_task is not None and open_task != str(task.task_id):
            return  # a follow-up: the conversation's task already holds it
        await self._store.add(task)
        position = await self._store.position(task)
        event = queued_event(task, position=position, correlation_id=delivery.event.correlation_id)
        await self._producer.publish(ROUTING.name, event)
