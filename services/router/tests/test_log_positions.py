"""Telling a replaced broker log from a replay of the same one."""

from __future__ import annotations

from router_service.consumers.log_positions import (
    CLUSTER_CHANGED,
    LOG_END_BELOW_SAVED,
    ReplacedLog,
    replaced_logs,
)

SAVED = {"cc.interactions.v1:0": 120, "cc.agents.v1:0": 7}


def test_a_replay_on_the_same_log_keeps_every_position() -> None:
    ends = {"cc.interactions.v1:0": 130, "cc.agents.v1:0": 7}
    assert replaced_logs(SAVED, saved_cluster="a", cluster="a", log_ends=ends) == []


def test_another_cluster_replaces_every_saved_position() -> None:
    assert replaced_logs(SAVED, saved_cluster="a", cluster="b", log_ends={}) == [
        ReplacedLog("cc.agents.v1:0", 7, CLUSTER_CHANGED),
        ReplacedLog("cc.interactions.v1:0", 120, CLUSTER_CHANGED),
    ]


def test_a_log_that_ends_below_the_saved_offset_was_recreated() -> None:
    ends = {"cc.interactions.v1:0": 3, "cc.agents.v1:0": 7}
    assert replaced_logs(SAVED, saved_cluster="a", cluster="a", log_ends=ends) == [
        ReplacedLog("cc.interactions.v1:0", 120, LOG_END_BELOW_SAVED)
    ]


def test_without_a_saved_cluster_only_the_log_end_can_tell() -> None:
    ends = {"cc.interactions.v1:0": 0}
    assert replaced_logs(SAVED, saved_cluster=None, cluster="b", log_ends=ends) == [
        ReplacedLog("cc.interactions.v1:0", 120, LOG_END_BELOW_SAVED)
    ]
    assert replaced_logs(SAVED, saved_cluster="a", cluster=None, log_ends={}) == []
