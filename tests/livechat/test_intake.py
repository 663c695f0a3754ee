"""Group commit of the citizens' questions (livechat.intake, services.questions_submit): a
batch gives each question what submitting it alone would give (its own answer or error, the
same events, inbox items and flags), in fewer statements; the per-process queue commits what
arrives together, answers every waiting request, and never leaves one waiting."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext

from consult.errors import Conflict, NotFound
from livechat import events, intake, services
from livechat.models import Dialogue, DialogueEvent, Question
from moderation.models import Item
from tests.conftest import QUESTION_DEFAULTS, make_dialogue
from tests.servers import ServerUnavailable, asgi_server

pytestmark = pytest.mark.django_db


def fields(**overrides: Any) -> dict[str, Any]:
    return services.question_fields_clean(**{**QUESTION_DEFAULTS, **overrides})


def submission(dialogue: Dialogue | None = None, **overrides: Any) -> services.QuestionSubmission:
    slug = overrides.pop("slug", dialogue.slug if dialogue is not None else "")
    language = overrides.pop("language", None)
    return services.QuestionSubmission(
        fields=fields(**overrides), slug=slug, viewer=AnonymousUser(), language=language
    )


def bodies(n: int) -> list[str]:
    return [
        f"Câu hỏi số {i}: khi nào xã {i} được cấp vốn làm đường giao thông nông thôn năm nay?"
        for i in range(n)
    ]


# --- services.questions_submit ------------------------------------------------------------------


def test_a_batch_commits_every_question_in_order_with_its_event_and_inbox_item(
    dialogue, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        events, "group_send_soon", lambda group, message, **kw: sent.append(message)
    )
    texts = bodies(5)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = services.questions_submit(
            [submission(dialogue, body=text, request_id=f"r-{i}") for i, text in enumerate(texts)]
        )
    questions = [question for question, created in outcomes if created]
    assert [q.body for q in questions] == texts
    ids = [q.pk for q in questions]
    assert ids == sorted(ids)
    stored = {q.pk: q for q in Question.objects.filter(dialogue=dialogue)}
    assert [stored[i].position for i in ids] == ids  # the end of the queue, in arrival order
    log = list(DialogueEvent.objects.filter(dialogue=dialogue).order_by("seq"))
    assert [e.seq for e in log] == [1, 2, 3, 4, 5]
    assert [e.data["question"]["id"] for e in log] == ids
    assert all(e.type == events.QUESTION_SUBMITTED and e.public_seq is None for e in log)
    dialogue.refresh_from_db()
    assert (dialogue.last_seq, dialogue.last_public_seq) == (5, 0)
    assert set(Item.objects.filter(kind="question").values_list("object_id", flat=True)) == set(ids)
    # One doorbell for the five events, carrying their frames in order.
    [doorbell] = [m for m in sent if m["type"] == events.DOORBELL]
    assert [e["seq"] for e in doorbell["events"]] == [1, 2, 3, 4, 5]
    assert [json.loads(e["staff"])["data"]["question"]["id"] for e in doorbell["events"]] == ids
    assert all(e["public"] is None for e in doorbell["events"])


def test_a_batch_costs_the_statements_of_one_question(dialogue):
    services.questions_submit([submission(dialogue, request_id="warm")])  # terms read once
    with CaptureQueriesContext(connection) as one:
        services.questions_submit([submission(dialogue, request_id="one")])
    with CaptureQueriesContext(connection) as many:
        services.questions_submit(
            [submission(dialogue, body=b, request_id=f"m-{i}") for i, b in enumerate(bodies(20))]
        )
    assert Question.objects.filter(dialogue=dialogue).count() == 22
    assert len(many.captured_queries) == len(one.captured_queries)


def test_errors_stay_with_their_own_question(dialogue, chair):
    ended = make_dialogue(chair, status=Dialogue.Status.ENDED)
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    outcomes = services.questions_submit(
        [
            submission(dialogue, request_id="a"),
            submission(ended, request_id="b"),
            submission(slug="khong-co", request_id="c"),
            submission(draft, request_id="d"),  # a draft exists only for staff
            submission(dialogue, request_id="e", body="Một câu hỏi khác hẳn về học phí."),
        ]
    )
    assert isinstance(outcomes[0], tuple) and outcomes[0][1] is True
    assert isinstance(outcomes[1], Conflict) and outcomes[1].code == "not_accepting"
    assert isinstance(outcomes[2], NotFound)
    assert isinstance(outcomes[3], NotFound)
    assert isinstance(outcomes[4], tuple) and outcomes[4][1] is True
    assert Question.objects.filter(dialogue=dialogue).count() == 2
    assert not Question.objects.exclude(dialogue=dialogue).exists()


def test_an_error_speaks_its_askers_language(dialogue, chair):
    ended = make_dialogue(chair, status=Dialogue.Status.ENDED)
    vi, en = services.questions_submit(
        [submission(ended, language="vi"), submission(ended, language="en")]
    )
    assert str(vi).startswith("Cuộc đối thoại này hiện không nhận câu hỏi")
    assert str(en).startswith("This dialogue is not taking questions now")


def test_a_request_id_repeated_in_one_batch_or_after_creates_one_question(dialogue):
    first, again = services.questions_submit(
        [submission(dialogue, request_id="same"), submission(dialogue, request_id="same")]
    )
    assert isinstance(first, tuple) and isinstance(again, tuple)
    assert first[1] is True and again == (first[0], False)
    [later] = services.questions_submit([submission(dialogue, request_id="same")])
    assert isinstance(later, tuple) and later[0].pk == first[0].pk and later[1] is False
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert DialogueEvent.objects.filter(dialogue=dialogue).count() == 1


def test_a_request_id_committed_meanwhile_falls_back_to_one_by_one(dialogue):
    # Another process committed "taken" after this batch looked: the batch INSERT fails on the
    # unique request_id, then each question is tried alone and the late one gets the winner's.
    [(winner, _created)] = services.questions_submit([submission(dialogue, request_id="taken")])
    batch = [
        (0, submission(dialogue, request_id="fresh"), dialogue),
        (1, submission(dialogue, request_id="taken"), dialogue),
    ]
    outcomes = dict(services._questions_insert(batch))
    assert outcomes[0][1] is True and outcomes[0][0].request_id == "fresh"
    assert outcomes[1] == (winner, False)
    assert sorted(Question.objects.values_list("request_id", flat=True)) == ["fresh", "taken"]
    assert [e.seq for e in DialogueEvent.objects.filter(dialogue=dialogue).order_by("seq")] == [
        1,
        2,
    ]


def test_a_batch_flags_what_one_by_one_submissions_flag(dialogue, chair):
    texts = [
        "Đề nghị cho biết tiến độ bồi thường giải phóng mặt bằng đường vành đai bốn ở xã Tân An.",
        "Xin hỏi lịch tiêm chủng mở rộng cho trẻ em dưới năm tuổi tại trạm y tế phường?",
        "Đề nghị cho biết tiến độ bồi thường giải phóng mặt bằng đường vành đai bốn ở xã Tân An!",
        "de nghi cho biet tien do boi thuong giai phong mat bang duong vanh dai bon o xa tan an",
        "Liên hệ tôi qua số 0912 345 678 để trao đổi thêm về hồ sơ đất đai.",
    ]
    one_by_one = make_dialogue(chair)
    singly = [
        services.question_submit(dialogue_id=one_by_one.pk, **{**QUESTION_DEFAULTS, "body": t})[0]
        for t in texts
    ]
    outcomes = services.questions_submit([submission(dialogue, body=t) for t in texts])
    batched = [outcome[0] for outcome in outcomes if isinstance(outcome, tuple)]

    def flags_of(questions: list[Question]) -> list[list[tuple[str, str]]]:
        position = {q.pk: i for i, q in enumerate(questions)}
        items = {i.object_id: i for i in Item.objects.filter(object_id__in=position)}
        found = []
        for q in questions:
            found.append(
                sorted(
                    # A duplicate's detail names the earlier question: compare its place.
                    (f["code"], f["severity"] if f["code"] == "duplicate" else f["detail"])
                    for f in items[q.pk].flags
                )
            )
        return found

    assert flags_of(batched) == flags_of(singly)
    duplicate_of_first = list(Item.objects.get(object_id=batched[2].pk).flags)
    assert any(f["code"] == "duplicate" for f in duplicate_of_first)


# --- livechat.intake: the per-process queue -------------------------------------------------------


def run(scenario: Any) -> Any:
    """Run an async scenario on a loop of its own, as a server process would; its batches run
    in asgiref's shared thread, whose database connection is closed afterwards."""

    async def with_cleanup() -> Any:
        try:
            return await scenario
        finally:
            await sync_to_async(connections.close_all)()

    return asyncio.run(with_cleanup())


@pytest.mark.django_db(transaction=True)
def test_questions_arriving_together_commit_in_few_batches_and_each_gets_its_own(
    dialogue, monkeypatch
):
    sizes: list[int] = []
    real = services.questions_submit

    def recording(submissions: Any) -> Any:
        sizes.append(len(submissions))
        return real(submissions)

    monkeypatch.setattr(services, "questions_submit", recording)
    texts = bodies(30)

    async def burst() -> list[Any]:
        return await asyncio.gather(
            *(
                intake.question_submit(submission(dialogue, body=t, request_id=f"b-{i}"))
                for i, t in enumerate(texts)
            )
        )

    results = run(burst())
    assert [q.body for q, created in results] == texts and all(c for _q, c in results)
    assert sum(sizes) == 30 and len(sizes) < 30  # the first alone, the rest together
    assert sizes[0] == 1
    assert Question.objects.filter(dialogue=dialogue).count() == 30
    seqs = list(DialogueEvent.objects.filter(dialogue=dialogue).values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 31))


@pytest.mark.django_db(transaction=True)
def test_each_waiting_request_gets_its_own_error(dialogue, chair):
    ended = make_dialogue(chair, status=Dialogue.Status.ENDED)

    async def burst() -> list[Any]:
        return await asyncio.gather(
            intake.question_submit(submission(dialogue, request_id="x1")),
            intake.question_submit(submission(ended, request_id="x2")),
            intake.question_submit(submission(slug="khong-co", request_id="x3")),
            intake.question_submit(submission(dialogue, request_id="x4", body="Học phí năm nay?")),
            return_exceptions=True,
        )

    ok1, conflict, missing, ok2 = run(burst())
    assert ok1[1] is True and ok2[1] is True
    assert isinstance(conflict, Conflict) and isinstance(missing, NotFound)


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_fails_its_questions_and_the_next_batch_still_runs(dialogue, monkeypatch):
    real = services.questions_submit
    calls = {"n": 0}

    def second_fails(submissions: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("the database went away")
        return real(submissions)

    monkeypatch.setattr(services, "questions_submit", second_fails)

    async def waves() -> tuple[list[Any], Any]:
        first = await asyncio.gather(
            *(intake.question_submit(submission(dialogue, request_id=f"w-{i}")) for i in range(5)),
            return_exceptions=True,
        )
        later = await intake.question_submit(submission(dialogue, request_id="later"))
        return first, later

    first, later = run(waves())
    assert first[0][1] is True  # the first leads alone
    assert all(isinstance(r, OperationalError) for r in first[1:])  # the second batch failed
    assert later[1] is True  # and the queue goes on
    assert sorted(Question.objects.values_list("request_id", flat=True)) == ["later", "w-0"]


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_request_is_not_committed_and_holds_up_no_other(dialogue, monkeypatch):
    started = threading.Event()
    release = threading.Event()
    real = services.questions_submit

    def slow_first(submissions: Any) -> Any:
        if not started.is_set():
            started.set()
            release.wait(10)
        return real(submissions)

    monkeypatch.setattr(services, "questions_submit", slow_first)

    async def scenario() -> tuple[Any, Any, bool]:
        leader = asyncio.ensure_future(intake.question_submit(submission(dialogue, request_id="L")))
        await sync_to_async(started.wait, thread_sensitive=False)(10)
        gone = asyncio.ensure_future(intake.question_submit(submission(dialogue, request_id="G")))
        kept = asyncio.ensure_future(intake.question_submit(submission(dialogue, request_id="K")))
        await asyncio.sleep(0.05)
        gone.cancel()
        leader.cancel()  # the leader's client goes away too, while its batch commits
        release.set()
        kept_result = await asyncio.wait_for(kept, 10)
        leader_cancelled = False
        try:
            await leader
        except asyncio.CancelledError:
            leader_cancelled = True
        return kept_result, gone, leader_cancelled

    kept, gone, leader_cancelled = run(scenario())
    assert kept[1] is True and gone.cancelled() and leader_cancelled
    # The leader's question was already in its batch (committed); the cancelled waiter's not.
    assert sorted(Question.objects.values_list("request_id", flat=True)) == ["K", "L"]


# --- the API under a real server ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_burst_through_a_real_server_commits_every_question_once(dialogue):
    n = 60
    try:
        server_cm = asgi_server(ready_path="/api/v1/dialogues/")
        server = server_cm.__enter__()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        body = {
            **QUESTION_DEFAULTS,
            "body": f"Câu hỏi {i} về cấp nước sạch?",
            "request_id": f"s-{i}",
        }
        request = urllib.request.Request(  # noqa: S310 (the test's own server)
            f"{server.url}/api/v1/dialogues/{dialogue.slug}/questions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response, lock:  # noqa: S310
            answers.append((response.status, json.loads(response.read())))

    try:
        threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server_cm.__exit__(None, None, None)
    assert sorted(status for status, _body in answers) == [201] * n
    ids = {body["id"] for _status, body in answers}
    assert len(ids) == n
    assert set(Question.objects.filter(dialogue=dialogue).values_list("pk", flat=True)) == ids
    seqs = sorted(DialogueEvent.objects.filter(dialogue=dialogue).values_list("seq", flat=True))
    assert seqs == list(range(1, n + 1))


# --- a full queue refuses at once -------------------------------------------------------------


def test_a_full_queue_refuses_through_the_api_with_503_and_retry_after(dialogue, monkeypatch):
    from django.test import Client

    monkeypatch.setattr(intake, "QUEUE_MAX", 0)
    response = Client().post(
        f"/api/v1/dialogues/{dialogue.slug}/questions",
        json.dumps({**QUESTION_DEFAULTS, "request_id": "busy-1"}),
        content_type="application/json",
    )
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(intake.BUSY_RETRY_AFTER)
    assert response.json()["error"]["code"] == "busy"
    assert not Question.objects.exists()


def test_a_full_queue_refuses_the_page_form_with_503_and_keeps_what_was_typed(
    dialogue, monkeypatch
):
    from django.test import Client

    monkeypatch.setattr(intake, "QUEUE_MAX", 0)
    form = {**QUESTION_DEFAULTS, "consent": "on", "request_id": "f" * 32}
    response = Client().post(dialogue.get_absolute_url(), form)
    assert response.status_code == 503
    assert response["Retry-After"] == str(intake.BUSY_RETRY_AFTER)
    page = response.content.decode()
    assert "quá nhiều câu hỏi cùng lúc" in page
    assert QUESTION_DEFAULTS["body"] in page  # nothing typed is lost
    assert not Question.objects.exists()


def test_the_page_form_commits_through_the_queue(dialogue, monkeypatch):
    from django.test import Client

    seen: list[int] = []
    real = services.questions_submit
    monkeypatch.setattr(
        services, "questions_submit", lambda subs: seen.append(len(subs)) or real(subs)
    )
    form = {**QUESTION_DEFAULTS, "consent": "on", "request_id": "e" * 32}
    response = Client().post(dialogue.get_absolute_url(), form)
    assert response.status_code == 302 and seen == [1]
    assert Question.objects.filter(dialogue=dialogue, request_id="e" * 32).exists()
