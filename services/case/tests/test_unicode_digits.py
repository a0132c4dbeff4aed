"""Numbers read from headers are ASCII digits: a superscript two and Arabic-Indic digits are
digits to str.isdigit but not to int(), which would answer 500 instead of a refusal."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from case_service.api.cases import expected_version
from case_service.domain.webhooks import signature_header, verify


def test_an_if_match_in_other_digits_is_refused_with_412() -> None:
    assert expected_version('W/"3"') == 3
    with pytest.raises(HTTPException) as refused:
        expected_version('"²"')
    assert refused.value.status_code == 412


def test_a_webhook_signature_with_a_non_ascii_timestamp_does_not_verify() -> None:
    header = signature_header(["s3cret"], 1_800_000_000, b"{}")
    assert verify(header, "s3cret", b"{}", now=1_800_000_000)
    forged = header.replace("t=1800000000", "t=١٨٠٠٠٠٠٠٠٠")
    assert not verify(forged, "s3cret", b"{}", now=1_800_000_000)
