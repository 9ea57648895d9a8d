"""`eval-motion`: score generated motions (a folder of npz files or a registered model).

PRED_DIR layout: one motion file per generation, ``<sample id>.npz`` in Action Studio's npz
format (``python main.py convert`` writes it; an SMPL/AMASS npz also loads) with the prompt
in its ``text`` key (e.g. ``proc_00017.npz``, ``05_02@0.npz``).  Several generations of one
prompt (for MultiModality) go in as ``<sample id>__<k>.npz``.  When ``text`` is missing or
empty, the corpus' canonical text of ``<sample id>`` is used; files that name no sample and
have no text are rejected.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from app.core.errors import InvalidInputError

SPLITS = ("train", "val", "test")


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("eval-motion", help="text-motion metrics (FID, R-precision, ...) of generated motions")
    p.add_argument("pred_dir", nargs="?", default=None, help="folder of <sample id>.npz generations")
    p.add_argument("--model", default=None, help="a registered generator; 'real' = the ground-truth row")
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--json", default=None, metavar="OUT", help="also write the rows to this JSON file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--evaluator", default=None, help="evaluator folder (default models/evaluator)")
    p.add_argument("--corpus", default=None, help="corpus folder (default data/corpus)")
    return {"eval-motion": cmd_eval_motion}


def _load_predictions(pred_dir: Path, split: str, corpus) -> list:
    from app.core.errors import MotionFileError
    from app.core.motion_io import load_motion
    from app.engine.corpus.dataset import load_corpus

    if not pred_dir.is_dir():
        raise InvalidInputError(f"{pred_dir}: no such directory")
    files = sorted(pred_dir.glob("*.npz"))
    if not files:
        raise InvalidInputError(f"{pred_dir}: no .npz motion files")
    texts = {it.id: it.texts[0] for it in load_corpus(corpus, split)}
    clips = []
    for f in files:
        try:
            clip = load_motion(f)
        except MotionFileError as exc:
            raise InvalidInputError(str(exc)) from None
        if not clip.is_smpl22:
            raise InvalidInputError(f"{f.name}: not an SMPL-22 motion (convert it first)")
        sample_id = f.stem.split("__")[0]
        clip.text = clip.text or texts.get(sample_id, "")
        if not clip.text:
            raise InvalidInputError(f"{f.name}: no 'text' and no {split} sample named {sample_id!r}")
        if clip.num_frames < 6:
            raise InvalidInputError(f"{f.name}: too short ({clip.num_frames} frames)")
        clips.append(clip)
    return clips


def cmd_eval_motion(args: argparse.Namespace) -> int:
    from app.engine.corpus.dataset import DEFAULT_DIR as CORPUS_DIR
    from app.engine.evaluator import generators
    from app.engine.evaluator.evaluate import evaluate_motions, format_table, get_evaluator
    from app.engine.evaluator.model import DEFAULT_DIR as MODEL_DIR

    if (args.pred_dir is None) == (args.model is None):
        raise InvalidInputError("give either PRED_DIR or --model NAME")
    if args.model is not None and args.model not in generators.available():
        raise InvalidInputError(f"unknown model {args.model!r}; available: {', '.join(generators.available())}")
    corpus = Path(args.corpus) if args.corpus else CORPUS_DIR
    if not (corpus / "corpus.npz").is_file():
        raise InvalidInputError(f"{corpus}: no corpus.npz (run scripts/build_corpus.py)")
    try:
        evaluator = get_evaluator(args.evaluator or MODEL_DIR)
    except FileNotFoundError as exc:
        raise InvalidInputError(str(exc)) from None
    if args.model is not None:
        name = args.model
        row = generators.evaluate_model(name, args.split, seed=args.seed, corpus=corpus, evaluator=evaluator)
    else:
        name = Path(args.pred_dir).name or "pred"
        clips = _load_predictions(Path(args.pred_dir), args.split, corpus)
        row = evaluate_motions(clips, args.split, evaluator=evaluator, corpus=corpus, seed=args.seed)
    print(format_table({name: row}))
    if args.json:
        Path(args.json).write_text(json.dumps({name: row}, indent=1))
        print(f"wrote {args.json}")
    return 0
