"""Where ATOM loses an action: decoded from the posterior (the encoder's z of the val motion) or from the prior.

    .venv/bin/python scripts/atom_posterior_vs_prior.py models/atom

Per atom, on the corpus val split's single-action items (as scripts/atom_val_predicates.py): the share of
kinematic checks passed when the item's own motion is encoded and decoded (posterior means, global and local
latents) and when z is drawn from the prior (2 seeds); features to clip with limbs from positions, no foot lock.
An action that fails from the posterior is the decoder's; one that passes from the posterior only, the prior's.
"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / 'bench'), str(ROOT / 'scripts')]
import argparse  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main() -> int:
    from atom_val_predicates import val_items

    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    from app.engine.repr.humanml3d import clip_to_features, features_to_clip
    from app.engine.t2m.data import model_input
    from app.engine.t2m.pipeline import TextToMotionPipeline
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)
    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    m, norm = pipe.model, pipe.normalizer
    res: dict = defaultdict(lambda: defaultdict(list))
    for it, pred, kw, _family, _side in val_items(None):
        f = clip_to_features(it.clip)[:200]
        x = torch.from_numpy(model_input(norm, f)[None].astype(np.float32))
        n = x.shape[1]
        cond = pipe.encode_texts([it.texts[0]])
        with torch.no_grad():
            outs = [("post", m.reconstruct(x, torch.tensor([n]), cond)[0].numpy())]
            outs += [("prior", m.sample(cond, n, torch.Generator().manual_seed(s))[0][0].numpy())
                     for s in range(args.seeds)]
        atom = it.meta["atoms"][0][0]
        for kind, o in outs:
            clip = features_to_clip(norm.denormalize(o), 20.0, limbs="positions")
            res[atom][kind].append(bool(evaluate(pred, Kin.from_clip(clip), **kw).ok))
    total: dict = defaultdict(list)
    for atom in sorted(res):
        print(atom, {k: f"{sum(v)}/{len(v)}" for k, v in res[atom].items()})
        for k, v in res[atom].items():
            total[k] += v
    print("ALL", {k: round(float(np.mean(v)), 3) for k, v in total.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
