"""The prompt-following suite: everyday prompts, typed the way people type them, each with the
kinematic predicates (``app.engine.evaluator.predicates``) its motion must satisfy.

The wording is deliberately NOT the corpus templates' (app/engine/corpus/describe.py,
paraphrase.py): other verbs, word order, subjects, imperatives and gerunds. Never copy it into
training texts. Compositions list their parts in time order; each part must hold in its own
span (the pipeline splits on ';' / 'then'; "after A, B" stays one span and is cut evenly).
``pair`` links a left/right twin of the same prompt.
"""
from __future__ import annotations

from dataclasses import dataclass, field

Part = tuple[str, dict]


@dataclass(frozen=True)
class Prompt:
    text: str
    seconds: float
    family: str  # an atom family or "composition"
    parts: tuple[Part, ...]
    pair: str = ""  # left/right twins share a pair id
    side: str = ""  # the side the prompt names (for the 'named limb moves' rate)
    tags: tuple[str, ...] = field(default_factory=tuple)


def _p(text: str, seconds: float, family: str, *parts: Part, pair: str = "", side: str = "") -> Prompt:
    return Prompt(text, float(seconds), family, tuple(parts), pair, side)


def _lr(template: str, seconds: float, family: str, pred: str, pair: str, side_kw: str = "side",
        **kw) -> list[Prompt]:
    """The same prompt with 'left' and 'right' (``{side}`` in the text, ``side_kw`` in the kwargs)."""
    return [_p(template.format(side=s), seconds, family, (pred, dict(kw, **{side_kw: s})), pair=pair, side=s)
            for s in ("left", "right")]


SUITE: list[Prompt] = [
    # --- locomotion
    _p("a man walking forward", 4, "locomotion", ("walk_forward", {})),
    _p("someone taking a slow, lazy stroll straight ahead", 5, "locomotion", ("walk_forward", {"speed": "slow"})),
    _p("a girl power-walking forward in a hurry", 4, "locomotion", ("walk_forward", {"speed": "fast"})),
    _p("the man retreats backward a few paces", 4, "locomotion", ("walk_backward", {})),
    _p("a person stepping back slowly while still facing forward", 4, "locomotion", ("walk_backward", {})),
    _p("someone sprinting as fast as they can", 4, "locomotion", ("run", {})),
    _p("a jogger running along at an easy pace", 5, "locomotion", ("run", {})),
    _p("my character turns around to face the opposite way", 3, "locomotion", ("turn", {"degrees": 135})),
    *_lr("someone makes a {side} turn where they stand", 3, "locomotion", "turn", "turn", degrees=60),
    *_lr("a dancer shuffling over to the {side}", 4, "locomotion", "side_step", "shuffle"),
    *_lr("step sideways to the {side} three times", 4, "locomotion", "side_step", "sidestep3", count=3),
    _p("a person walking round in a big circle", 8, "locomotion", ("walk_circle", {})),
    _p("a soldier marching in place, knees up high", 5, "locomotion", ("march", {})),
    _p("someone creeping forward like a burglar, crouched low", 5, "locomotion", ("sneak", {})),
    _p("a guy walks fast and comes to an abrupt halt", 4, "locomotion", ("stop", {})),
    # --- jumps
    _p("a kid jumping up and down three times", 4, "jumps", ("jump", {"count": 3, "direction": "place"})),
    _p("jump once as high as you can", 3, "jumps", ("jump", {"count": 1})),
    _p("the girl leaps forward with both feet together", 3, "jumps", ("jump", {"direction": "forward"})),
    *_lr("a person jumps over to their {side}", 3, "jumps", "jump", "jumpside", side_kw="direction"),
    _p("a coach demonstrating five jumping jacks", 5, "jumps", ("jumping_jacks", {"count": 5})),
    *_lr("a kid hopping on the {side} foot", 4, "jumps", "hop", "hop"),
    _p("bounce on one leg, the right one, four times", 4, "jumps", ("hop", {"side": "right", "count": 4}),
       pair="hop4", side="right"),
    _p("bounce on one leg, the left one, four times", 4, "jumps", ("hop", {"side": "left", "count": 4}),
       pair="hop4", side="left"),
    # --- lower body
    _p("someone does a couple of squats", 5, "lower", ("squat", {"count": 2})),
    _p("squat down low and get back up, three reps", 6, "lower", ("squat", {"count": 3})),
    *_lr("lunge forward on the {side} leg", 4, "lower", "lunge", "lunge"),
    *_lr("a fighter kicking out with his {side} foot", 3, "lower", "kick", "kick"),
    *_lr("the man kicks high with his {side} leg twice", 4, "lower", "kick", "kick2", count=2),
    *_lr("a person bringing their {side} knee up high", 3, "lower", "knee_raise", "knee"),
    _p("she kneels down on one knee for a moment and rises", 5, "lower", ("kneel", {})),
    _p("a tired man plopping down onto the floor to sit", 4, "lower", ("sit_floor", {})),
    _p("someone sitting on the floor gets to their feet", 4, "lower", ("stand_up", {})),
    _p("a person hunkering down low for a second", 3, "lower", ("crouch", {})),
    _p("go up on tiptoes three times", 4, "lower", ("calf_raise", {"count": 3})),
    # --- upper body
    *_lr("a girl waving hi with her {side} hand", 3, "upper", "wave", "wave"),
    *_lr("my character greets a friend by waving the {side} hand, three times", 4, "upper", "wave", "wave3",
         count=3),
    _p("lifts both hands high above the head", 3, "upper", ("raise_arms", {"side": "both", "direction": "up"})),
    *_lr("put your {side} arm straight up in the air", 3, "upper", "raise_arms", "armup", direction="up"),
    _p("hold both arms straight out to the sides like a T", 3, "upper",
       ("raise_arms", {"side": "both", "direction": "sideways"})),
    _p("a fan in the crowd clapping hands four times", 4, "upper", ("clap", {"count": 4})),
    *_lr("a boxer throwing a {side} jab", 3, "upper", "punch", "jab"),
    *_lr("punch the air twice with the {side} fist", 3, "upper", "punch", "punch2", count=2),
    *_lr("pitch a ball overarm with the {side} hand", 3, "upper", "throw", "throw"),
    *_lr("someone scratching their head with the {side} hand", 3, "upper", "hand_to_head", "scratch"),
    _p("a man sips from a cup held in his right hand", 4, "upper", ("hand_to_head", {"side": "right"})),
    _p("a person bowing to the audience", 3, "upper", ("bow", {})),
    _p("a coach standing there with his fists on his hips", 3, "upper", ("hands_on_hips", {})),
    _p("she folds her arms across her chest and waits", 3, "upper", ("cross_arms", {})),
    _p("circling the right arm around like a windmill", 4, "upper",
       ("arm_circles", {"side": "right"}), side="right"),
    # --- whole body
    *_lr("a dancer spinning around once to the {side}", 3, "whole", "spin", "spin"),
    _p("someone dancing happily to music", 6, "whole", ("dance", {})),
    _p("bend over and touch your toes", 4, "whole", ("toe_touch", {})),
    *_lr("lean over to the {side} side for a stretch", 4, "whole", "side_bend", "sidebend"),
    _p("twisting the upper body left and right at the hips", 4, "whole", ("torso_twist", {})),
    _p("a man just standing there doing nothing", 3, "whole", ("idle", {})),
    # --- compositions (parts in time order)
    _p("walk forward a few steps, then wave with the right hand", 7, "composition",
       ("walk_forward", {}), ("wave", {"side": "right"})),
    _p("a person jumps twice; then plonks down on the floor, sitting", 7, "composition",
       ("jump", {"count": 2}), ("sit_floor", {})),
    _p("after squatting twice, the man jumps", 7, "composition", ("squat", {"count": 2}), ("jump", {})),
    _p("run ahead, then turn around", 6, "composition", ("run", {}), ("turn", {"degrees": 135})),
    _p("kick with the left leg, then punch with the right hand", 6, "composition",
       ("kick", {"side": "left"}), ("punch", {"side": "right"})),
    _p("someone claps three times; then throws both arms up over the head", 7, "composition",
       ("clap", {"count": 3}), ("raise_arms", {"side": "both", "direction": "up"})),
    _p("a girl steps backwards, then leaps forward", 6, "composition",
       ("walk_backward", {}), ("jump", {"direction": "forward"})),
    _p("side step to the right; then side step to the left", 6, "composition",
       ("side_step", {"side": "right"}), ("side_step", {"side": "left"})),
    _p("turn to the left, then walk forward, then wave", 9, "composition",
       ("turn", {"side": "left", "degrees": 60}), ("walk_forward", {}), ("wave", {"side": None})),
    _p("after a short jog forward, the woman settles onto the ground to sit", 8, "composition",
       ("run", {}), ("sit_floor", {})),
    _p("hop on the right foot three times; then hop on the left foot three times", 8, "composition",
       ("hop", {"side": "right", "count": 3}), ("hop", {"side": "left", "count": 3})),
    _p("a man does three squats, then stands still", 8, "composition", ("squat", {"count": 3}), ("idle", {})),
    _p("do some jumping jacks, then bend down to touch the toes", 8, "composition",
       ("jumping_jacks", {}), ("toe_touch", {})),
    _p("walk forward; turn around; walk back", 10, "composition",
       ("walk_forward", {}), ("turn", {"degrees": 135}), ("walk_forward", {})),
    _p("sit on the floor for a bit, then get back up", 8, "composition", ("sit_floor", {}), ("stand_up", {})),
    _p("raise the left knee, then raise the right knee", 6, "composition",
       ("knee_raise", {"side": "left"}), ("knee_raise", {"side": "right"})),
    _p("bow to the crowd and then wave with both hands", 7, "composition", ("bow", {}), ("wave", {"side": "both"})),
    _p("after spinning around, the dancer bows deeply to the crowd", 7, "composition", ("spin", {}), ("bow", {})),
    _p("run forward, then jump, then turn around", 9, "composition",
       ("run", {}), ("jump", {}), ("turn", {"degrees": 135})),
]

