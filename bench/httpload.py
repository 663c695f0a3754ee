"""HTTP load for the intake benchmark: citizens' questions posted to the JSON API at a steady
rate from threads with keep-alive connections (`python -m bench.httpload '<json config>'`, run
by bench/intake.py, never by hand). Prints one JSON line with the outcome.

Question i is due at start + i / rate; a thread takes the next due question, waits for its
time and posts it. Bounded: `rate × seconds` questions, each request with a timeout, the
whole run with a deadline.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import Counter
from typing import Any


def main() -> None:
    config: dict[str, Any] = json.loads(sys.argv[1])
    host, path = config["host"], config["path"]
    # Several server processes (the production shape behind a proxy): the threads, and so
    # their keep-alive connections, are spread over them.
    ports = [int(p) for p in config.get("ports") or [config["port"]]]
    rate, total = float(config["rate"]), int(config["rate"] * config["seconds"])
    tag = config["tag"]
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    accepted: list[int] = []
    lock = threading.Lock()
    next_index = [0]
    start = time.monotonic() + 0.5
    deadline = start + config["seconds"] * 4 + 30

    def worker(port: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total or time.monotonic() > deadline:
                break
            wait = start + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            body = json.dumps(
                {
                    "asker_name": "Lê Văn Cường",
                    "locality": "Xã Hòa Bình",
                    "email": f"intake{i}@example.vn",
                    "body": f"Câu hỏi số {i} gửi trong lúc đo tải: thủ tục cấp giấy chứng nhận "
                    "quyền sử dụng đất lần đầu mất bao lâu?",
                    "consent": True,
                    "request_id": f"{tag}-{i}",
                }
            )
            sent = time.perf_counter()
            try:
                connection.request(
                    "POST", path, body=body, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                payload = response.read()
                status = str(response.status)
                if response.status == 201:
                    with lock:
                        accepted.append(json.loads(payload)["id"])
            except Exception as exc:  # the server dropped the connection: reopen, count it
                status = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
            with lock:
                statuses[status] += 1
                latencies.append((time.perf_counter() - sent) * 1000)
        connection.close()

    threads = [
        threading.Thread(target=worker, args=(ports[k % len(ports)],))
        for k in range(int(config.get("threads", 32)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    elapsed = time.monotonic() - start
    latencies.sort()

    def pct(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, round(q * (len(latencies) - 1)))], 1)

    print(
        json.dumps(
            {
                "offered": total,
                "statuses": dict(statuses),
                "accepted": len(accepted),
                "accepted_ids": accepted,
                "seconds": round(elapsed, 2),
                "accepted_per_s": round(len(accepted) / elapsed, 1) if elapsed > 0 else None,
                "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1)},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
