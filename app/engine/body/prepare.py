"""One-time preparation and per-process loading of the Anny body model.

The first ``anny.Anny()`` builds about 790 MB of model data (about a minute);
later ones load the cached data in well under a second. :func:`prepare_anny`
runs that step as an engine task with time-based progress, and
:func:`load_anny_model` keeps one float32 model per cache folder and process.

Cache folder: ``$ACTION_STUDIO_CACHE/anny`` (default ``~/.cache/action-studio/anny``).
When that one is not prepared but Anny's own cache (``$ANNY_CACHE_DIR`` or
``~/.cache/anny``) is, that one is reused: the data is content-addressed, so it
is the same. Warp's kernel cache goes to ``$ACTION_STUDIO_CACHE/warp`` unless
``WARP_CACHE_PATH`` is already set.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator

from app.engine.jobs import Progress

if TYPE_CHECKING:
    from app.engine.body.anny_body import AnnyBody

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}
_FIRST_BUILD_S = 75.0   # rough duration of the first instantiation on 2 CPU cores
_CACHED_LOAD_S = 3.0    # loading cached data + compiling the skinning kernel


def app_cache_root() -> Path:
    """The app's cache root: $ACTION_STUDIO_CACHE or ~/.cache/action-studio."""
    env = os.environ.get("ACTION_STUDIO_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "action-studio"


def default_anny_cache_dir() -> Path:
    return app_cache_root() / "anny"


def _library_cache_dir() -> Path:
    env = os.environ.get("ANNY_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "anny"


def is_anny_prepared(cache_dir: str | Path | None = None) -> bool:
    """Fast check: does the folder hold Anny's built (compact) model data?"""
    folder = Path(cache_dir).expanduser() if cache_dir is not None else resolve_anny_cache_dir()
    try:
        return any(p.stat().st_size > 0 for p in folder.glob("v*/build_compact_model_data_*.safetensors"))
    except OSError:
        return False


def resolve_anny_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The cache folder to use: the given one, else the app default, else a prepared Anny cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    default = default_anny_cache_dir()
    if is_anny_prepared(default):
        return default
    library = _library_cache_dir()
    if library != default and is_anny_prepared(library):
        return library
    return default


def _configure_environment(folder: Path) -> None:
    """Point Anny and Warp at our cache folders (before their first import)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["ANNY_CACHE_DIR"] = str(folder)
    os.environ.setdefault("WARP_CACHE_PATH", str(app_cache_root() / "warp"))


def _quiet_warp() -> None:
    """Keep Warp's init banner and kernel-load lines out of the app's output."""
    try:
        import warp

        warp.config.log_level = warp.LOG_WARNING
    except (ImportError, AttributeError):  # pragma: no cover - warp comes with anny
        log.debug("could not quiet warp", exc_info=True)


def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_anny_model(cache_dir: str | Path | None = None) -> Any:
    """The float32 ``anny.Anny`` model for this process (built on first use; thread-safe, blocking)."""
    folder = resolve_anny_cache_dir(cache_dir)
    key = str(folder.resolve())
    with _LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        _configure_environment(folder)
        import torch

        _quiet_warp()
        import anny
        import anny.paths

        anny.paths.set_anny_cache_path(folder)
        start = time.monotonic()
        model = anny.Anny().to(device=torch_device(), dtype=torch.float32)
        model.eval()
        log.info("Anny model ready in %.1f s (cache %s)", time.monotonic() - start, folder)
        _MODELS[key] = model
        return model


def cached_anny_model(cache_dir: str | Path | None = None) -> Any | None:
    """The model already loaded in this process for that cache folder, if any (never loads)."""
    key = str(resolve_anny_cache_dir(cache_dir).resolve())
    return _MODELS.get(key)  # no lock: a build in progress must not block this check


def _estimate(elapsed: float, expected: float) -> float:
    """Time-based progress: linear to 0.9 at the expected time, then creeping towards 0.99."""
    if elapsed <= expected:
        return 0.9 * elapsed / expected
    return 0.99 - 0.09 * expected / elapsed


def prepare_anny(cache_dir: str | Path | None = None) -> Generator[Any, None, "AnnyBody"]:
    """Engine task: make sure Anny is built, loaded and its skinning kernel compiled; returns an AnnyBody."""
    from app.engine.body.anny_body import AnnyBody

    folder = resolve_anny_cache_dir(cache_dir)
    model = cached_anny_model(folder)
    if model is not None:
        yield Progress(1.0, "Body model ready")
        return AnnyBody(model)
    first = not is_anny_prepared(folder)
    expected = _FIRST_BUILD_S if first else _CACHED_LOAD_S
    message = ("Preparing body model (one-time, a minute or two)..." if first
               else "Loading body model...")
    yield Progress(0.0, message)
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            model = load_anny_model(folder)
            body = AnnyBody(model)
            body.rest_vertices()  # builds the rest state and compiles the skinning kernel
            result["body"] = body
        except BaseException as exc:  # noqa: BLE001 - re-raised on the task's thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="prepare-anny", daemon=True)
    start = time.monotonic()
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
        yield Progress(_estimate(time.monotonic() - start, expected), message)
    if "error" in result:
        raise result["error"]
    log.info("Anny prepared in %.1f s", time.monotonic() - start)
    yield Progress(1.0, "Body model ready")
    return result["body"]
