"""Media named by URL is fetched only from the provider's own hosts, over https."""

from __future__ import annotations

import pytest

from ingest_chat.adapters.media import META_MEDIA_HOSTS, TWILIO_MEDIA_HOSTS, media_url_allowed


@pytest.mark.parametrize(
    "url",
    [
        "https://scontent.xx.fbcdn.net/v/t1.15752-9/123_n.jpg?_nc_cat=1&oh=abc",
        "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1",
        "https://fbcdn.net/x.png",
    ],
)
def test_meta_cdn_links_are_fetched(url: str) -> None:
    assert media_url_allowed(url, META_MEDIA_HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "http://scontent.xx.fbcdn.net/x.jpg",  # not https
        "https://fbcdn.net.attacker.example/x.jpg",  # only a prefix
        "https://evilfbcdn.net/x.jpg",  # not below the host
        "https://user:pass@scontent.fbcdn.net/x.jpg",  # credentials
        "https://scontent.fbcdn.net:8443/x.jpg",  # odd port
        "https://127.0.0.1/x.jpg",
        "https://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "not a url",
    ],
)
def test_anything_else_is_not(url: str) -> None:
    assert not media_url_allowed(url, META_MEDIA_HOSTS)


def test_twilio_media_and_its_cdn_redirect_are_fetched_but_not_meta_links() -> None:
    media = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    assert media_url_allowed(media, TWILIO_MEDIA_HOSTS)
    assert media_url_allowed(
        "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/x", TWILIO_MEDIA_HOSTS
    )
    assert not media_url_allowed("https://other-bucket.s3.amazonaws.com/x", TWILIO_MEDIA_HOSTS)
    assert not media_url_allowed("https://scontent.fbcdn.net/x.jpg", TWILIO_MEDIA_HOSTS)
