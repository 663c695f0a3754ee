"""Permission names of the consultation on drafts, each with its predicate.

Agency staff act only on their own agency's drafts; moderators and administrators on all.
"""

from typing import Any

from consult import rules


def _agency_id(obj: Any) -> int | None:
    if obj is None:
        return None
    return getattr(obj, "agency_id", None)


def _manages(user: Any, obj: Any) -> bool:
    if rules.is_moderator(user):
        return True
    if obj is None:
        return rules.role_of(user) == rules.AGENCY_STAFF and user.agency_id is not None
    return rules.is_agency_staff_of(user, _agency_id(obj))


MANAGE_DRAFT = rules.register("drafts.manage_draft", _manages)
VIEW_ALL_COMMENTS = rules.register("drafts.view_all_comments", _manages)
SET_DISPOSITION = rules.register("drafts.set_disposition", _manages)
ENTER_OFFLINE_COMMENT = rules.register("drafts.enter_offline_comment", _manages)
EXPORT_COMMENTS = rules.register("drafts.export_comments", _manages)
VIEW_CONTACTS = rules.register("drafts.view_contacts", _manages)
MODERATE_COMMENT = rules.register(
    "drafts.moderate_comment", lambda user, obj: rules.is_moderator(user)
)
