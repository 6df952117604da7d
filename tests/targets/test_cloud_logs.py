"""Following several log streams at once: every stream's lines as they arrive."""

from __future__ import annotations

import threading

import pytest

from airhost.targets.cloud_logs import interleaved


def test_a_quiet_stream_does_not_hold_back_a_busy_one():
    second_spoke = threading.Event()

    def first():
        # read one stream after the other and this waits forever: the second never gets to speak
        assert second_spoke.wait(timeout=10), "the second stream was never read"
        yield "first: after the second"

    def second():
        yield "second: hello"
        second_spoke.set()

    lines = list(interleaved({"a": first(), "b": second()}))
    assert lines == [("b", "second: hello"), ("a", "first: after the second")]


def test_a_stream_that_fails_ends_the_whole_with_its_error():
    def broken():
        yield "one line"
        raise ConnectionError("stream cut")

    with pytest.raises(ConnectionError, match="stream cut"):
        list(interleaved({"pod-1": broken(), "pod-2": iter([])}))
