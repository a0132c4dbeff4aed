"""An acknowledged write survives the database process being killed. Writers insert
through the services' own client settings while the embedded database (a process of
the test's own) is SIGKILLed mid-stream; after a restart over the same data every
acknowledged document is there.

Found by the chaos run: without the journal write concern SecantusDB acknowledged
writes it had not yet logged, and a SIGKILL lost 35-60 of a few thousand (2 runs of
single and bulk inserts each), which is how the run lost an accepted email once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr
from pymongo.errors import PyMongoError

from cc_common.mongo import make_mongo_client
from cc_common.settings import MongoSettings
from contactcenter_cli.processes import free_port, wait_for_port
from contactcenter_cli.stack import StackConfig, database_process

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

WRITERS = 8


async def test_acknowledged_writes_survive_a_sigkill_of_the_database(tmp_path: Path) -> None:
    config = StackConfig(data_dir=tmp_path, mongo_port=free_port())
    database = database_process(config)
    database.start()
    wait_for_port(database, config.mongo_port, 60)
    settings = MongoSettings(url=SecretStr(config.mongo_url), server_selection_timeout_ms=2000)
    assert settings.journal, "journaled acknowledgements are the default"
    client = make_mongo_client(settings, app_name="durability-test")
    documents = client["durability"]["documents"]
    acknowledged: list[str] = []

    async def write(writer: int) -> None:
        for n in range(100_000):
            if n % 2:
                ids = [f"{writer}-{n}-{k}" for k in range(20)]
                await documents.insert_many([{"_id": i, "pad": "x" * 200} for i in ids])
                acknowledged.extend(ids)
            else:
                await documents.insert_one({"_id": f"{writer}-{n}", "pad": "x" * 200})
                acknowledged.append(f"{writer}-{n}")

    writers = [asyncio.create_task(write(w)) for w in range(WRITERS)]
    try:
        await asyncio.sleep(2.5)
        database.kill()
        outcomes = await asyncio.gather(*writers, return_exceptions=True)
        assert all(isinstance(o, PyMongoError) for o in outcomes), outcomes
    finally:
        await client.close()
    database.start()
    wait_for_port(database, config.mongo_port, 60)
    client = make_mongo_client(settings, app_name="durability-test")
    try:
        stored = {
            doc["_id"] async for doc in client["durability"]["documents"].find({}, {"_id": 1})
        }
    finally:
        await client.close()
        database.stop()
    assert len(acknowledged) > 1_000, "the writers were under way when the kill came"
    missing = [i for i in acknowledged if i not in stored]
    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged writes lost"
