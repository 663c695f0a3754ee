"""Reads: the public draft page with 500 articles and 10,000 published comments (target:
median under 200 ms, queries bounded), and the live page's initial snapshot with 2,000
published questions (target: under 300 ms), both in this process through Django's test client
or the selectors, with the query count of each. Quick mode: 100 articles, 2,000 comments,
500 questions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import fmt, rnd, table


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, Any]:
    from django.db import connection

    fn()  # warm up (templates, first connection)
    # Counted with an execute wrapper: the test client's request_started signal resets the
    # query log that CaptureQueriesContext reads.
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        size = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": rnd(statistics.median(times)),
        "min_ms": rnd(min(times)),
        "max_ms": rnd(max(times)),
        "runs": runs,
        "queries": len(queries),
        "bytes": size,
    }


class _SectionMiss:
    """The cache, except that the draft page's text section is never found in it."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def get(self, key: str, default: Any = None) -> Any:
        return default if key.startswith("drafts:section") else self.cache.get(key, default)

    def set(self, key: str, *args: Any, **kwargs: Any) -> None:
        if not key.startswith("drafts:section"):
            self.cache.set(key, *args, **kwargs)


def dialogue_with_questions(n: int) -> Any:
    from django.utils import timezone

    from consult.models import Agency, Leader, User
    from livechat.models import Answer, Dialogue, Question

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(code=f"bench-{tag}", name="Ủy ban nhân dân tỉnh (bench)")
    chair = Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch UBND tỉnh", agency=agency)
    moderator = User.objects.create_user(username=f"bench-{tag}", role="moderator")
    now = timezone.now()
    dialogue = Dialogue.objects.create(
        slug=f"bench-reads-{tag}",
        topic="Đối thoại đo tải: cải cách thủ tục hành chính",
        host_agency=agency,
        chair=chair,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
        status=Dialogue.Status.LIVE,
    )
    dialogue.participants.add(chair)
    questions = Question.objects.bulk_create(
        Question(
            dialogue=dialogue,
            tracking_code=secrets.token_hex(6).upper(),
            asker_name=f"Phạm Thị Hoa {i}",
            locality="Phường Tân Phong",
            email=f"reads{i}@example.vn",
            publish_name=bool(i % 2),
            consent_at=now,
            body=f"Câu hỏi số {i}: đề nghị cho biết lộ trình cấp đổi giấy phép lái xe và việc "
            "tích hợp vào ứng dụng định danh điện tử, người dân ở vùng sâu vùng xa làm thế nào?",
            status=Question.Status.PUBLISHED,
            position=i,
            upvote_count=i % 17,
            published_at=now - dt.timedelta(seconds=n - i),
        )
        for i in range(n)
    )
    Answer.objects.bulk_create(
        Answer(
            question=q,
            leader=chair,
            author=moderator,
            kind=Answer.Kind.LIVE,
            body="Sở Giao thông vận tải sẽ triển khai trong quý tới, người dân có thể nộp hồ sơ "
            "trực tuyến hoặc tại bộ phận một cửa cấp xã.",
        )
        for q in questions[::10]
    )
    return dialogue


def _page_bytes(client: Any, url: str) -> int:
    """GET `url` through the test client: the page's size in bytes (a read must succeed)."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code} from {url}")
    return len(response.content)


def dialogue_with_pending(n: int) -> tuple[Any, Any]:
    """A live dialogue with n questions pending, sent through the intake service (as a burst
    leaves it: inbox items, events), and a moderator."""
    from consult.models import User
    from livechat import services

    dialogue = dialogue_with_questions(0)
    moderator = User.objects.create_user(
        username=f"bench-c-{uuid.uuid4().hex[:8]}", role="moderator"
    )
    submissions = [
        services.QuestionSubmission(
            fields=services.question_fields_clean(
                asker_name=f"Lê Thị Lan {i}",
                locality="Xã Hòa Bình",
                email=f"burst{i}@example.vn",
                body=f"Câu hỏi số {i} gửi trong đợt cao điểm: lịch tiếp nhận hồ sơ đất đai "
                "ở bộ phận một cửa cấp xã có thay đổi trong tháng này không?",
                consent=True,
            ),
            dialogue_id=dialogue.pk,
        )
        for i in range(n)
    ]
    for start in range(0, n, 100):
        services.questions_submit(submissions[start : start + 100])
    return dialogue, moderator


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from bench.export_check import make_draft
    from drafts.models import Comment
    from livechat import selectors
    from livechat.consumers import _dumps
    from moderation.models import Item

    articles = args.reads_articles or (100 if args.quick else 500)
    comments = args.reads_comments or (2000 if args.quick else 10000)
    n_questions = args.reads_questions or (500 if args.quick else 2000)
    runs = 5 if args.quick else 15
    rows: list[dict[str, Any]] = []

    draft = make_draft(
        f"bench-reads-{uuid.uuid4().hex[:8]}", comments, articles, published_only=True
    )
    dialogue = dialogue_with_questions(n_questions)
    burst, console_moderator = dialogue_with_pending(n_questions)
    client = Client()
    try:
        draft_url = reverse("drafts:draft-detail", kwargs={"slug": draft.slug})

        def draft_page() -> int:
            return _page_bytes(client, draft_url)

        rows.append(
            {
                "read": f"draft page, {articles} articles, {comments:,} published comments",
                "target_ms": 200,
                **_timed(draft_page, runs),
            }
        )
        # The page caches its text section until a comment is published, taken down or
        # edited (drafts/views.py _text_section); the first view after each such change
        # renders it again. This row measures that view, every time.
        from drafts import views as draft_views

        cached = draft_views.cache
        draft_views.cache = _SectionMiss(cached)
        try:
            rows.append(
                {
                    "read": "draft page, text section not cached (first view after a change)",
                    "target_ms": 200,
                    **_timed(draft_page, runs),
                }
            )
        finally:
            draft_views.cache = cached

        def snapshot() -> int:
            payload = selectors.snapshot_build(dialogue=dialogue, audience=selectors.PUBLIC)
            payload["role"] = selectors.PUBLIC
            return len(_dumps(payload).encode())

        rows.append(
            {
                "read": f"live snapshot (public), {n_questions:,} questions",
                "target_ms": 300,
                **_timed(snapshot, runs),
            }
        )

        def staff_snapshot() -> int:
            payload = selectors.snapshot_build(dialogue=dialogue, audience=selectors.STAFF)
            return len(_dumps(payload).encode())

        rows.append(
            {
                "read": f"live snapshot (staff), {n_questions:,} questions",
                "target_ms": 300,
                **_timed(staff_snapshot, runs),
            }
        )
        live_url = reverse("livechat:dialogue-detail", kwargs={"slug": dialogue.slug})

        def live_page() -> int:
            return _page_bytes(client, live_url)

        rows.append(
            {
                "read": f"live page HTML (no JavaScript), {n_questions:,} questions",
                "target_ms": None,
                **_timed(live_page, runs),
            }
        )
        # After a burst: the moderator console of a dialogue with n questions pending, the page
        # its script fetches again as questions keep arriving.
        console_url = reverse("livechat:moderate", kwargs={"slug": burst.slug})
        staff = Client()
        staff.force_login(console_moderator)

        def console_page() -> int:
            return _page_bytes(staff, console_url)

        rows.append(
            {
                "read": f"moderator console, {n_questions:,} questions pending (after a burst)",
                "target_ms": None,
                **_timed(console_page, runs),
            }
        )
    finally:
        Item.objects.filter(kind="question", context_id=burst.pk).delete()
        burst.questions.all().delete()
        burst.delete()
        console_moderator.delete()
        Comment.objects.filter(draft=draft).delete()
        draft.delete()
        dialogue.questions.all().delete()
        dialogue.delete()

    for row in rows:
        row["met"] = None if row["target_ms"] is None else row["median_ms"] < row["target_ms"]
    print(
        table(
            ["read", "median ms", "min / max ms", "queries", "KB", "target"],
            [
                [
                    r["read"],
                    fmt(r["median_ms"]),
                    f"{fmt(r['min_ms'])} / {fmt(r['max_ms'])}",
                    r["queries"],
                    fmt(r["bytes"] / 1024),
                    "-"
                    if r["target_ms"] is None
                    else f"< {r['target_ms']} ms: {'met' if r['met'] else 'NOT met'}",
                ]
                for r in rows
            ],
        )
    )
    return {"rows": json.loads(json.dumps(rows))}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reads-articles", type=int, help="articles (default 500, quick 100)")
    parser.add_argument("--reads-comments", type=int, help="comments (default 10000, quick 2000)")
    parser.add_argument("--reads-questions", type=int, help="questions (default 2000, quick 500)")
