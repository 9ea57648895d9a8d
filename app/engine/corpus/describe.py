"""Text descriptions of atoms: many phrasings and synonyms with the parameters put into words.

`phrase(name, params, rng)` gives a third-person verb phrase ("waves with the left hand
three times"); `describe` prefixes a subject. Fields in templates: {side} left/right,
{hand} "left hand"/"both hands", {arm}, {leg}, {times} ("twice"), {n} ("three"), {adv}
speed adverb, {dir} turn/step direction, {deg} angle words, {around} ("around" only for half turns).
"""
from __future__ import annotations

from typing import Collection

import numpy as np

SUBJECTS = ("a person", "someone", "a man", "a woman", "the person", "a figure", "somebody", "the man", "the woman")
NUM = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}

T: dict[str, list[str]] = {
    "walk": ["walks forward{adv}", "walks straight ahead{adv}", "takes {n} steps forward{adv}", "strolls forward{adv}",
             "walks a few steps{adv}", "moves forward on foot{adv}", "goes for a short walk forward{adv}"],
    "jog": ["jogs forward{adv}", "jogs a few steps{adv}", "runs at a jog{adv}", "does a light jog forward{adv}",
            "jogs straight ahead{adv}"],
    "run": ["runs forward{adv}", "sprints ahead{adv}", "runs straight ahead{adv}", "breaks into a run{adv}",
            "dashes forward{adv}"],
    "walk_backward": ["walks backwards{adv}", "steps backward {n} times{adv}", "backs up{adv}", "walks in reverse{adv}",
                      "moves backwards on foot{adv}"],
    "sneak": ["sneaks forward{adv}", "tiptoes forward in a crouch", "creeps forward quietly", "walks stealthily ahead",
              "sneaks ahead bent over"],
    "side_step": ["side-steps to the {side}", "shuffles sideways to the {side}", "steps to the {side} {times}",
                  "moves sideways to the {side}", "takes {n} side steps to the {side}"],
    "turn": ["turns to the {side}", "turns {side} on the spot", "turns {around} to the {side}",
             "rotates {deg} to the {side}", "pivots to the {side}", "turns {deg} to the {side} in place"],
    "walk_circle": ["walks in a circle to the {side}", "walks around in a {side} circle", "circles to the {side} on foot",
                    "walks a loop turning {side}", "walks in a curve to the {side}"],
    "stop": ["walks briskly and stops abruptly", "walks forward then comes to a sudden stop", "hurries forward and halts",
             "walks and suddenly stops", "walks fast, then brakes to a standstill"],
    "march": ["marches on the spot", "marches in place lifting the knees high", "marches in place {times}",
              "does high-knee marching in place", "marches without moving forward"],
    "jump": ["jumps {times}", "jumps up and down {times}", "hops in place {times}", "jumps in place {times}",
             "does {n} vertical jumps", "leaps straight up {times}"],
    "jump_forward": ["jumps forward {times}", "leaps forward {times}", "does a broad jump forward",
                     "jumps ahead with both feet {times}", "long-jumps forward {times}"],
    "jump_sideways": ["jumps to the {side} {times}", "hops sideways to the {side}", "leaps to the {side} {times}",
                      "jumps sideways toward the {side}", "does a lateral jump to the {side}"],
    "jumping_jacks": ["does {n} jumping jacks", "does jumping jacks", "performs {n} jumping jacks",
                      "does star jumps", "does {n} star jumps"],
    "hop": ["hops on the {side} leg {times}", "hops on one foot {times}", "hops {times} on the {side} foot",
            "balances on the {side} leg and hops", "does {n} one-legged hops on the {side}"],
    "squat": ["squats {times}", "does {n} squats{adv}", "squats down and stands back up{adv}", "bends the knees into a squat {times}",
              "performs squats{adv}", "does a deep knee bend {times}"],
    "lunge": ["lunges forward with the {side} leg", "does a {side} lunge {times}", "steps into a lunge with the {side} foot",
              "does {n} forward lunges on the {side}", "lunges with the {side} leg{adv}"],
    "kick": ["kicks with the {side} leg {times}", "kicks forward with the {side} foot", "does a front kick with the {side} leg",
             "kicks {times} with the {side} foot", "throws a {side} kick"],
    "knee_raise": ["raises the {side} knee {times}", "lifts the {side} knee up {times}", "does {n} knee raises",
                   "brings the {side} knee up to the chest", "does high knee raises with the {side} leg"],
    "kneel": ["kneels down on the {side} knee and gets back up", "goes down on one knee and stands again",
              "kneels on the {side} knee briefly", "drops to one knee, then rises", "kneels down and stands back up"],
    "sit_down": ["sits down on the floor", "sits down on the ground", "lowers down to sit on the floor{adv}",
                 "takes a seat on the ground", "squats down and sits on the floor"],
    "stand_up": ["stands up from the floor", "gets up off the ground{adv}", "rises from sitting on the floor",
                 "gets up from the floor", "stands back up from the ground"],
    "crouch": ["crouches down and looks around", "crouches low and stands up again", "squats down low on the toes",
               "ducks down into a crouch", "crouches down{adv} then rises"],
    "step_up": ["steps up onto a step with the {side} foot and back down", "steps up on a box and steps down",
                "does a step-up leading with the {side} leg", "climbs onto a step and back down",
                "steps up and down a platform"],
    "calf_raise": ["rises onto the toes {times}", "does {n} calf raises", "stands on tiptoes {times}",
                   "lifts the heels off the ground {times}", "raises up on the toes{adv}"],
    "wave": ["waves with the {hand} {times}", "waves hello with the {hand}", "{adv_pre}waves the {hand} {times}",
             "raises the {hand} and waves", "waves goodbye with the {hand}", "waves {times} using the {hand}"],
    "raise_arms": ["raises the {arm} {updir}", "lifts the {arm} {updir}", "puts the {arm} {updir}",
                   "holds the {arm} {updir}", "raises the {arm} {updir} and lowers {them}"],
    "clap": ["claps {times}", "claps the hands {times}", "applauds", "claps {n} times{adv}", "gives a round of applause"],
    "punch": ["punches with the {hand} {times}", "throws {n} punches", "punches forward with the {arm}",
              "boxes with the {arm} {times}", "jabs forward {times}"],
    "throw": ["throws something with the {side} hand", "throws a ball overhand with the {side} arm",
              "makes a throwing motion with the {side} arm", "winds up and throws with the {side} hand",
              "tosses an object forward with the {side} hand"],
    "reach_forward": ["reaches forward with the {hand}", "reaches out in front with the {hand}",
                      "stretches the {arm} forward", "reaches for something ahead with the {hand}",
                      "extends the {arm} forward"],
    "point": ["points {pdir} with the {side} hand", "points {pdir}", "points {pdir} using the {side} arm",
              "indicates something {pdir} with the {side} hand", "raises the {side} arm and points {pdir}"],
    "bow": ["bows", "takes a bow", "bows down{adv}", "bends forward in a bow", "bows politely", "makes a deep bow"],
    "stretch": ["stretches the arms overhead", "stretches upward", "reaches both arms up in a stretch",
                "does an overhead stretch", "stretches up on the toes"],
    "shrug": ["shrugs the shoulders {times}", "shrugs {times}", "gives a shrug", "lifts the shoulders in a shrug",
              "shrugs{adv}"],
    "look_around": ["looks around", "looks left and right", "turns the head to look around{adv}",
                    "glances from side to side", "scans the surroundings"],
    "check_watch": ["checks the watch on the left wrist", "looks at the watch", "glances at the wristwatch",
                    "raises the left arm to check the time", "checks the time on the watch"],
    "drink": ["drinks with the {side} hand", "takes a sip from a cup", "brings a cup to the mouth with the {side} hand",
              "drinks from a bottle {times}", "takes {n} sips of a drink"],
    "arm_circles": ["does arm circles with the {arm}", "circles the {arm} {times}", "rotates the {arm} in circles",
                    "swings the {arm} in circles", "does {n} arm circles"],
    "hands_on_hips": ["puts the hands on the hips", "stands with hands on the hips", "rests both hands on the hips",
                      "places the hands on the waist", "stands akimbo for a moment"],
    "scratch_head": ["scratches the head with the {side} hand", "scratches the head", "raises the {side} hand to scratch the head",
                     "scratches the back of the head", "rubs the head with the {side} hand"],
    "cross_arms": ["crosses the arms", "folds the arms across the chest", "stands with crossed arms",
                   "crosses both arms in front", "folds the arms"],
    "idle": ["stands still", "stands idle", "waits in place", "stands and waits", "stands in place, shifting the weight",
             "remains standing"],
    "spin": ["spins around to the {side}", "turns a full circle to the {side}", "spins {turns}",
             "twirls around to the {side}", "does a full turn on the spot"],
    "dance": ["dances side to side", "does a step-touch dance", "sways and steps to the music", "dances{adv}",
              "grooves from side to side", "does some dance steps"],
    "stumble": ["stumbles and recovers", "trips while walking and catches the balance", "walks, trips and regains balance",
                "stumbles forward and catches itself", "loses the footing and recovers"],
    "toe_touch": ["bends down and touches the toes", "touches the toes {times}", "bends forward to the toes",
                  "reaches down to the feet", "does a forward bend touching the toes"],
    "side_bend": ["bends to the {side}", "does side bends", "leans to the {side} with an arm overhead",
                  "stretches sideways to the {side}", "does a side stretch {times}"],
    "torso_twist": ["twists the torso {times}", "rotates the upper body from side to side", "does torso twists",
                    "twists left and right at the waist", "turns the upper body back and forth"],
}
_DANGLING = {"the", "to", "with", "on", "a", "an", "using", "of", "toward"}


def _short(template: str) -> str:
    """The verb part of a template: the words before the first field, without a dangling 'to the'."""
    words = template.split("{")[0].split()
    while words and words[-1] in _DANGLING:
        words.pop()
    return " ".join(words)


SHORT = {n: _short(v[0]) for n, v in T.items()}
SHORT.update({"jump": "jumps", "squat": "squats", "clap": "claps", "wave": "waves", "kick": "kicks", "hop": "hops",
              "punch": "punches", "turn": "turns", "bow": "bows", "shrug": "shrugs", "spin": "spins"})


def _times(n: int) -> str:
    if n == 1:
        return "once"
    if n == 2:
        return "twice"
    return f"{NUM.get(n, n)} times"


def _fields(name: str, p: dict, rng: np.random.Generator) -> dict:
    side = p.get("side", "right")
    side_w = "left and right" if side == "both" else side
    n = int(p.get("reps", p.get("steps", p.get("sips", p.get("turns", 1)))))
    sp = p.get("speed")
    adv = ""
    if sp == "slow" or (isinstance(sp, float) and name == "walk" and sp < 1.0):
        adv = str(rng.choice([" slowly", " at a slow pace", " leisurely"]))
    elif sp == "fast" or (isinstance(sp, float) and ((name == "walk" and sp > 1.55) or (name in ("jog", "run") and sp > 3.0 * (1.5 if name == "run" else 1)))):
        adv = str(rng.choice([" quickly", " fast", " briskly", " at a fast pace"]))
    style = p.get("style")
    if style == "energetic" and not adv:
        adv = str(rng.choice([" energetically", " with energy", " vigorously"]))
    elif style == "relaxed" and not adv:
        adv = str(rng.choice([" in a relaxed way", " casually", " calmly"]))
    both = side == "both"
    d = p.get("direction", "up")
    deg = float(p.get("angle", 90))
    deg_w = "halfway around" if deg >= 160 else "a quarter turn" if 70 <= deg <= 110 else f"about {int(round(deg / 5) * 5)} degrees"
    # "turns around" means about 180 degrees, as people use it ("turns around to face the other way")
    # (no rng draw here: atoms are described inside `compose`, so a draw would shift the motions after it)
    around = "around" if deg >= 160 else "90 degrees" if 70 <= deg <= 110 else deg_w
    return dict(side=side_w, hand="both hands" if both else f"{side} hand", arm="both arms" if both else f"{side} arm",
                them="them" if both else "it", leg=f"{side} leg", times=_times(n), n=NUM.get(n, str(n)), adv=adv,
                adv_pre=(adv.strip() + " ") if adv else "", deg=deg_w, around=around,
                updir={"up": "overhead", "forward": "forward to shoulder height", "sideways": "out to the sides" if both else "out to the side"}.get(d, "up"),
                pdir={"forward": "forward", "left": "to the left", "right": "to the right", "up": "upward"}.get(d, "ahead"),
                turns="around once" if n == 1 else f"around {NUM.get(n, n)} times")


def template_ids(name: str, params: dict) -> list[int]:
    """Indices into ``T[name]`` of the templates that fit these parameters (what `phrase` draws from)."""
    tpl = T.get(name, [name.replace("_", " ") + "s"])
    n = int(params.get("reps", params.get("steps", params.get("sips", 2))))
    ids = [i for i, x in enumerate(tpl) if "{n}" not in x] if n == 1 else list(range(len(tpl)))
    if params.get("side") == "both":
        ids = [i for i in ids if "{side}" not in tpl[i]] or ids
    return ids or list(range(len(tpl)))


def phrase(name: str, params: dict, rng: np.random.Generator | None = None,
           only: Collection[int] | None = None) -> str:
    """A third-person verb phrase for one atom with its parameters.

    only: restrict the draw to these template indices of ``T[name]`` (e.g. held-out phrasings);
    if none of them fits the parameters, the first of them is used anyway.
    """
    rng = rng or np.random.default_rng()
    tpl = T.get(name, [name.replace("_", " ") + "s"])
    ids = template_ids(name, params)
    if only is not None:
        allowed = [i for i in only if 0 <= i < len(tpl)]
        ids = [i for i in ids if i in allowed] or allowed[:1] or ids
    pool = [tpl[i] for i in ids]
    text = str(rng.choice(pool)).format(**_fields(name, params, rng)).replace("the both ", "both ")
    if name == "side_step" and "left" not in text and "right" not in text:
        text += f" to the {params.get('side', 'left')}"
    return " ".join(text.split())


COUNT_KEYS = ("reps", "sips", "turns")  # parameters that count an atom's own repetitions


def repeat_phrase(name: str, params: list[dict], fallback: str) -> str:
    """One phrase for consecutive repeats of an atom: 'claps nine times', 'bows twice', 'side-steps to the left'.

    An atom that counts its own repetitions says the total (session 35): clap bouts of 3 and 6 claps are "claps
    nine times", not "claps twice"; one that walks some steps says no count ("walks forward"). No draw from the
    sample's random stream (the texts of later parts stay as they were). The side is kept when every repeat
    shares it and the atom's first template names it.
    """
    short = SHORT.get(name) or fallback
    sides = {p.get("side") for p in params}
    key = next((k for k in COUNT_KEYS if k in params[0]), None)
    if key is not None:
        total = sum(int(p.get(key, 1)) for p in params)
        counted = [i for i, t in enumerate(T.get(name, [])) if any(f in t for f in ("{n}", "{times}", "{turns}"))]
        if not counted:
            return short
        if len(sides) == 1:
            side = next(iter(sides))
            sided = [i for i in counted if any(f in T[name][i] for f in ("{side}", "{hand}", "{arm}", "{leg}"))]
            pick = (sided or counted)[0] if side is not None else counted[0]
            text = phrase(name, dict(params[0], **{key: total}), np.random.default_rng(total), only=[pick])
            if side in ("left", "right") and side not in text:
                text += f" to the {side}"
            return text
        return f"{short} {_times(total)}"
    text = short if "steps" in params[0] else f"{short} {_times(len(params))}"
    if len(sides) == 1 and None not in sides and "to the {side}" in T.get(name, [""])[0]:
        side = sides.pop()
        text += " to the " + ("left and right" if side == "both" else side)
    return text


def describe(name: str, params: dict, rng: np.random.Generator | None = None) -> str:
    """A full sentence: subject + verb phrase, e.g. 'someone waves with the left hand twice'."""
    rng = rng or np.random.default_rng()
    return f"{rng.choice(SUBJECTS)} {phrase(name, params, rng)}"
