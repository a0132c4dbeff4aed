"""Kafka plumbing: producer, consumer runner, dead letters, topic administration."""
