"""Mixed traffic for the chaos test: simulated users, each with its own session, doing what
people do (evaluate, watch a stream, chat, look at progress, download a PDF, retry) and
remembering every submission the server acknowledged."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes.fixtures import SAMPLE_MEMO

# Answers a user may get while the model fails or the server restarts; anything else
# (a 500 above all) is a bug the test reports.
EXPECTED = {200, 201, 409, 429, 502, 503, 504}


@dataclass
class User:
    """One simulated person: a session and what the server acknowledged to it."""

    name: str
    base_url: str
    rng: random.Random
    evaluations: set[str] = field(default_factory=set)
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    questions: dict[str, list[str]] = field(default_factory=dict)  # chat id -> questions
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    sent: int = 0
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)

    def client(self) -> httpx.Client:
        """A client with this user's cookies (its session survives the restarts)."""
        timeout = httpx.Timeout(60, connect=2)
        return httpx.Client(base_url=self.base_url, timeout=timeout, cookies=self.cookies)

    def note(self, action: str, status: int, body: str = "") -> None:
        self.statuses[f"{action} {status}"] += 1
        if status not in EXPECTED:
            self.unexpected.append(f"{action} {status}: {body[:300]}")

    def memo(self) -> str:
        self.sent += 1
        return f"{SAMPLE_MEMO}\n\n{self.name}, memo {self.sent}: {self.rng.random()}"

    # --- actions ------------------------------------------------------------------------
    def evaluate(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/evaluations", json={"text_content": self.memo()})
        self.note("evaluate", response.status_code, response.text)
        if response.status_code == 201:
            self._finished(response.json()["data"])

    def evaluate_stream(self, client: httpx.Client) -> None:
        payload = {"text_content": self.memo()}
        with client.stream("POST", "/api/v1/evaluations?stream=true", json=payload) as response:
            self.note("stream", response.status_code)
            if response.status_code != 201:
                response.read()
                return
            event = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event in ("started", "completed", "failed"):
                    data = httpx.Response(200, content=line[6:]).json()
                    if event == "started":
                        self.evaluations.add(data["evaluation_id"])
                    else:
                        self._finished(data)

    def chat(self, client: httpx.Client) -> None:
        if not self.completed:
            return self.evaluate(client)
        evaluation_id = self.rng.choice(self.completed)
        opened = client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
        self.note("chat-open", opened.status_code, opened.text)
        if opened.status_code not in (200, 201):
            return None
        chat_id = opened.json()["data"]["id"]
        question = f"What should I change first? ({self.rng.random()})"
        stream = self.rng.random() < 0.5
        path = f"/api/v1/chat/sessions/{chat_id}/messages" + ("?stream=true" if stream else "")
        with client.stream("POST", path, json={"message_content": question}) as response:
            response.read()
            self.note("chat", response.status_code, response.text)
            # A plain failure (502/503/504) still stored the question: its details say so.
            stored = response.status_code == 201 or "user_message" in response.text
            if stored:
                self.questions.setdefault(chat_id, []).append(question)
        return None

    def progress(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/progress")
        self.note("progress", response.status_code, response.text)

    def pdf(self, client: httpx.Client) -> None:
        if not self.completed:
            return self.evaluate(client)
        response = client.get(f"/api/v1/export/pdf/{self.rng.choice(self.completed)}")
        self.note("pdf", response.status_code, response.text[:200])
        if response.status_code == 200:
            assert response.content.startswith(b"%PDF")
        return None

    def retry(self, client: httpx.Client) -> None:
        if not self.failed:
            return self.evaluate(client)
        response = client.post(f"/api/v1/evaluations/{self.failed.pop()}/retry")
        self.note("retry", response.status_code, response.text)
        if response.status_code in (200, 201):
            self._finished(response.json()["data"])
        return None

    def _finished(self, data: dict[str, Any]) -> None:
        self.evaluations.add(data["id"])
        if data["status"] == "completed":
            self.completed.append(data["id"])
        elif data["status"] == "failed":
            self.failed.append(data["id"])

    # --- the loop -----------------------------------------------------------------------
    ACTIONS = (
        ("evaluate", 3),
        ("evaluate_stream", 3),
        ("chat", 3),
        ("progress", 1),
        ("pdf", 1),
        ("retry", 1),
    )

    def run(self, until: float, stop: threading.Event) -> None:
        names = [name for name, _ in self.ACTIONS]
        weights = [weight for _, weight in self.ACTIONS]
        with self.client() as client:
            response = None
            while response is None or response.status_code not in (200, 201):
                try:
                    response = client.post("/api/v1/sessions")
                except httpx.TransportError:
                    time.sleep(0.5)
            self.cookies = client.cookies
            while time.monotonic() < until and not stop.is_set():
                action = self.rng.choices(names, weights)[0]
                try:
                    getattr(self, action)(client)
                except (httpx.TransportError, httpx.DecodingError):
                    # The server was killed or is restarting: what it never acknowledged
                    # is not promised; try again in a moment.
                    self.statuses[f"{action} connection-lost"] += 1
                    time.sleep(1.0)
