"""Permission names of the live dialogues, each with its predicate."""

from consult import rules

MANAGE_DIALOGUE = rules.register(
    "livechat.manage_dialogue", lambda user, obj: rules.is_moderator(user)
)
MODERATE_QUESTION = rules.register(
    "livechat.moderate_question", lambda user, obj: rules.is_moderator(user)
)
VIEW_STAFF_QUEUE = rules.register(
    "livechat.view_staff_queue",
    lambda user, obj: rules.is_moderator(user) or rules.is_leader(user),
)
PRESENT = rules.register(
    "livechat.present", lambda user, obj: rules.is_moderator(user) or rules.is_leader(user)
)
ANSWER_QUESTION = rules.register(
    "livechat.answer_question", lambda user, obj: rules.is_moderator(user) or rules.is_leader(user)
)
EXPORT_TRANSCRIPT = rules.register(
    "livechat.export_transcript",
    lambda user, obj: rules.is_moderator(user) or rules.is_leader(user),
)
