"""JSON Schemas generated from the event models, published in docs/schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cc_common.events.envelope import Envelope
from cc_common.events.registry import EVENT_TYPES


def event_schemas() -> dict[str, dict[str, Any]]:
    """Return a JSON Schema per file name, one for each payload model."""
    by_model: dict[type[BaseModel], list[str]] = {}
    for event_type, model in EVENT_TYPES.items():
        by_model.setdefault(model, []).append(event_type)
    schemas: dict[str, dict[str, Any]] = {}
    for model, types in by_model.items():
        schema = Envelope[model].model_json_schema()  # type: ignore[valid-type]
        schema["title"] = f"Envelope of {model.__name__}"
        schema["x-event-types"] = sorted(types)
        schemas[f"{model.__name__}.json"] = schema
    return schemas


def render(schema: dict[str, Any]) -> str:
    """Serialise a schema the way it is committed: stable keys, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory``, removing schemas of models that are gone."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = event_schemas()
    for stale in directory.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, schema in wanted.items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema files that differ from what the models generate (or are missing/extra)."""
    wanted = event_schemas()
    stale = [
        name
        for name, schema in wanted.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != render(schema)
    ]
    stale += [p.name for p in directory.glob("*.json") if p.name not in wanted]
    return sorted(stale)
