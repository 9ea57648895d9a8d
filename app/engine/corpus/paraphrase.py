"""Rule-based text for real motion capture: clean CMU / DeepMimic descriptions into sentences
and make deterministic paraphrases (templates + synonym substitution, no learned models).

A description becomes a list of clauses; each clause lists interchangeable verb phrases
("jump forward", "leap forward"), the first being canonical. ``"playground - forward jumps,
turn around"`` -> ``"a person jumps forward on a playground, then turns around"``.
"""
from __future__ import annotations

import re
import zlib

import numpy as np

Clause = tuple[str, ...]  # alternatives, each "verb rest..." in the base form

# CMU phrase (lower case, after the "context - " prefix and splitting at commas) -> alternatives
_PHRASES: dict[str, Clause] = {
    "walk": ("walk forward", "walk", "walk ahead"),
    "slow walk": ("walk slowly", "walk at a slow pace", "stroll slowly"),
    "brisk walk": ("walk briskly", "walk at a brisk pace", "walk quickly"),
    "walk on uneven terrain": ("walk on uneven terrain", "walk over uneven ground", "walk across bumpy ground"),
    "walk/stride": ("walk with long strides", "stride forward", "walk taking long steps"),
    "slow walk/stride": ("walk slowly with long strides", "stride forward slowly", "take slow, long steps"),
    "walk, exaggerated stride": ("walk with exaggerated strides", "walk taking very long steps",
                                 "stride forward with exaggerated steps"),
    "run": ("run forward", "run", "run ahead"),
    "run/jog": ("jog forward", "run at an easy pace", "jog"),
    "jump": ("jump", "leap", "jump up"),
    "forward jump": ("jump forward", "leap forward", "do a forward jump"),
    "forward jumps": ("jump forward", "leap forward", "hop forward"),
    "balance": ("catch their balance", "balance", "steady themselves"),
    "jump up to grab": ("jump up to grab something", "leap up to grab something overhead", "jump to grab something"),
    "reach for": ("reach for something", "reach out for something", "stretch to reach something"),
    "tiptoe": ("stand on tiptoe", "rise onto their toes", "go up on tiptoe"),
    "punch/strike": ("throw punches", "punch the air", "strike out with their fists"),
    "bend over": ("bend over", "bend down", "lean over"),
    "scoop up": ("scoop something up", "pick something up", "scoop up an object"),
    "rise": ("stand back up", "rise", "straighten up"),
    "lift arm": ("lift an arm", "raise an arm", "lift one arm"),
    "swordplay": ("fight with a sword", "swing a sword", "fence with a sword"),
    "wash self": ("wash themselves", "pretend to wash their body", "scrub their body"),
    "climb": ("climb", "clamber up", "climb up"),
    "sit": ("sit down", "sit", "take a seat"),
    "dangle legs": ("dangle their legs", "let their legs hang", "swing their legs"),
    "dangle": ("dangle", "hang", "hang down"),
    "rock back": ("rock back", "lean back", "rock backward"),
    "lower self to ground": ("lower themselves to the ground", "climb down to the ground",
                             "let themselves down to the ground"),
    "jump down": ("jump down", "hop down", "leap down"),
    "legs push off against": ("push off with their legs", "push away with their legs", "kick off with their legs"),
    "turn around": ("turn around", "turn back", "turn to face the other way"),
    "forward dribble": ("dribble a basketball forward", "dribble the ball forward", "move forward dribbling a ball"),
    "backward dribble": ("dribble a basketball backward", "dribble the ball while moving back",
                         "back up dribbling a ball"),
    "sideways dribble": ("dribble a basketball sideways", "dribble the ball while moving sideways",
                         "shuffle sideways dribbling a ball"),
    "dribble": ("dribble a basketball", "bounce a basketball", "dribble the ball"),
    "crossover dribble": ("do a crossover dribble", "switch the ball between hands", "cross the ball over"),
    "shoot": ("shoot the ball", "take a shot", "throw the ball at the hoop"),
    "90-degree left turns": ("make 90-degree left turns", "turn left at right angles", "turn a quarter left"),
    "90-degree right turns": ("make 90-degree right turns", "turn right at right angles", "turn a quarter right"),
    "expressive arms": ("move their arms expressively", "make expressive arm movements", "gesture with their arms"),
    "pirouette": ("do a pirouette", "spin on one foot", "twirl around"),
    "pirouettes": ("do pirouettes", "spin on one foot", "twirl around several times"),
    "shifted-axis pirouette": ("do an off-axis pirouette", "spin on one foot leaning sideways", "do a tilted spin"),
    "jete": ("do a jete", "leap from one foot to the other", "do a ballet leap"),
    "small jetes": ("do small jetes", "do small leaps", "make little ballet leaps"),
    "turn": ("turn", "turn around", "rotate"),
    "turn step": ("do a turning step", "step and turn", "turn with a step"),
    "folding arms": ("fold their arms", "cross their arms", "fold the arms in"),
    "bending back": ("bend backward", "arch their back", "lean back"),
    "sideways arabesque": ("do a sideways arabesque", "extend a leg out to the side", "do an arabesque to the side"),
    "attitude/arabesque": ("do an arabesque", "extend one leg behind them", "hold an arabesque"),
    "jete en tourant": ("do a turning leap", "leap while turning", "do a jete en tournant"),
    "grand jete en tourant": ("do a big turning leap", "do a grand jete en tournant", "leap high while turning"),
    "arms held high": ("hold their arms high", "raise their arms overhead", "keep the arms up high"),
    "pointe tendue a terre": ("point one foot on the floor", "stretch a pointed foot along the floor",
                              "extend a pointed toe to the floor"),
    "upper body rotation": ("rotate their upper body", "twist their torso", "turn the upper body"),
    "cartwheel-like start": ("start with a cartwheel-like move", "begin with a move like a cartwheel",
                             "open with a cartwheel-like move"),
    "raised leg above hip-height": ("raise a leg above hip height", "lift one leg high", "raise a leg high"),
    "quasi-cou-de-pied": ("place a foot at the ankle", "do a cou-de-pied", "tuck a foot at the ankle"),
    "rond de jambe in the air": ("circle a leg in the air", "do a rond de jambe in the air",
                                 "draw a circle with a raised leg"),
    "coupe dessous": ("do a quick foot change under", "do a coupe dessous", "cut one foot under the other"),
    "glissade devant": ("glide forward", "do a glissade to the front", "slide a step forward"),
    "glissade derriere": ("glide backward", "do a glissade to the back", "slide a step back"),
    "retire derriere": ("draw a foot up to the knee", "do a retire", "lift a foot to the knee"),
    "sideways steps": ("step sideways", "take steps to the side", "side-step"),
    "kick ball": ("kick a ball", "kick a soccer ball", "boot a ball"),
}
_CONTEXT = {"playground": ("on a playground", "on playground equipment"),
            "dance": ("while dancing", "in a dance"),
            "basketball": ("", ""), "soccer": ("", "")}

# label -> clause (aclstm and DeepMimic); {n} marks a count for repeated cycles
LABEL_CLAUSES: dict[str, Clause] = {
    "salsa": ("dance salsa", "dance the salsa", "do salsa steps"),
    "martial": ("perform martial arts moves", "practise martial arts", "do a martial arts routine"),
    "indian": ("perform an Indian dance", "dance in an Indian style", "do a traditional Indian dance"),
    "backflip": ("do a backflip", "flip backward", "do a back somersault"),
    "cartwheel": ("do a cartwheel", "turn a cartwheel", "cartwheel sideways"),
    "crawl": ("crawl forward on the ground", "crawl along the floor", "creep forward low to the ground"),
    "dance_a": ("dance", "do an energetic dance", "dance around"),
    "dance_b": ("dance", "do a dance routine", "dance in place"),
    "dance_spin": ("spin around while dancing", "do a dance spin", "twirl in a dance"),
    "getup_facedown": ("get up from lying face down", "stand up after lying on their stomach",
                       "rise from a face-down position"),
    "getup_faceup": ("get up from lying on their back", "stand up after lying face up",
                     "rise from lying on their back"),
    "jog": ("jog forward", "run at an easy pace", "jog along"),
    "jump": ("jump forward", "leap forward", "do a standing long jump"),
    "kick": ("kick with the {side} leg", "kick out with the {side} foot", "do a {side}-legged kick"),
    "punch": ("punch with the {side} hand", "throw a {side}-handed punch", "strike with the {side} fist"),
    "roll": ("do a forward roll", "roll forward on the ground", "tumble forward"),
    "run": ("run forward", "run fast", "run ahead"),
    "sideflip": ("do a sideflip", "flip sideways", "do a side somersault"),
    "spin": ("spin around", "turn around on the spot", "twirl around"),
    "spinkick": ("do a spinning kick", "spin and kick", "do a spin kick"),
    "stealthy_walk": ("sneak forward", "walk stealthily", "creep forward quietly"),
    "walk": ("walk forward", "walk", "walk ahead"),
    "zombie_walk": ("walk like a zombie", "shamble forward like a zombie", "stagger forward like a zombie"),
}
# discrete actions whose repetitions are counted in the text: label -> plural noun phrase
COUNTABLE = {"backflip": "backflips", "cartwheel": "cartwheels", "dance_spin": "dance spins",
             "jump": "forward jumps", "roll": "forward rolls", "sideflip": "sideflips", "spin": "spins",
             "spinkick": "spinning kicks"}
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
SUBJECTS = ("a person", "someone", "the person", "a human", "an individual")
_DOUBLE = {"run", "hop", "jog", "step", "skip", "sit", "get", "stop", "drop", "grab", "spin", "swim", "let", "put",
           "set", "cut", "hit", "begin", "shop", "trip", "flip", "tap"}
_VERBS_S = {"do": "does", "go": "goes", "have": "has"}


def third_person(verb: str) -> str:
    if verb in _VERBS_S:
        return _VERBS_S[verb]
    if re.search(r"(s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


def gerund(verb: str) -> str:
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb in _DOUBLE:
        return verb + verb[-1] + "ing"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and verb != "be":
        return verb[:-1] + "ing"
    return verb + "ing"


def inflect(phrase: str, form: str) -> str:
    """'jump forward' -> 'jumps forward' (form 's') or 'jumping forward' (form 'ing')."""
    verb, _, rest = phrase.partition(" ")
    head = third_person(verb) if form == "s" else gerund(verb) if form == "ing" else verb
    return head + (" " + rest if rest else "")


def _fallback_clause(phrase: str) -> Clause:
    words = phrase.split()
    if words and words[0] in {"walk", "run", "jump", "turn", "kick", "punch", "climb", "sit", "stand", "bend",
                              "reach", "throw", "catch", "lift", "pick", "dance", "step", "hop", "swing"}:
        return (phrase,)
    return (f"do a {phrase}", f"perform a {phrase}")


def cmu_clauses(description: str) -> tuple[list[Clause], tuple[str, str]]:
    """Clauses and context phrases of a CMU description such as 'dance - jete, turn'."""
    desc = " ".join(description.lower().strip().split())
    if desc in _PHRASES:
        return [_PHRASES[desc]], ("", "")
    context = ("", "")
    if " - " in desc:
        ctx, desc = (s.strip() for s in desc.split(" - ", 1))
        context = _CONTEXT.get(ctx, (f"in a {ctx} scene", f"during {ctx}"))
    clauses = []
    for part in (p.strip() for p in desc.split(",")):
        if part:
            clauses.append(_PHRASES.get(part) or _fallback_clause(part))
    return clauses, context


def label_clauses(label: str, cycles: int = 1, side: str = "right") -> list[Clause]:
    """Clauses for an aclstm / DeepMimic label; repeated discrete actions are counted."""
    base = tuple(p.format(side=side) for p in LABEL_CLAUSES.get(label, (label.replace("_", " "),)))
    if cycles > 1 and label in COUNTABLE:
        num = _NUMBERS.get(cycles, str(cycles))
        return [(f"do {num} {COUNTABLE[label]} in a row", f"{base[0]} {num} times",
                 f"{base[1]} again and again")]
    return [base]


def _join(parts: list[str], style: int) -> str:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return (f"{parts[0]}, then {parts[1]}", f"{parts[0]} and then {parts[1]}",
                f"{parts[0]}, and after that {parts[1]}")[style % 3]
    head = ", ".join(parts[:-1])
    return (f"{head}, then {parts[-1]}", f"first {parts[0]}, then {', '.join(parts[1:-1])}, and finally {parts[-1]}",
            f"{head} and then {parts[-1]}")[style % 3]


def render(clauses: list[Clause], context: tuple[str, str] = ("", ""), variant: int = 0,
           subject: str = "a person", choice: list[int] | None = None) -> str:
    """One sentence: variant 0 is the canonical form; others vary tense, joins and placement."""
    choice = choice or [0] * len(clauses)
    picked = [c[k % len(c)] for c, k in zip(clauses, choice)]
    form = "ing" if variant % 4 == 2 else "s"
    parts = [inflect(p, form) for p in picked]
    ctx = context[0] if variant % 2 == 0 else context[1]
    if ctx and variant % 4 != 3:  # the context attaches to the first clause
        parts[0] = f"{parts[0]} {ctx}"
    body = _join(parts, variant)
    if form == "ing":
        body = "is " + body
    sentence = f"{subject} {body}"
    if ctx and variant % 4 == 3:
        sentence = f"{ctx}, {sentence}"
    return re.sub(r"\s+", " ", sentence).strip() + "."


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(key.encode("utf-8")))


def texts_for(clauses: list[Clause], context: tuple[str, str] = ("", ""), key: str = "",
              n_paraphrases: int = 3) -> list[str]:
    """The canonical sentence followed by ``n_paraphrases`` distinct deterministic paraphrases."""
    texts = [render(clauses, context)]
    bodies = {render(clauses, context, subject="")}
    rng = _rng(key or texts[0])
    for attempt in range(12 * n_paraphrases):
        if len(texts) > n_paraphrases:
            break
        variant = 1 + (len(texts) - 1 + attempt) % 3
        subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))]
        choice = [int(rng.integers(len(c))) for c in clauses]
        body = render(clauses, context, variant, "", choice)
        # prefer paraphrases that differ in more than the subject; accept those late
        if body not in bodies or attempt >= 8 * n_paraphrases:
            text = render(clauses, context, variant, subject, choice)
            if text not in texts:
                texts.append(text)
                bodies.add(body)
    return texts


def cmu_texts(description: str, key: str = "", n_paraphrases: int = 3) -> list[str]:
    """Cleaned CMU description plus paraphrases."""
    clauses, context = cmu_clauses(description)
    return texts_for(clauses, context, key or description, n_paraphrases)


def label_texts(label: str, key: str = "", cycles: int = 1, side: str = "right", n_paraphrases: int = 3) -> list[str]:
    """Sentences for an aclstm / DeepMimic label."""
    return texts_for(label_clauses(label, cycles, side), ("", ""), key or label, n_paraphrases)
