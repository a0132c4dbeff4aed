"""The case service's use cases: what agents and the consumers ask of it.

Each takes and returns the domain model, reaches storage and the broker through
``case_service.ports`` only, and raises ``domain.errors`` (the API maps each to
one problem response).
"""
