"""Thin glue between the database and the grading core: what views, tasks and commands call."""
