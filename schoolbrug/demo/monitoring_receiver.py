"""A pupil-monitoring system for the demo and the tests: a small SOAP receiver of UWLR 2.2
`BrengLeerresultaten` on 127.0.0.1 (a free port, a thread of the process that starts it).

It answers as the real systems do: every message is checked against the standard's XSDs
(`SCHOOLBRUG_UWLR_SCHEMAS`, the shared `uwlr/Schemas`; on a machine without them only for the
envelope, its authorization header and its request: `schemas=None`), the SOAPAction and the
authorization key it issued; a valid message is stored by result key (a key sent twice is
stored once, as UWLR receivers do) and confirmed with `leerresultaten_bevestiging`; anything
else gets a SOAP fault with HTTP 500. The tests can make it unreliable: fail call n when n %
fail_every == fail_at (a 500), or accept and then hang past the client's time-out when n %
hang_every == hang_at. Demo and test code only: production never imports it.
"""

from __future__ import annotations

import http.server
import itertools
import logging
import threading
import time
from pathlib import Path

from schoolbrug.platform import uwlr

log = logging.getLogger("schoolbrug.demo.monitoring_receiver")

CONFIRMATION = (
    b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="'
    + uwlr.SOAP.encode()
    + b'"><soap:Body><lr:leerresultaten_bevestiging xmlns:lr="'
    + uwlr.LR.encode()
    + b'"/></soap:Body></soap:Envelope>'
)
FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="'
    + uwlr.SOAP.encode()
    + b'"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>'
    b"<faultstring>%s</faultstring></soap:Fault></soap:Body></soap:Envelope>"
)
MAX_BODY = 20 * 1024 * 1024


class MonitoringReceiver:
    """Start with `MonitoringReceiver(schemas, key)`; `url` is where to send; `close()` stops."""

    def __init__(
        self,
        schemas: Path | None,
        key: str,
        *,
        fail_every: int = 0,
        fail_at: int = 1,
        hang_every: int = 0,
        hang_at: int = 2,
        hang_seconds: float = 1.5,
    ) -> None:
        self.schemas = Path(schemas) if schemas is not None else None
        self.key = key
        self.stored: dict[str, int] = {}  # result key → times received
        self.invalid: list[str] = []  # why messages were refused (a real system's fault)
        self.calls = itertools.count()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY))
                with receiver.lock:
                    call = next(receiver.calls)
                    problems = receiver.problems(body, self.headers.get("SOAPAction", ""))
                    receiver.invalid += problems
                    failing = fail_every and call % fail_every == fail_at
                    if problems or failing:
                        reason = problems[0] if problems else "temporarily unavailable"
                        self._answer(500, FAULT % reason.encode("utf-8", "replace")[:500])
                        return
                    for key in uwlr.keys(body):
                        receiver.stored[key] = receiver.stored.get(key, 0) + 1
                if hang_every and call % hang_every == hang_at:
                    time.sleep(hang_seconds)  # accepted, but the answer comes too late
                self._answer(200, CONFIRMATION)

            def _answer(self, status: int, content: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the client gave up waiting (a hang): what a real system sees too

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/uwlr"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="monitoring-receiver", daemon=True
        )
        self.thread.start()

    def problems(self, body: bytes, soap_action: str) -> list[str]:
        """Why this message is refused ([] when a real system would accept it)."""
        if soap_action.strip('"') != uwlr.SOAP_ACTION:
            return ["no SOAPAction BrengLeerresultaten"]
        try:
            errors = uwlr.validate(body, self.schemas)
        except Exception as error:  # noqa: BLE001 - any unreadable message is refused
            return [f"unreadable message: {type(error).__name__}"]
        if errors:
            return errors
        if self.key not in uwlr.authorization_keys(body):
            return ["wrong authorization key"]
        return []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
