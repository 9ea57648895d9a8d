"""Batch work at scale: fan items (videos, motions, prompts) out over Ray worker processes,
stream every result to ``results.jsonl`` / ``results.csv``, resume, retry failures once.

Entry point: :func:`app.engine.batch.runner.run_batch` (an engine task); tasks are listed in
:mod:`app.engine.batch.registry`. Qt-free; Ray is imported only when a batch starts.
"""
from app.engine.batch.items import BatchItem, make_items
from app.engine.batch.registry import TASKS, BatchTask, get_task, register_task
from app.engine.batch.store import ResultStore, read_rows

__all__ = ["BatchItem", "BatchTask", "ResultStore", "TASKS", "get_task", "make_items", "read_rows", "register_task"]
