"""The demo's AI layer: /health answers 200 only when the api's internal URL answers."""
import json
import os
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENGINE_URL = os.environ["ENGINE_INTERNAL_API_URL"].rstrip("/")
PORT = int(os.environ.get("PORT", "8000"))


def engine_answers() -> bool:
    try:
        with urllib.request.urlopen(f"{ENGINE_URL}/status", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            healthy = engine_answers()
            self.reply(200 if healthy else 503, {"status": "ok" if healthy else "engine unavailable"})
        else:
            self.reply(404, {"error": "not found"})

    def reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
