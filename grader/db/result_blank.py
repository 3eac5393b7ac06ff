"""Each blank of each result as a row, so analytics group by blank, verdict and value in SQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ResultBlank(Base):
    """One blank of one result: its verdict, diagnosis, the value read (as JSON text), points.

    Written by the database itself: triggers on ``results`` (migration 0003) explode a result's
    ``blanks`` into these rows on insert and update, whichever code path wrote the result, and
    a trigger on delete removes them with it (migration 0017). Code only reads this table.
    """

    __tablename__ = "result_blanks"
    __table_args__ = (
        Index("ix_result_blanks_submission_id", "submission_id"),
        {"postgresql_with": {"fillfactor": 70}},
    )

    # No foreign key: written only by the results' triggers, from the rows they insert or
    # update; triggers on results delete them with it and keep its id (migration 0017).
    result_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    blank: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_id: Mapped[int] = mapped_column(BigId)
    verdict: Mapped[str] = mapped_column(String(16))
    diagnosis: Mapped[str | None] = mapped_column(String(64))
    got: Mapped[str | None] = mapped_column(Text)
    points: Mapped[float]
