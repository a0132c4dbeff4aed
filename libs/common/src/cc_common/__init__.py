"""Shared plumbing and the event contract of the contact-center platform."""
