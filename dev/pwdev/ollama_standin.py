"""A local stand-in for the Ollama HTTP API (tests and `make demo`; never used in production).

Speaks /api/chat, /api/generate (streaming NDJSON or one JSON body), /api/tags, /api/ps and /api/version
with the field names of the real server (Ollama's docs/api.md). It behaves
like Ollama where the pipeline depends on it:
- unknown model -> 404 {"error": "model 'x' not found"};
- per-model serialisation: at most `num_parallel` requests run per model, the others wait;
- a full queue (num_parallel + max_queue requests pending) -> 503 "server busy ...";
- latency: `request_latency_s` before the first token (prompt evaluation) + `token_latency_s` per token.
The text is deterministic: a legal-sounding paragraph generator seeded by the sha256 of the model, the
messages and the seed; its length is drawn inside "between A and B words" when the prompt states it, and
capped by options.num_predict (done_reason "length").

Structured output: a request whose `format` is a JSON schema (as Ollama's `format` parameter) gets JSON text
that conforms to it, built from the schema alone ($ref/$defs, oneOf/anyOf, const, enum, object properties and
required, array minItems/maxItems, string minLength/maxLength, numbers, booleans), with its words spread over
the arrays so the whole answer lands inside the prompt's "between A and B words"; `format: "json"` gets a
JSON object too. When the user message says the section "must name each of these ...: [JSON list]" (the
subjects of a section that covers intake items), the answer names each of them in its prose, as a compliant model
does. The JSON streams as whitespace-separated tokens, so num_predict cuts it mid-object (done_reason
"length"), as a real model's does.

Fault knobs for tests (`fail_next(kind, count, after_chunks, delay_s)` or POST /_standin/faults with
{"kind", "count", "after_chunks", "delay_s"}): "503", "500", "404", "hang" (no answer until `hang_s` or stop),
"die" (close the socket after `after_chunks` chunks), "error_midstream" ({"error":..} line after some chunks),
"empty" (empty answer), "garbage" (text with `{{ }}`; inside a JSON string for `format` requests),
"invalid_json" (prose instead of the JSON a `format` request asked for), "truncated" (the JSON stops half-way
but the stream ends normally, done_reason "stop"), "slow" (this answer streams at `delay_s` seconds per
token), "skip_subjects" (the next answer whose prompt names subjects to cover omits the last of them; it waits at
the head of the queue until such a request comes). For a slow backend in general, POST /_standin/config
{"token_latency_s": 0.05} sets the per-token delay of every answer ("request_latency_s" the delay before the
first token). GET /_standin/stats gives counters.

    python -m pwdev.ollama_standin --port 11434 --model qwen2.5:7b --token-latency 0.01
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pwdev.procs import run_until_interrupted

VERSION = "0.12.0-pwdev-standin"
BUSY = "server busy, please try again.  maximum pending requests exceeded"
FAULT_KINDS = frozenset({"503", "500", "404", "hang", "die", "error_midstream", "empty", "garbage",
                         "invalid_json", "truncated", "slow", "skip_subjects"})
LENGTH_HINT = re.compile(r"between\s+(\d+)\s+and\s+(\d+)\s+words", re.IGNORECASE)
COVER_HINT = re.compile(r"must name each of these[^\n]*?:\s*(\[[^\n]*\])[ \t]*$", re.IGNORECASE | re.MULTILINE)

_SUBJECTS = [
    "The business",
    "The company",
    "Management",
    "The employer",
    "The organisation",
    "Each department",
    "The compliance function",
    "Leadership",
]
_VERBS = [
    "should document",
    "is expected to review",
    "must evaluate",
    "should confirm",
    "is advised to formalise",
    "should reassess",
    "needs to maintain",
    "ought to verify",
]
_OBJECTS = [
    "its written policies",
    "the applicable recordkeeping obligations",
    "the classification of each affected role",
    "the consent records it relies on",
    "the notices it provides to individuals",
    "its contracts with service providers",
    "the thresholds that trigger coverage",
    "the procedures for handling requests",
    "the controls around sensitive information",
    "the training given to managers",
]
_QUALIFIERS = [
    "under the governing federal standard",
    "in each state where it operates",
    "before the next review cycle",
    "with the assistance of qualified counsel",
    "to reduce the risk of enforcement action",
    "consistent with current regulatory guidance",
    "on a documented and repeatable basis",
    "so that the evidence can be produced on request",
    "in light of the facts stated in the intake",
    "and record the outcome of that review",
]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def cover_subjects(user_text: str) -> list[str]:
    """The subjects the prompt says the answer must name: read before the intake block only (the intake is
    data and may contain look-alike text)."""
    head = user_text.split("\n<intake>", 1)[0]
    match = COVER_HINT.search(head)
    if not match:
        return []
    try:
        names = json.loads(match.group(1))
    except json.JSONDecodeError:
        return []
    return [n for n in names if isinstance(n, str) and n.strip()] if isinstance(names, list) else []


def synthetic_words(key: str, target_range: tuple[int, int] | None) -> list[str]:
    """Deterministic legal-sounding prose for `key` (a sha256 hex), as a list of tokens (words)."""
    rng = random.Random(int(key[:16], 16))
    lo, hi = target_range or (120, 260)
    # Aim at the middle of the stated range so the answer passes the client's bounds with room to spare.
    span = max(0, hi - lo)
    target = rng.randint(lo + span // 4, lo + (3 * span) // 4) if span else lo
    words: list[str] = []
    while len(words) < target:
        sentence = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_QUALIFIERS)}."
        words.extend(sentence.split())
    words = words[:target]
    if not words[-1].endswith("."):
        words[-1] = words[-1].rstrip(",;") + "."
    return words


class SchemaFiller:
    """A value that conforms to a JSON schema, with about `words` words of synthetic prose in its strings."""

    def __init__(self, schema: dict[str, Any], key: str, words: int, mentions: list[str] | None = None) -> None:
        self.root = schema
        self.rng = random.Random(int(key[16:32], 16))
        self.budget = words
        self._words = self._word_stream()
        self.mentions = list(mentions or [])  # names the prose must carry, consumed in order

    def _word_stream(self) -> Any:
        while True:
            sentence = (f"{self.rng.choice(_SUBJECTS)} {self.rng.choice(_VERBS)} {self.rng.choice(_OBJECTS)} "
                        f"{self.rng.choice(_QUALIFIERS)}.")
            yield from sentence.split()

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in node and seen < 32:
            ref = str(node["$ref"])
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            node = target
            seen += 1
        return node

    def _text(self, node: dict[str, Any]) -> str:
        cap = int(node.get("maxLength", 2000))
        lo = int(node.get("minLength", 0))
        if cap >= 300:  # prose: whole sentences, about n words
            n = self.rng.randint(20, 45) if cap >= 1000 else self.rng.randint(6, 16)
            n = max(1, min(n, self.budget))
            words: list[str] = []
            while len(words) < n or not words[-1].endswith("."):
                words.append(next(self._words))
            text = " ".join(words)
            while self.mentions and len(text) + len(self.mentions[0]) + 24 <= cap:
                name = self.mentions.pop(0)
                text = f"As regards {name}, {text[:1].lower()}{text[1:]}"
        else:  # a label: a few words, no full stop
            text = " ".join(next(self._words) for _ in range(self.rng.randint(2, 4))).strip(".,;")
        text = text[:1].upper() + text[1:]
        if len(text) > cap:
            text = text[:cap].rsplit(" ", 1)[0] or text[:cap]
        if len(text) < lo:
            text = (text + " pending confirmation" * lo)[: max(lo, 1)]
        self.budget -= len(text.split())
        return text

    def value(self, node: dict[str, Any], depth: int = 0) -> Any:
        node = self._resolve(node)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return self.rng.choice(list(node["enum"]))
        for union in ("oneOf", "anyOf"):
            if union in node:
                options = [o for o in node[union] if self._resolve(o).get("type") != "null"] or node[union]
                # Prose first: three times in four the first option (paragraphs, in a blocks schema).
                pick = options[0] if self.rng.random() < 0.75 else self.rng.choice(options)
                return self.value(pick, depth + 1)
        kind = node.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            props: dict[str, Any] = node.get("properties", {})
            required = set(node.get("required", props))
            arrays = [k for k in props if k in required and self._resolve(props[k]).get("type") == "array"]
            total, out = self.budget, {}
            for name, sub in props.items():
                if name not in required:
                    continue
                if depth == 0 and len(arrays) > 1 and name in arrays:
                    # Share the words between the top-level arrays (e.g. blocks and findings).
                    share = total // len(arrays)
                    self.budget = share
                    out[name] = self.value(sub, depth + 1)
                else:
                    out[name] = self.value(sub, depth + 1)
            return out
        if kind == "array":
            lo = int(node.get("minItems", 0))
            hi = int(node.get("maxItems", lo + 8))
            items: list[Any] = []
            while len(items) < hi:
                # Past minItems, the outer arrays fill up the word budget; inner lists stop at random too.
                if len(items) >= lo and (self.budget <= 0 or (depth > 1 and self.rng.random() > 0.7)):
                    break
                items.append(self.value(node.get("items", {"type": "string"}), depth + 1))
            return items
        if kind == "string":
            return self._text(node)
        if kind == "integer":
            return int(node.get("minimum", 1))
        if kind == "number":
            return float(node.get("minimum", 1.0))
        if kind == "boolean":
            return self.rng.random() < 0.5
        return None


def structured_answer(fmt: Any, key: str, target_range: tuple[int, int] | None,
                      mentions: list[str] | None = None) -> str:
    """JSON text for a `format` request: built from the schema, or a small object for format "json"; its prose
    names each of `mentions`."""
    lo, hi = target_range or (120, 260)
    words = (lo + hi) // 2
    schema = fmt if isinstance(fmt, dict) else {"type": "object", "properties": {"text": {"type": "string"}},
                                                "required": ["text"]}
    return json.dumps(SchemaFiller(schema, key, words, mentions).value(schema), ensure_ascii=False)


@dataclass
class Fault:
    kind: str
    after_chunks: int = 3
    delay_s: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # hung handlers must not block stop()
    standin: OllamaStandin


class OllamaStandin:
    def __init__(
        self,
        models: list[str] | None = None,
        token_latency_s: float = 0.0,
        num_parallel: int = 1,
        max_queue: int = 512,
        request_latency_s: float = 0.0,
        hang_s: float = 30.0,
    ) -> None:
        self.models = list(models or ["qwen2.5:7b"])
        self.token_latency_s = token_latency_s
        self.request_latency_s = request_latency_s
        self.num_parallel = num_parallel
        self.max_queue = max_queue
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._faults: deque[Fault] = deque()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._loaded: dict[str, float] = {}
        self.stats: dict[str, Any] = {}
        self.reset_stats()

    # -- lifecycle --

    def start(self, port: int = 0, host: str = "127.0.0.1") -> OllamaStandin:
        self._stopping.clear()
        server = _Server((host, port), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll; keep tests snappy
            name="ollama-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stopping.set()  # releases hung handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OllamaStandin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- knobs --

    def fail_next(self, kind: str, count: int = 1, after_chunks: int = 3, delay_s: float = 0.0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        if not 0 <= delay_s <= 60:
            raise ValueError("delay_s must be between 0 and 60 seconds")
        with self._lock:
            self._faults.extend(Fault(kind, after_chunks, delay_s) for _ in range(count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = {
                "calls": 0,  # /api/chat + /api/generate requests received
                "completed": 0,
                "rejected_busy": 0,
                "faults_served": 0,
                "pending": 0,
                "running": {},
                "max_running": {},
                "by_path": {},
            }

    @property
    def calls(self) -> int:
        with self._lock:
            return int(self.stats["calls"])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            copied: dict[str, Any] = json.loads(json.dumps(self.stats))  # a deep copy
            return copied

    # -- internals used by the handler --

    def _count(self, path: str) -> None:
        with self._lock:
            by_path = self.stats["by_path"]
            by_path[path] = by_path.get(path, 0) + 1
            if path in ("/api/chat", "/api/generate"):
                self.stats["calls"] += 1

    def _take_fault(self, covers: bool = False) -> Fault | None:
        with self._lock:
            if self._faults and self._faults[0].kind == "skip_subjects" and not covers:
                return None  # kept for the next request that has subjects to skip
            if self._faults:
                self.stats["faults_served"] += 1
                return self._faults.popleft()
            return None

    def _admit(self) -> bool:
        with self._lock:
            if self.stats["pending"] >= self.num_parallel + self.max_queue:
                self.stats["rejected_busy"] += 1
                return False
            self.stats["pending"] += 1
            return True

    def _release(self) -> None:
        with self._lock:
            self.stats["pending"] -= 1

    def _slot(self, model: str) -> threading.Semaphore:
        with self._lock:
            if model not in self._slots:
                self._slots[model] = threading.Semaphore(self.num_parallel)
            return self._slots[model]

    def _running(self, model: str, delta: int) -> None:
        with self._lock:
            running = self.stats["running"]
            running[model] = running.get(model, 0) + delta
            peak = self.stats["max_running"]
            peak[model] = max(peak.get(model, 0), running[model])
            if delta < 0:
                self.stats["completed"] += 1
            self._loaded[model] = time.time()

    def _known(self, model: str) -> str | None:
        for name in self.models:
            if model in (name, f"{name}:latest") or name == f"{model}:latest":
                return name
        return None

    def _digest(self, name: str) -> str:
        return hashlib.sha256(f"standin:{name}".encode()).hexdigest()

    def _model_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2026-01-01T00:00:00Z",
            "size": 4_683_087_332,
            "digest": self._digest(name),
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "qwen2",
                "families": ["qwen2"],
                "parameter_size": "7.6B",
                "quantization_level": "Q4_K_M",
            },
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    @property
    def sb(self) -> OllamaStandin:
        return self.server.standin

    # -- plumbing --

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, obj: dict[str, Any]) -> None:
        line = (json.dumps(obj) + "\n").encode()
        self.wfile.write(f"{len(line):X}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _die(self) -> None:
        """Drop the connection without finishing the chunked body, like a crashed runner."""
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else {}

    # -- routes --

    def do_GET(self) -> None:
        sb = self.sb
        sb._count(self.path)
        if self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self._json(200, {"models": [sb._model_entry(m) for m in sb.models]})
        elif self.path == "/api/ps":
            with sb._lock:
                loaded = dict(sb._loaded)
            models = []
            for name, used in loaded.items():
                entry = sb._model_entry(name)
                entry["expires_at"] = datetime.fromtimestamp(used + 300, UTC).isoformat().replace("+00:00", "Z")
                entry["size_vram"] = 0
                models.append(entry)
            self._json(200, {"models": models})
        elif self.path == "/_standin/stats":
            self._json(200, sb.snapshot())
        elif self.path in ("/", ""):
            body = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._json(404, {"error": "not found"})

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        sb = self.sb
        sb._count(self.path)
        try:
            body = self._body()
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._json(400, {"error": "invalid JSON body"})
            return
        if self.path in ("/api/chat", "/api/generate"):
            self._generate(body, chat=self.path == "/api/chat")
        elif self.path == "/_standin/faults":
            try:
                sb.fail_next(str(body.get("kind")), int(body.get("count", 1)), int(body.get("after_chunks", 3)),
                             float(body.get("delay_s", 0.0)))
            except (TypeError, ValueError) as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, {"ok": True})
        elif self.path == "/_standin/config":
            for name in ("token_latency_s", "request_latency_s", "hang_s"):
                if name in body:
                    setattr(sb, name, float(body[name]))
            self._json(200, {"ok": True})
        elif self.path == "/_standin/reset":
            sb.clear_faults()
            sb.reset_stats()
            self._json(200, {"ok": True})
        else:
            self._json(404, {"error": "not found"})

    def _generate(self, body: dict[str, Any], chat: bool) -> None:
        sb = self.sb
        requested = str(body.get("model") or "")
        mentions = cover_subjects(_user_text(body, chat))
        fault = sb._take_fault(covers=bool(mentions))
        if fault and fault.kind in ("503", "500", "404"):
            messages = {
                "503": BUSY,
                "500": "llama runner process has terminated: exit status 2",
                "404": f"model '{requested}' not found",
            }
            self._json(int(fault.kind), {"error": messages[fault.kind]})
            return
        name = sb._known(requested)
        if name is None:
            self._json(404, {"error": f"model '{requested}' not found"})
            return
        if not sb._admit():
            self._json(503, {"error": BUSY})
            return
        try:
            slot = sb._slot(name)
            slot.acquire()
            sb._running(name, +1)
            try:
                self._answer(body, chat, name, fault, mentions)
            finally:
                sb._running(name, -1)
                slot.release()
        finally:
            sb._release()

    def _answer(self, body: dict[str, Any], chat: bool, name: str, fault: Fault | None,
                mentions: list[str]) -> None:
        sb = self.sb
        started = time.monotonic_ns()
        options = body.get("options") or {}
        if chat:
            messages = body.get("messages") or []
            prompt_text = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        else:
            prompt_text = f"{body.get('system') or ''}\n{body.get('prompt') or ''}"
        key = hashlib.sha256(
            json.dumps([name, prompt_text, options.get("seed")], ensure_ascii=False).encode()
        ).hexdigest()
        hints = LENGTH_HINT.findall(prompt_text)
        target = (int(hints[-1][0]), int(hints[-1][1])) if hints else None
        fmt = body.get("format")
        if fault and fault.kind == "skip_subjects":
            mentions = mentions[:-1]
        if fmt and not (fault and fault.kind == "invalid_json"):
            text = structured_answer(fmt, key, target, mentions)
            if fault and fault.kind == "garbage":
                text = text.replace('"text": "', '"text": "{{ section_text }} {% endif %} ', 1)
            if fault and fault.kind == "truncated":
                text = text[: len(text) // 2]
            words = text.split(" ")
        else:
            words = synthetic_words(key, target)
            if fault and fault.kind == "garbage":
                words = ["{{", "section_text", "}}", "{%", "endif", "%}", *words]
        if fault and fault.kind == "empty":
            words = []
        done_reason = "stop"
        num_predict = options.get("num_predict")
        if isinstance(num_predict, int) and num_predict >= 0 and len(words) > num_predict:
            words, done_reason = words[:num_predict], "length"
        prompt_tokens = max(1, len(prompt_text) // 4)
        num_ctx = options.get("num_ctx")
        if isinstance(num_ctx, int) and num_ctx > 0:
            prompt_tokens = min(prompt_tokens, num_ctx)  # Ollama keeps only what fits the window
        token_delay = fault.delay_s if fault and fault.kind == "slow" else sb.token_latency_s

        if fault and fault.kind == "hang" and fault.after_chunks <= 0:
            sb._stopping.wait(sb.hang_s)
            self.close_connection = True
            return
        if sb.request_latency_s:
            time.sleep(sb.request_latency_s)
        prompt_done = time.monotonic_ns()
        stream = body.get("stream", True) is not False
        tokens = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]

        def piece(text: str, done: bool) -> dict[str, Any]:
            out: dict[str, Any] = {"model": name, "created_at": _utc_now()}
            if chat:
                out["message"] = {"role": "assistant", "content": text}
            else:
                out["response"] = text
            out["done"] = done
            return out

        def final(text: str) -> dict[str, Any]:
            end = time.monotonic_ns()
            out = piece(text, True)
            out.update(
                done_reason=done_reason,
                total_duration=end - started,
                load_duration=1_000_000,
                prompt_eval_count=prompt_tokens,
                prompt_eval_duration=prompt_done - started,
                eval_count=len(tokens),
                eval_duration=max(1, end - prompt_done),
            )
            return out

        if not stream:
            if fault and fault.kind in ("hang", "die", "error_midstream"):
                # Non-streaming callers only see the whole body: a dropped connection is all they get.
                if fault.kind == "hang":
                    sb._stopping.wait(sb.hang_s)
                self._die()
                return
            for _ in tokens:
                if token_delay:
                    time.sleep(token_delay)
            self._json(200, final("".join(tokens)))
            return

        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i, token in enumerate(tokens):
                if fault and i == fault.after_chunks:
                    if fault.kind == "die":
                        self._die()
                        return
                    if fault.kind == "hang":
                        sb._stopping.wait(sb.hang_s)
                        self._die()
                        return
                    if fault.kind == "error_midstream":
                        self._chunk({"error": "an error was encountered while running the model"})
                        self._end_chunks()
                        return
                if token_delay:
                    time.sleep(token_delay)
                self._chunk(piece(token, False))
            self._chunk(final(""))
            self._end_chunks()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout); nothing to clean


def _user_text(body: dict[str, Any], chat: bool) -> str:
    if not chat:
        return str(body.get("prompt") or "")
    users = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return str(users[-1].get("content", "")) if users else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ollama API stand-in (pwdev)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", dest="models", help="repeatable; default qwen2.5:7b")
    parser.add_argument("--token-latency", type=float, default=0.0, help="seconds per token")
    parser.add_argument("--request-latency", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument("--num-parallel", type=int, default=1)
    parser.add_argument("--max-queue", type=int, default=512)
    args = parser.parse_args(argv)
    standin = OllamaStandin(
        models=args.models or ["qwen2.5:7b"],
        token_latency_s=args.token_latency,
        request_latency_s=args.request_latency,
        num_parallel=args.num_parallel,
        max_queue=args.max_queue,
    ).start(port=args.port, host=args.host)
    print(f"Ollama stand-in {VERSION} listening on http://{args.host}:{standin.port}", flush=True)
    run_until_interrupted(standin.stop)


if __name__ == "__main__":
    main()
