"""Work-arounds for PySide6 bugs, applied once when app.ui is imported.

PySide6 6.12.0 (on CPython 3.11) returns borrowed references from
``SignalInstance.emit`` (the ``True`` it returns loses one reference per call)
and from ``QCoreApplication.processEvents`` (``None`` loses references). After
some thousands of emits the interpreter aborts with "bool_dealloc: deallocating
True or False". Each fix is applied only when a probe shows the leak, and it
adds back exactly the references the probe saw lost; if the bug is fixed, the
probe sees nothing and nothing is patched.
"""
from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal, SignalInstance

log = logging.getLogger(__name__)

_PROBE_CALLS = 20
_applied: dict[str, int] = {}


class _Probe(QObject):
    ping = Signal()


def _incref(obj: object, times: int) -> None:
    for _ in range(times):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _lost_per_call(fn, obj: object) -> int:
    """References of `obj` lost per call of `fn` (0 when the call is correct)."""
    before = sys.getrefcount(obj)
    for _ in range(_PROBE_CALLS):
        fn()
    lost = before - sys.getrefcount(obj)
    _incref(obj, max(0, lost))  # give back what the probe itself took
    return max(0, round(lost / _PROBE_CALLS))


def _patch_emit() -> None:
    probe = _Probe()
    lost = _lost_per_call(probe.ping.emit, True)
    if not lost:
        return
    original = SignalInstance.emit

    def emit(self, *args):
        result = original(self, *args)
        _incref(result, lost)
        return result

    SignalInstance.emit = emit
    _applied["SignalInstance.emit"] = lost


def _patch_process_events() -> None:
    lost = _lost_per_call(QCoreApplication.processEvents, None)
    if not lost:
        return
    original = QCoreApplication.processEvents

    def process_events(*args, **kwargs):
        result = original(*args, **kwargs)
        _incref(None, lost)
        return result

    QCoreApplication.processEvents = staticmethod(process_events)
    _applied["QCoreApplication.processEvents"] = lost


def apply() -> dict[str, int]:
    """Patch what leaks (idempotent); returns {patched function: references restored per call}."""
    if not _applied:
        for patch in (_patch_emit, _patch_process_events):
            try:
                patch()
            except Exception:  # noqa: BLE001 - a work-around must never stop the app
                log.debug("PySide6 work-around %s failed", patch.__name__, exc_info=True)
        if _applied:
            log.debug("PySide6 reference-count work-arounds applied: %s", _applied)
        _applied.setdefault("checked", 0)
    return {k: v for k, v in _applied.items() if k != "checked"}


apply()
