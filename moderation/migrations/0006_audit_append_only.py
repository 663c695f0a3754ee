"""The audit log is append-only in the database too: a trigger refuses UPDATE and DELETE.

Why not everything everywhere:
- PostgreSQL: one BEFORE UPDATE OR DELETE row trigger. TRUNCATE fires no row trigger, which is
  what Django's test flush (and an operator with the table's owner rights) uses; the
  application never issues TRUNCATE.
- SQLite: UPDATE only. SQLite has no TRUNCATE: Django empties tables with DELETE (the test
  flush between transactional tests, `manage.py flush`), and a trigger cannot tell that from
  any other DELETE. Deletion is refused there by the model, the queryset and the admin
  (moderation/audit.py). See docs/audit-log.md.
Other databases get no trigger (none is supported by Consult).
"""

from django.db import migrations

TABLE = "moderation_auditentry"

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION moderation_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on {TABLE} refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS moderation_auditentry_append_only ON {TABLE};
CREATE TRIGGER moderation_auditentry_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION moderation_auditentry_append_only();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS moderation_auditentry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS moderation_auditentry_append_only();
"""

SQLITE_CREATE = [
    "DROP TRIGGER IF EXISTS moderation_auditentry_no_update",
    f"""CREATE TRIGGER moderation_auditentry_no_update BEFORE UPDATE ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on {TABLE} refused');
    END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS moderation_auditentry_no_update"]


def _run(schema_editor, statements):
    if isinstance(statements, str):
        statements = [statements]
    for sql in statements:
        schema_editor.execute(sql, params=None)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0005_flag_term")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
