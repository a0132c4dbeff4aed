"""One-shot job: create the case service's MongoDB indexes (``python -m case_service.indexes``).

The service also ensures them at startup; the job lets operators build them before a
rollout (large collections take a while).
"""

from __future__ import annotations

import asyncio

from case_service.adapters.indexes import INDEXES, RETIRED_INDEXES
from case_service.settings import CaseSettings
from cc_common.logging import configure_logging
from cc_common.mongo import ensure_indexes, make_mongo_client


async def create() -> None:
    """Connect, ensure every declared index, close."""
    settings = CaseSettings()
    client = make_mongo_client(settings.mongo, app_name="case-indexes")
    try:
        await ensure_indexes(client[settings.database], INDEXES, RETIRED_INDEXES)
    finally:
        await client.close()


def main() -> None:
    configure_logging(service="case-indexes")
    asyncio.run(create())


if __name__ == "__main__":
    main()
