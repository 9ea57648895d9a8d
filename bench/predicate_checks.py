"""Threshold checks of the prompt-following predicates on real mocap and an audit of the
procedural atoms against their own family predicate (used by ``bench_prompts.py --check-real
/ --audit-atoms``)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import evaluate

log = logging.getLogger(__name__)

WALKS = ("walk", "slow walk", "brisk walk", "walk/stride", "slow walk/stride", "walk, exaggerated stride",
         "walk on uneven terrain")
DANCES = ("salsa", "indian", "dance_a", "dance_b")

# (name, labels the window's meta label must be one of, predicate, kwargs, expected)
REAL_CHECKS: list[tuple[str, tuple[str, ...], str, dict, bool]] = [
    ("walk -> walk_forward", WALKS, "walk_forward", {}, True),
    ("slow walk -> slow", ("slow walk", "slow walk/stride"), "walk_forward", {"speed": "slow"}, True),
    ("brisk walk -> fast", ("brisk walk",), "walk_forward", {"speed": "fast"}, True),
    ("walk -/-> run", WALKS, "run", {}, False),
    ("walk -/-> walk_backward", WALKS, "walk_backward", {}, False),
    ("walk -/-> jump", WALKS, "jump", {}, False),
    ("jog/run -> run", ("jog", "run"), "run", {}, True),
    ("jog/run -/-> walk_forward", ("jog", "run"), "walk_forward", {}, False),
    ("stealthy walk -> sneak", ("stealthy_walk",), "sneak", {}, True),
    ("backward dribble -> walk_backward", ("basketball - backward dribble",), "walk_backward", {}, True),
    ("jump -> jump", ("jump", "jump, balance"), "jump", {}, True),
    ("forward jump -> jump forward", ("forward jump", "playground - forward jumps, turn around"), "jump",
     {"direction": "forward"}, True),
    ("DM jump x3 -> jump forward count 3", ("deepmimic:jump",), "jump", {"direction": "forward", "count": 3}, True),
    ("punch/strike -> punch", ("punch/strike",), "punch", {}, True),
    ("DM punch -> punch right", ("deepmimic:punch",), "punch", {"side": "right"}, True),
    ("DM kick -> kick right", ("deepmimic:kick",), "kick", {"side": "right"}, True),
    ("DM kick -/-> kick left", ("deepmimic:kick",), "kick", {"side": "left"}, False),
    ("DM spin -> spin", ("deepmimic:spin", "dance_spin"), "spin", {}, True),
    ("90-degree left turns -> turn left", ("basketball - forward dribble, 90-degree left turns",), "turn",
     {"side": "left", "degrees": 60}, True),
    ("getup -> stand_up", ("getup_facedown", "getup_faceup"), "stand_up", {}, True),
    ("dances -> dance", DANCES, "dance", {}, True),
    ("dances -/-> idle", DANCES, "idle", {}, False),
    ("crawl -/-> walk_forward", ("crawl",), "walk_forward", {}, False),
]


@dataclass
class CheckRow:
    name: str
    n: int
    agree: int
    failures: list[str]
    values: dict


def _label_of(w) -> set[str]:
    lab = w.meta.get("label", "")
    return {lab, f"{w.meta.get('source', '').split('-')[0]}:{lab}"}


def check_real(windows=None) -> list[CheckRow]:
    """Each REAL_CHECKS row on its matching real windows: how many agree with the expectation."""
    if windows is None:
        from app.engine.corpus.real_mocap import load_real_corpus
        windows = load_real_corpus()
    kins = {}
    rows = []
    for name, labels, pred, kw, expected in REAL_CHECKS:
        match = [i for i, w in enumerate(windows) if _label_of(w) & set(labels)]
        agree, fails, vals = 0, [], []
        for i in match:
            if i not in kins:
                kins[i] = Kin.from_clip(windows[i].clip)
            v = evaluate(pred, kins[i], **kw)
            vals.append(v.values)
            if bool(v.ok) == expected:
                agree += 1
            else:
                fails.append(f"{windows[i].clip.name} {v.values}")
        med = {k: round(float(np.median([v[k] for v in vals])), 3) for k in (vals[0] if vals else {})}
        rows.append(CheckRow(name, len(match), agree, fails, med))
    return rows


# atom -> (predicate, kwargs from the atom's params)
def _side(p):
    return p.get("side")


AUDIT: dict[str, tuple[str, object]] = {
    "walk": ("walk_forward", lambda p: {}), "jog": ("run", lambda p: {}), "run": ("run", lambda p: {}),
    "walk_backward": ("walk_backward", lambda p: {}), "sneak": ("sneak", lambda p: {}),
    "side_step": ("side_step", lambda p: {"side": p["side"], "count": p["steps"]}),
    "turn": ("turn", lambda p: {"side": p["side"], "degrees": 0.75 * p["angle"]}),
    "walk_circle": ("walk_circle", lambda p: {"side": p["side"]}), "stop": ("stop", lambda p: {}),
    "march": ("march", lambda p: {}),
    "jump": ("jump", lambda p: {"count": p["reps"], "direction": "place"}),
    "jump_forward": ("jump", lambda p: {"count": p["reps"], "direction": "forward"}),
    "jump_sideways": ("jump", lambda p: {"count": p["reps"], "direction": p["side"]}),
    "jumping_jacks": ("jumping_jacks", lambda p: {"count": p["reps"]}),
    "hop": ("hop", lambda p: {"side": p["side"], "count": p["reps"]}),
    "squat": ("squat", lambda p: {"count": p["reps"]}), "lunge": ("lunge", lambda p: {"side": p["side"]}),
    "kick": ("kick", lambda p: {"side": p["side"], "count": p["reps"]}),
    "knee_raise": ("knee_raise", lambda p: {"side": p["side"], "count": p["reps"]}),
    "kneel": ("kneel", lambda p: {}), "sit_down": ("sit_floor", lambda p: {}),
    "stand_up": ("stand_up", lambda p: {}), "crouch": ("crouch", lambda p: {}),
    "calf_raise": ("calf_raise", lambda p: {"count": p["reps"]}),
    "wave": ("wave", lambda p: {"side": p["side"], "count": p["reps"]}),
    "raise_arms": ("raise_arms", lambda p: {"side": p["side"], "direction": p["direction"]}),
    "clap": ("clap", lambda p: {"count": p["reps"]}),
    "punch": ("punch", lambda p: {"side": p["side"], "count": p["reps"]}),
    "throw": ("throw", lambda p: {"side": p["side"]}),
    "reach_forward": ("raise_arms", lambda p: {"side": p["side"], "direction": "forward"}),
    "point": ("raise_arms", lambda p: {"side": p["side"], "direction": "forward"}),
    "bow": ("bow", lambda p: {}), "stretch": ("raise_arms", lambda p: {"side": "both", "direction": "up"}),
    "drink": ("hand_to_head", lambda p: {"side": p["side"]}),
    "scratch_head": ("hand_to_head", lambda p: {"side": p["side"]}),
    "arm_circles": ("arm_circles", lambda p: {"side": p["side"], "count": p["reps"]}),
    "hands_on_hips": ("hands_on_hips", lambda p: {}), "cross_arms": ("cross_arms", lambda p: {}),
    "idle": ("idle", lambda p: {}), "spin": ("spin", lambda p: {"side": p["side"], "turns": p["turns"]}),
    "dance": ("dance", lambda p: {}), "toe_touch": ("toe_touch", lambda p: {}),
    "side_bend": ("side_bend", lambda p: {"side": p["side"]}), "torso_twist": ("torso_twist", lambda p: {}),
}
MIRROR = {"left": "right", "right": "left"}


def atom_sides(name: str) -> list[str | None]:
    """The sides an atom is audited on: left and right where its ``side`` parameter offers them, else [None]."""
    from app.engine.corpus.registry import ATOMS
    if "side" not in ATOMS[name].params:
        return [None]
    return [s for s in ("left", "right") if s in ATOMS[name].params["side"].choices]


def audit_atoms(seed: int = 0) -> list[dict]:
    """Every registered atom (defaults; side atoms on both sides) against its predicate, plus the
    opposite side's predicate (expected to fail: the 'named limb moves' check)."""
    from app.engine.corpus.registry import ATOMS, generate, resolve_params
    rows = []
    for name in ATOMS:
        if name not in AUDIT:
            rows.append(dict(atom=name, params={}, check="(no predicate)", expected=None, ok=None, values={}))
            continue
        pred, kwf = AUDIT[name]
        for s in atom_sides(name):
            params = resolve_params(name, {} if s is None else {"side": s})
            kin = Kin.from_clip(generate(name, params, rng=np.random.default_rng(seed)))
            kw = kwf(params)
            v = evaluate(pred, kin, **kw)
            rows.append(dict(atom=name, params=params, check=f"{pred}{kw}", expected=True, ok=bool(v.ok),
                             named=v.named_moves, values=v.values))
            if s is not None and kw.get("side") in MIRROR or kw.get("direction") in MIRROR:
                kw2 = {k: (MIRROR.get(v2, v2) if k in ("side", "direction") else v2) for k, v2 in kw.items()}
                v2 = evaluate(pred, kin, **kw2)
                rows.append(dict(atom=name, params=params, check=f"{pred}{kw2}", expected=False, ok=bool(v2.ok),
                                 named=v2.named_moves, values=v2.values))
    return rows


def single_action_items(split: str, start: bool = False, paced: bool = False):
    """(item, atom, params, predicate, kwargs, ground truth passes) for each single-action procedural item
    of a corpus split whose atom has a predicate (the atom audit's mapping). ``start``: the samples that
    start seated on the floor instead (``app/engine/corpus/start_states.py``; not in the corpus file);
    ``paced``: the paced samples (``app/engine/corpus/paced.py``: a counted action with standing around it)."""
    from app.engine.corpus.dataset import CorpusItem, load_corpus
    if start or paced:
        from app.engine.corpus.paced import iter_paced_samples
        from app.engine.corpus.start_states import iter_start_samples
        rows = iter_start_samples(split) if start else iter_paced_samples(split)
        items = [CorpusItem(id_, clip, texts, split, "procedural", meta) for id_, clip, texts, meta in rows]
    else:
        items = load_corpus(split=split, include_real=False)
    for it in items:
        atoms = it.meta.get("atoms", [])
        if len(atoms) != 1 or atoms[0][0] not in AUDIT:
            continue
        name, params = atoms[0]
        pred, kwf = AUDIT[name]
        kw = kwf(params)
        yield it, name, params, pred, kw, bool(evaluate(pred, Kin.from_clip(it.clip), **kw).ok)


def audit_corpus(split: str = "train") -> dict[str, tuple[int, int, list[dict]]]:
    """Every single-action procedural item of a corpus split (the parameters the corpus drew, not the
    defaults) against its atom's predicate: atom -> (passed, items, params of the first failures)."""
    out: dict[str, tuple[int, int, list[dict]]] = {}
    for _, name, params, _, _, ok in single_action_items(split):
        passed, n, fails = out.get(name, (0, 0, []))
        if not ok and len(fails) < 2:
            fails = fails + [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in params.items()}]
        out[name] = (passed + ok, n + 1, fails)
    return dict(sorted(out.items()))
