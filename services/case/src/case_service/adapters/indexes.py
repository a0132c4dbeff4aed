"""Every MongoDB index the case service declares (ensured at startup, or by the
``case_service.indexes`` job before a rollout)."""

from __future__ import annotations

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
    timeline,
    webhook_store,
)

INDEXES = (
    *customers.INDEXES,
    *identity_claims.INDEXES,
    *cases.INDEXES,
    *timeline.INDEXES,
    *merges.INDEXES,
    *audit.INDEXES,
    *kpis.INDEXES,
    *webhook_store.INDEXES,
    *read_markers.INDEXES,
    *macros.INDEXES,
    *articles.INDEXES,
    *case_holds.INDEXES,
)

RETIRED_INDEXES = (*timeline.RETIRED_INDEXES, *webhook_store.RETIRED_INDEXES)
