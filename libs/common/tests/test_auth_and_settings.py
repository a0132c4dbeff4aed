"""Tokens and settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from cc_common.auth import InvalidToken, Role, issue_token, verify_token
from cc_common.settings import AuthSettings, Environment, ServiceSettings

AUTH = AuthSettings(jwt_secret=SecretStr("s3cret-for-tests-s3cret-for-tests-0123"))


def test_token_round_trip() -> None:
    token = issue_token(AUTH, subject="ana", tenant_id="acme", roles=[Role.AGENT])
    principal = verify_token(AUTH, token)
    assert principal.subject == "ana"
    assert principal.tenant_id == "acme"
    assert principal.roles == frozenset({Role.AGENT})
    assert principal.has_any({Role.AGENT, Role.ADMIN})
    assert not principal.has_any({Role.SUPERVISOR})


def test_token_signed_with_another_secret_is_refused() -> None:
    other = AuthSettings(jwt_secret=SecretStr("another-secret-another-secret-0123456"))
    token = issue_token(other, subject="ana", tenant_id="acme", roles=[Role.AGENT])
    with pytest.raises(InvalidToken, match="Signature"):
        verify_token(AUTH, token)


def test_previous_secrets_are_accepted_during_a_rotation() -> None:
    old = AuthSettings(jwt_secret=SecretStr("the-old-secret-the-old-secret-0123456789"))
    token = issue_token(old, subject="ana", tenant_id="acme", roles=[Role.AGENT])
    with pytest.raises(InvalidToken):
        verify_token(AUTH, token)
    rotating = AUTH.model_copy(update={"jwt_previous_secrets": [old.jwt_secret]})
    assert verify_token(rotating, token).subject == "ana"
    fresh = issue_token(rotating, subject="bo", tenant_id="acme", roles=[Role.AGENT])
    assert verify_token(AUTH, fresh).subject == "bo", "new tokens use the new key"


def test_expired_token_is_refused() -> None:
    token = issue_token(AUTH, subject="ana", tenant_id="acme", roles=[Role.AGENT], ttl_seconds=-5)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(AUTH, token)


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC_ENVIRONMENT", "production")
    monkeypatch.delenv("CC_AUTH_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="CC_AUTH_JWT_SECRET"):
        ServiceSettings()
    monkeypatch.setenv("CC_AUTH_JWT_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ServiceSettings()
    monkeypatch.setenv("CC_AUTH_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    assert ServiceSettings().environment is Environment.PRODUCTION


def test_settings_never_show_secrets() -> None:
    settings = ServiceSettings()
    assert "dev-secret" not in repr(settings)
    assert "mongodb://" not in repr(settings)
