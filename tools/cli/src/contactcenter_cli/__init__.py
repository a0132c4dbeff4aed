"""The ``contactcenter`` command."""
