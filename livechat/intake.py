"""Group commit of the citizens' questions that reach the JSON API together.

During a live dialogue questions arrive in bursts (hundreds a second when a broadcast asks for
them). Committed one by one, each pays its own transaction, about eight statements, an inbox
refresh and a channel-layer doorbell, and its request holds a database connection meanwhile.
Here the questions that arrive while a batch is being committed wait for the next one, and
each batch is committed by `services.questions_submit` in one transaction: the cost per
question falls as the rate rises, and no question waits longer than the batch before it.

No background task: the first submission to find nobody committing leads, that is commits the
queue (its own included) in its own request's thread, then hands the lead to the next waiting
submission, if any, which commits what arrived meanwhile. So a batch always runs in a live
request's context (its thread, its database connection; under the test client the test's), a
single question commits at once with nobody to wait for, and nothing is left running when the
requests are done. A 201 is only ever answered after the commit.

State is per event loop: a server process has one loop, so one queue; a test client's request
runs on a loop of its own, so its batch holds one question.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.utils.translation import gettext as _

from consult.errors import Busy
from livechat import services
from livechat.models import Question
from livechat.services import QuestionSubmission, SubmitOutcome

logger = logging.getLogger(__name__)

# At most this many questions per transaction: bounds a batch's time (and so the wait of the
# submissions behind it) and the size of its statements.
BATCH_MAX = 100

# At most this many questions wait in one process; past it a question is refused at once with
# 503 `busy` and Retry-After, and nothing is done. A burst beyond what the process can commit
# then costs the askers a retry (the page retries with the same request_id) instead of
# growing a queue whose every request holds a socket and waits longer and longer.
QUEUE_MAX = 2000
BUSY_RETRY_AFTER = 2

# The lead handed to a waiting submission, in place of its outcome.
_LEAD = object()


@dataclass
class _Waiting:
    submission: QuestionSubmission
    future: asyncio.Future[Any]


@dataclass
class _Queue:
    waiting: list[_Waiting] = field(default_factory=list)
    leading: bool = False


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()


async def question_submit(submission: QuestionSubmission) -> tuple[Question, bool]:
    """Commit one citizen's question with the others arriving at the same moment.

    Anyone may call it (the API does, after `services.question_fields_clean`). Returns
    (question, created) once its batch has committed, or raises what this question met
    (NotFound, Conflict, TooMany; a database error fails the batch's every question), or Busy
    at once when QUEUE_MAX questions are already waiting in this process. Emits
    what `services.questions_submit` emits, once per batch.
    """
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _Queue()
    if len(queue.waiting) >= QUEUE_MAX:
        raise Busy(
            _("Hệ thống đang nhận quá nhiều câu hỏi cùng lúc. Vui lòng gửi lại sau giây lát."),
            retry_after=BUSY_RETRY_AFTER,
        )
    me = _Waiting(submission, loop.create_future())
    queue.waiting.append(me)
    if queue.leading:
        waited = me.future
        try:
            outcome = await waited
        except asyncio.CancelledError:
            if waited.done() and not waited.cancelled() and waited.result() is _LEAD:
                # Cancelled (the client went away) just as the lead reached it: pass it on,
                # or the submissions behind would wait for ever.
                me.future.cancel()
                _hand_over(queue)
            raise
        if outcome is not _LEAD:
            return _outcome(outcome)
    queue.leading = True
    await _lead(queue)
    return _outcome(me.future.result())


def question_submit_blocking(submission: QuestionSubmission) -> tuple[Question, bool]:
    """`question_submit` for synchronous code (the live page's question form): under the ASGI
    server the submission joins the process's queue on the server's loop, and a batch it leads
    runs in this very thread; elsewhere (a test client, a script) it commits on its own."""
    return async_to_sync(question_submit)(submission)


def _outcome(outcome: SubmitOutcome) -> tuple[Question, bool]:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def _lead(queue: _Queue) -> None:
    """Commit the waiting submissions (this one's included) in one batch, in this request's
    thread, answer each, and hand the lead on. The commit is shielded: were this request
    cancelled, the others of its batch are still answered and the lead still passes on."""
    batch = [w for w in queue.waiting[:BATCH_MAX] if not w.future.done()]
    del queue.waiting[:BATCH_MAX]
    commit = asyncio.ensure_future(
        sync_to_async(services.questions_submit)([w.submission for w in batch])
    )
    commit.add_done_callback(lambda done: _answer(queue, batch, done))
    try:
        await asyncio.shield(commit)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: S110 (each question, this one's too, gets it through its future)
        pass


def _answer(queue: _Queue, batch: list[_Waiting], commit: asyncio.Future[Any]) -> None:
    error = None if commit.cancelled() else commit.exception()
    if commit.cancelled() or error is not None:
        if error is not None:
            logger.error("question intake: a batch of %d failed", len(batch), exc_info=error)
        for waiting in batch:
            if waiting.future.done():
                continue
            if error is None:
                waiting.future.cancel()
            else:
                waiting.future.set_exception(error)
    else:
        for waiting, outcome in zip(batch, commit.result(), strict=True):
            if not waiting.future.done():
                waiting.future.set_result(outcome)
    _hand_over(queue)


def _hand_over(queue: _Queue) -> None:
    """Give the lead to the first submission still waiting (a fresh future for its own
    outcome), or let the next one to arrive take it."""
    while queue.waiting and queue.waiting[0].future.done():
        queue.waiting.pop(0)  # cancelled while waiting: never committed, nothing to answer
    if not queue.waiting:
        queue.leading = False
        return
    head = queue.waiting[0]
    turn, head.future = head.future, head.future.get_loop().create_future()
    turn.set_result(_LEAD)
