"""Corpus samples that only make sense beside a message we sent (delivery feedback):
read by their parsers here, with the facts the manifest names (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest_chat.domain import meta, sms
from ingest_email.domain.feedback import ses_feedback

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())["samples"]


def provider_ids(sample: dict[str, Any]) -> dict[str, str]:
    path = CORPUS / sample["file"]
    if sample["provider"] == "ses":
        feedback = ses_feedback(path.read_text())
        assert feedback is not None
        found = {"delivery": feedback.status}
        if feedback.error_code:
            found["error_code"] = feedback.error_code
        return found
    if sample["provider"] == "whatsapp":
        (status,) = meta.meta_events(path.read_bytes())
        return status.provider_ids
    assert sample["provider"] == "twilio-sms"
    update = sms.sms_event(json.loads(path.read_text()))
    assert update is not None
    return update.provider_ids


@pytest.mark.parametrize(
    "sample", [s for s in MANIFEST if s["door"] == "feedback"], ids=lambda s: s["file"]
)
def test_feedback_samples_say_what_the_manifest_says(sample: dict[str, Any]) -> None:
    found = provider_ids(sample)
    for key, value in sample["expect"].items():
        assert found.get(key) == value, (key, found)


def test_every_sample_names_its_source_and_changes() -> None:
    files = {s["file"] for s in MANIFEST}
    on_disk = {
        str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ""
    } - {"MANIFEST.json"}
    assert files == on_disk
    for sample in MANIFEST:
        assert sample["source"]
        assert sample["changes"]
        assert isinstance(sample["invented"], bool)
