"""case: the app factory, its lifespan and its consumer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from case_service.adapters import (
    articles,
    audit,
    case_holds,
    cases,
    customers,
    identity_claims,
    kpis,
    macros,
    merges,
    read_markers,
    search,
    timeline,
    webhook_store,
)
from case_service.adapters.announcements import BrokerAnnouncements
from case_service.adapters.case_moves import CaseMoveStore
from case_service.adapters.contact_batches import ContactBatchRepository
from case_service.adapters.indexes import INDEXES, RETIRED_INDEXES
from case_service.api import agents as agent_routes
from case_service.api import attachments as attachment_routes
from case_service.api import audit as audit_routes
from case_service.api import cases as case_routes
from case_service.api import customers as customer_routes
from case_service.api import desk as desk_routes
from case_service.api import knowledge as knowledge_routes
from case_service.api import kpis as kpi_routes
from case_service.api import macros as macro_routes
from case_service.api import merges as merge_routes
from case_service.api import queues as queue_routes
from case_service.api import replies as reply_routes
from case_service.api import search as search_routes
from case_service.api import stream as stream_routes
from case_service.api import unread as unread_routes
from case_service.api import webhook_subscriptions as webhook_routes
from case_service.api.problems import install_domain_problems
from case_service.consumers.follow_ups import FollowUpConsumer
from case_service.consumers.interactions import (
    ContactBatchConsumer,
    ContactConsumer,
    whole_batch,
)
from case_service.consumers.live_fanout import LiveFeedConsumer
from case_service.consumers.sla import SlaWatcher
from case_service.consumers.webhook_delivery import (
    WebhookBacklog,
    WebhookFanout,
    WebhookSender,
)
from case_service.domain.identity import IdentityRules
from case_service.domain.lifecycle import CasePolicy
from case_service.domain.sla import BusinessCalendar
from case_service.service.case_desk import CaseDesk
from case_service.service.claim_links import ClaimLinks
from case_service.service.closed_hours import ClosedHoursReplies
from case_service.service.contact_batch import ContactBatchRecorder
from case_service.service.contact_recorder import ContactRecorder
from case_service.service.customer_desk import CustomerDesk
from case_service.service.knowledge_desk import KnowledgeDesk
from case_service.service.live_feed import LiveFeed, ReplayWindow
from case_service.service.macro_desk import MacroDesk
from case_service.service.merge_desk import MergeDesk
from case_service.service.survey_desk import SurveyDesk
from case_service.service.webhook_desk import WebhookDesk
from case_service.settings import CaseSettings
from cc_common.auth import Role
from cc_common.http.auth import principal_dependency
from cc_common.mongo import ensure_indexes
from cc_common.outbox import OutboxRelay
from cc_common.runtime import install_platform, service_app, service_runtime
from cc_common.topics import CASES, INTERACTIONS, ROUTING, SIGNALS

SERVICE = "case"


def create_app(settings: CaseSettings | None = None) -> FastAPI:
    """Build the case application (agent API plus its Kafka consumer)."""
    settings = settings or CaseSettings()

    def case_policy(tenant_id: str) -> CasePolicy:
        return settings.rules_for(tenant_id).case_policy()

    def calendar_for(tenant_id: str) -> BusinessCalendar | None:
        sla = case_policy(tenant_id).sla
        return sla.calendar if sla else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=settings.database) as rt:
            await ensure_indexes(rt.db, INDEXES, RETIRED_INDEXES)
            app.state.runtime = rt
            app.state.router_client = httpx.AsyncClient(base_url=settings.router_url, timeout=5)
            app.state.attachment_client = httpx.AsyncClient(timeout=30)
            app.state.customers = customers.CustomerRepository(rt.db)
            app.state.cases = cases.CaseRepository(rt.db)
            app.state.timeline = timeline.TimelineRepository(rt.db)
            app.state.search = search.SearchRepository(rt.db)
            app.state.read_markers = read_markers.ReadMarkers(rt.db)
            app.state.desk = CaseDesk(
                cases=app.state.cases,
                timeline=app.state.timeline,
                moves=CaseMoveStore(rt.db),
                announcements=BrokerAnnouncements(rt.producer.publish),
                policy_for=case_policy,
                templates_for=lambda tenant: settings.rules_for(tenant).approved_templates(),
                holds=case_holds.CaseHoldRepository(rt.db),
                approval_for=lambda tenant: settings.rules_for(tenant).approval_rule(),
                max_event_bytes=settings.kafka.max_event_bytes,
            )
            app.state.macro_desk = MacroDesk(
                macros=macros.MacroRepository(rt.db),
                desk=app.state.desk,
                customer=app.state.customers.get,
            )
            app.state.knowledge_desk = KnowledgeDesk(
                articles=articles.ArticleRepository(rt.db),
                desk=app.state.desk,
                timeline=app.state.timeline,
            )
            app.state.customer_desk = CustomerDesk(
                customers=app.state.customers,
                cases=app.state.cases,
                phone_region=lambda tenant: settings.rules_for(tenant).phone_region,
            )
            app.state.kpis = kpis.KpiRepository(rt.db)
            app.state.audit = audit.AuditLog(rt.db)
            rt.tasks.start("audit-writer", app.state.audit.run())
            app.state.merges = merges.MergeRepository(rt.db, app.state.customers.refresh_search)
            await app.state.merges.finish_applying()
            app.state.merge_desk = MergeDesk(
                merges=app.state.merges, customers=app.state.customer_desk
            )
            announcements = BrokerAnnouncements(rt.producer.publish, in_background=True)

            def identity_rules(tenant_id: str) -> IdentityRules:
                return settings.rules_for(tenant_id).identity_rules()

            claims = identity_claims.IdentityClaimRepository(rt.db)
            recorder = ContactRecorder(
                customers=app.state.customers,
                cases=app.state.cases,
                timeline=app.state.timeline,
                announcements=announcements,
                merges=app.state.merges,
                claim_links=ClaimLinks(claims=claims, merges=app.state.merges),
                publish=rt.producer.publish,
                rules=identity_rules,
                policy_for=case_policy,
            )
            batch_recorder = ContactBatchRecorder(
                recorder=recorder,
                batches=ContactBatchRepository(rt.db),
                announcements=announcements,
                claims=claims,
                rules=identity_rules,
                policy_for=case_policy,
            )
            rt.add_consumer(
                topics=[INTERACTIONS.name, ROUTING.name],
                group_id=settings.consumer_group,
                group_handler=ContactBatchConsumer(batch_recorder, announcements.settle),
                handler=ContactConsumer(recorder, announcements.settle),
                order_key=whole_batch,
            )
            app.state.live = LiveFeed(
                settings.live_queue_size,
                holder=app.state.cases.assignee_of_conversation,
                replay=ReplayWindow(settings.live_replay_events, settings.live_replay_seconds),
            )
            rt.add_consumer(
                topics=[CASES.name, ROUTING.name, SIGNALS.name],
                group_id=f"{settings.consumer_group}-live-{uuid.uuid4().hex[:12]}",
                handler=LiveFeedConsumer(app.state.live),
                start_at="latest",
            )
            surveys = SurveyDesk(
                desk=app.state.desk,
                customer=app.state.customers.get,
                rule_for=lambda tenant: settings.rules_for(tenant).survey_rule(),
            )
            closed = ClosedHoursReplies(
                desk=app.state.desk,
                customer=app.state.customers.get,
                calendar_for=calendar_for,
                texts_for=lambda tenant: settings.rules_for(tenant).closed_reply(),
            )
            rt.add_consumer(
                topics=[CASES.name],
                group_id=f"{settings.consumer_group}-follow-ups",
                handler=FollowUpConsumer(surveys, closed),
            )
            app.state.webhooks = webhook_store.WebhookRepository(rt.db)
            app.state.webhook_desk = WebhookDesk(
                app.state.webhooks,
                allow_insecure=settings.webhook_allow_private_targets,
                rotation_overlap=timedelta(hours=settings.webhook_secret_overlap_hours),
            )
            rt.add_consumer(
                topics=[CASES.name, ROUTING.name],
                group_id=f"{settings.consumer_group}-webhooks",
                group_handler=WebhookFanout(app.state.webhooks),
                order_key=whole_batch,
            )
            sender = WebhookSender(
                app.state.webhooks,
                app.state.webhooks.doorbell,
                concurrency=settings.webhook_senders,
                per_target=settings.webhook_per_target,
                timeout_seconds=settings.webhook_timeout_seconds,
                allow_private_targets=settings.webhook_allow_private_targets,
                first_retry=timedelta(seconds=settings.webhook_first_retry_seconds),
                retry_for=timedelta(hours=settings.webhook_retry_hours),
            )
            rt.tasks.start("webhook-sender", sender.run())
            backlog = WebhookBacklog(app.state.webhooks)
            rt.tasks.start("webhook-backlog", backlog.run())
            await app.state.timeline.outbox.upgrade()
            relay = OutboxRelay(stores=[app.state.timeline.outbox], producer=rt.producer)
            rt.tasks.start("outbox-relay", relay.run())
            watcher = SlaWatcher(
                cases=app.state.cases,
                add_entry=app.state.timeline.add,
                publish=rt.producer.publish,
                interval_seconds=settings.sla_check_seconds,
            )
            rt.tasks.start("sla-watcher", watcher.run())
            try:
                yield
            finally:
                relay.stop()
                watcher.stop()
                sender.stop()
                backlog.stop()
                await app.state.audit.stop()
                await app.state.router_client.aclose()
                await app.state.attachment_client.aclose()

    app = service_app("case", lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    install_domain_problems(app)
    authenticate = principal_dependency(settings.auth, roles=frozenset(Role))
    agents_only = principal_dependency(
        settings.auth, roles=frozenset({Role.AGENT, Role.SUPERVISOR})
    )
    app.include_router(
        customer_routes.build_router(
            authenticate,
            page_max=settings.timeline_page_max,
            link=agents_only,
        )
    )
    app.include_router(agent_routes.build_router(agents_only))
    app.include_router(
        case_routes.build_router(
            authenticate,
            agents_only,
            csat=principal_dependency(
                settings.auth, roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.INTEGRATION})
            ),
            page_max=settings.timeline_page_max,
        )
    )
    app.include_router(reply_routes.build_router(agents_only))
    app.include_router(unread_routes.build_router(agents_only))
    app.include_router(macro_routes.build_router(agents_only))
    supervisors = principal_dependency(
        settings.auth, roles=frozenset({Role.SUPERVISOR, Role.ADMIN})
    )
    agents_or_watchers = principal_dependency(
        settings.auth, roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
    )
    app.include_router(reply_routes.build_approvals(supervisors))
    app.include_router(knowledge_routes.build_router(authenticate, agents_only, supervisors))
    app.include_router(merge_routes.build_router(agents_only, supervisors))
    app.include_router(audit_routes.build_router(supervisors))
    app.include_router(kpi_routes.build_router(supervisors))
    integrators = principal_dependency(
        settings.auth, roles=frozenset({Role.ADMIN, Role.INTEGRATION})
    )
    app.include_router(webhook_routes.build_router(integrators))
    app.include_router(
        stream_routes.build_router(agents_or_watchers, queue_seconds=settings.live_queue_seconds)
    )
    app.add_middleware(audit_routes.AuditMiddleware)
    app.include_router(queue_routes.build_router(authenticate, supervisors))
    app.include_router(search_routes.build_router(agents_only))
    app.include_router(
        attachment_routes.build_router(
            agents_only, chat_url=settings.chat_url, email_url=settings.email_url
        )
    )
    if settings.dev_sign_in:
        app.include_router(desk_routes.build_dev_sign_in(settings.auth))
    desk_routes.mount_desk(app)
    return app
