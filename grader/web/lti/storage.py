"""Where ``pylti1p3`` keeps a login's state and nonce until the launch, and the launch's data
after: Redis when the app has one (every web process sees the same), else the process's memory
(the embedded default runs one process). A nonce is taken once: a replayed id_token is refused."""

from __future__ import annotations

import json
import threading
import time

import redis
from flask import Flask, current_app
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskSessionService

PREFIX = "grader-lti:"


class RedisCache:
    """The cache interface ``pylti1p3`` calls (``get``, ``set``), plus ``take``, on Redis."""

    def __init__(self, url: str, prefix: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.prefix = prefix

    def get(self, key: str):
        raw = self.client.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value, exp: int | None = None) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=exp or None)

    def take(self, key: str):
        """The value, deleted in the same step: of two requests with it, one gets it."""
        raw = self.client.getdel(self.prefix + key)
        return None if raw is None else json.loads(raw)


class MemoryCache:
    """The same in this process's memory, entries dropped when they expire."""

    def __init__(self):
        self.items: dict[str, tuple[float | None, object]] = {}
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            expires, value = self.items.get(key, (None, None))
            if expires is not None and expires < time.monotonic():
                self.items.pop(key, None)
                return None
            return value

    def set(self, key: str, value, exp: int | None = None) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + exp if exp else None, value)

    def take(self, key: str):
        value = self.get(key)
        with self.lock:
            self.items.pop(key, None)
        return value


class LaunchStorage(FlaskCacheDataStorage):
    """``pylti1p3``'s cache storage over the app's cache, able to take a value once."""

    def take_value(self, key: str):
        return self._get_cache().take(self._prepare_key(key))


class OnceSessionService(FlaskSessionService):
    """Checks a launch's nonce by taking it: each nonce the login issued serves one launch."""

    def check_nonce(self, nonce: str) -> bool:
        take = getattr(self.data_storage, "take_value", None)
        key = self._get_key("nonce", nonce)
        return bool(take(key)) if take else self.data_storage.check_value(key)


def init_app(app: Flask) -> None:
    url = app.config["BROKER_URL"]
    prefix = f"{PREFIX}{app.config['QUEUE']}:"
    app.extensions["grader.lti_cache"] = (
        RedisCache(url, prefix) if url.startswith("redis") else MemoryCache()
    )


def storage() -> LaunchStorage:
    return LaunchStorage(current_app.extensions["grader.lti_cache"])
