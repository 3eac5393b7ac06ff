"""Leave room on the pages of results and result_blanks for regrades, and let result_history
name its batch without a foreign key.

A regrade rewrites every result of an exercise and the per-blank rows whose verdict changed.
With free space on each page (PostgreSQL's ``fillfactor``) the new version of a row stays on
its page: the update is HOT and touches no index. Pages written before this migration fill up
as before until rows move.

An archived result records the batch that replaced it; checking that reference locked the one
batch row once per archived result (thousands per chunk, from every worker at once). The
column stays; batches are never deleted, and the audit record keeps its number if one were.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESULTS_FILLFACTOR = 50
RESULT_BLANKS_FILLFACTOR = 70


def upgrade() -> None:
    with op.batch_alter_table("result_history", schema=None) as batch_op:
        batch_op.drop_constraint("fk_result_history_batch_id_batches", type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE results SET (fillfactor = {RESULTS_FILLFACTOR})")
        op.execute(f"ALTER TABLE result_blanks SET (fillfactor = {RESULT_BLANKS_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE result_blanks RESET (fillfactor)")
        op.execute("ALTER TABLE results RESET (fillfactor)")
    with op.batch_alter_table("result_history", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_result_history_batch_id_batches",
            "batches",
            ["batch_id"],
            ["id"],
            ondelete="SET NULL",
        )
