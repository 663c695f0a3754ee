from consult import rules

MODERATE = rules.register("moderation.moderate", lambda user, obj: rules.is_moderator(user))
VIEW_AUDIT_LOG = rules.register(
    "moderation.view_audit_log", lambda user, obj: rules.is_staff_member(user)
)
MANAGE_REASONS = rules.register("moderation.manage_reasons", lambda user, obj: rules.is_admin(user))
EXPORT_AUDIT_LOG = rules.register(
    "moderation.export_audit_log", lambda user, obj: rules.is_admin(user)
)
