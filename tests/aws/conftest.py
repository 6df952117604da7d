"""Stubbed AWS: botocore's Stubber on the real facades, and a clock that never sleeps."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from airhost.aws.session import AwsSession, Clock


class FakeClock:
    """Monotonic time that moves only when slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 1.0)

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, sleep=self.sleep,
                     utcnow=lambda: datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc), poll_seconds=5)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session(fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> AwsSession:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    boto = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="eu-west-1")
    return AwsSession("eu-west-1", clock=fake_clock.clock(), boto_session=boto)


@pytest.fixture
def stub(session: AwsSession):
    """stub("ecs") → an activated Stubber on the session's ecs client; all verified at the end."""
    stubs: list[Stubber] = []

    def make(service: str) -> Stubber:
        stubber = Stubber(session.client(service))
        stubber.activate()
        stubs.append(stubber)
        return stubber

    yield make
    for stubber in stubs:
        stubber.assert_no_pending_responses()
        stubber.deactivate()
