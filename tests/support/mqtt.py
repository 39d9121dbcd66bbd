"""A real Mosquitto broker per test (from the installed binary) and a persistent subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support import eventually, free_port, wait_for_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """Mosquitto with persistence on, so a subscriber's queued messages survive a restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # Started as root, mosquitto would switch to its own user, who cannot write here.
            f"user {getpass.getuser()}\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            f"log_dest file {folder}/mosquitto.log\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)])
        wait_for_port(self.port, self.process, "mosquitto")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Received:
    topic: str
    payload: dict[str, Any]
    event_id: str | None


@dataclass
class Subscriber:
    """Collects messages on a topic; reconnects to its persistent session after outages."""

    broker: Broker
    topic: str
    messages: list[Received] = field(default_factory=list)
    client_id: str = field(default_factory=lambda: f"test-sub-{uuid.uuid4().hex[:8]}")
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1",
                    self.broker.port,
                    identifier=self.client_id,
                    protocol=aiomqtt.ProtocolVersion.V5,
                    clean_start=False,
                    properties=properties,
                ) as client:
                    await client.subscribe(self.topic, qos=1)
                    self.connected.set()
                    async for message in client.messages:
                        user = dict(getattr(message.properties, "UserProperty", []) or [])
                        body = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                        self.messages.append(
                            Received(str(message.topic), body, user.get("event_id"))
                        )
            except aiomqtt.MqttError:
                self.connected.clear()
                await asyncio.sleep(0.1)

    async def wait_for(self, count: int) -> list[Received]:
        await eventually(
            lambda: len(self.messages) >= count, within=20, what=f"{count} broker messages"
        )
        return self.messages


@contextlib.asynccontextmanager
async def subscribed(broker: Broker, topic: str) -> AsyncIterator[Subscriber]:
    subscriber = Subscriber(broker, topic)
    task = asyncio.create_task(subscriber.run())
    await asyncio.wait_for(subscriber.connected.wait(), 10)
    try:
        yield subscriber
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
