"""How `diana lint` scales: generated stories of 2k, 20k and 100k scenes in 100 chapter files.

The generator is deterministic by seed and writes valid, realistic stories: chapters chained by
``next_chapter`` and ``unlock: chapter_done(...)``, every tenth chapter VIP (reached through the paywall
pattern), scenes with two to four choices (conditions, requires, costs, VIP choices, effects), plain
``next``, conditional routes with a fallback, mood questions, three endings per chapter, Spanish and
English texts with placeholders and HTML, achievements, rewards, a shop and a mood model.

Each size is linted in a child process of its own (``--child``), which reports its wall time and its
peak RSS (its own, and the largest of any worker processes it started). The last line is one JSON object.

    .venv/bin/python bench/lint_scale.py [--sizes 2000,20000,100000] [--seed 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import closing_line

CHAPTERS = 100
WORDS_ES = [
    "lluvia",
    "café",
    "ventana",
    "carta",
    "luna",
    "jardín",
    "puerta",
    "llave",
    "noche",
    "vela",
    "río",
    "puente",
    "secreto",
    "sombra",
    "luz",
    "hiedra",
    "reloj",
    "canela",
    "tinta",
    "pluma",
    "silencio",
    "recuerdo",
    "promesa",
    "camino",
    "niebla",
    "estrella",
]
WORDS_EN = [
    "rain",
    "coffee",
    "window",
    "letter",
    "moon",
    "garden",
    "door",
    "key",
    "night",
    "candle",
    "river",
    "bridge",
    "secret",
    "shadow",
    "light",
    "ivy",
    "clock",
    "cinnamon",
    "ink",
    "pen",
    "silence",
    "memory",
    "promise",
    "path",
    "fog",
    "star",
]
MOODS = {
    "alegre": (["feliz", "contento", "alegre"], ["happy", "glad", "cheerful"]),
    "triste": (["triste", "solo", "llorar"], ["sad", "lonely", "cry"]),
    "enfadado": (["enfadado", "furioso", "rabia"], ["angry", "furious", "rage"]),
    "ansioso": (["nervioso", "ansioso", "inquieto"], ["nervous", "anxious", "restless"]),
    "romantico": (["romántico", "enamorado", "besos"], ["romantic", "love", "kisses"]),
    "aburrido": (["aburrido", "cansado", "monótono"], ["bored", "tired", "dull"]),
    "curioso": (["curioso", "pregunta", "misterio"], ["curious", "question", "mystery"]),
}
FILLERS_ES = [
    "hoy",
    "ahora",
    "mucho",
    "bastante",
    "esta",
    "noche",
    "de",
    "verdad",
    "otra",
    "vez",
    "un",
    "poco",
    "tanto",
    "siempre",
]
FILLERS_EN = [
    "today",
    "now",
    "much",
    "really",
    "tonight",
    "truly",
    "again",
    "little",
    "so",
    "always",
    "quite",
    "lately",
]


def sentence(rng: random.Random, words: list[str], count: int) -> str:
    return " ".join(rng.choice(words) for _ in range(count)).capitalize() + "."


def text(rng: random.Random, indent: str, *, placeholder: bool = False) -> str:
    es = " ".join(sentence(rng, WORDS_ES, rng.randint(8, 14)) for _ in range(3))
    en = " ".join(sentence(rng, WORDS_EN, rng.randint(8, 14)) for _ in range(3))
    if placeholder:
        es, en = "{name} ({apodo}), " + es, "{name} ({apodo}), " + en
    if rng.random() < 0.3:
        es, en = f"<i>{es}</i>", f"<i>{en}</i>"
    return f'{indent}text:\n{indent}  es: "{es}"\n{indent}  en: "{en}"\n'


def button(rng: random.Random) -> str:
    es = " ".join(rng.choice(WORDS_ES) for _ in range(3)).capitalize()
    en = " ".join(rng.choice(WORDS_EN) for _ in range(3)).capitalize()
    return f'{{es: "{es}", en: "{en}"}}'


CONDITIONS = (
    "confianza >= {k}",
    "pistas >= {k}",
    "camino == 'luz'",
    "camino != 'sombra'",
    "conocio and confianza >= {k}",
    "bond.diana >= {k}",
    "llave or pistas >= {k}",
    "visited('s0001')",
)
EFFECTS = (
    "add: {{confianza: 1}}",
    "add: {{pistas: 1}}",
    "set: {{camino: luz}}",
    "set: {{camino: sombra}}",
    "bond: {{diana: 1}}",
    "points: 2",
    "set: {{conocio: true}}",
    "set: {{llave: true}}",
    "add: {{valor: 1}}",
)


def scene_yaml(rng: random.Random, chapter: int, index: int, count: int, chapters: int) -> str:
    sid = f"s{index:04d}"
    out = [f"  {sid}:\n"]
    endings = count - 3
    if index >= endings:
        out.append(text(rng, "    "))
        out.append(f"    ending: {('good', 'neutral', 'bad')[index - endings]}\n")
        if chapter + 1 < chapters:
            out.append(f"    next_chapter: c{chapter + 1:03d}\n")
        return "".join(out)
    out.append(text(rng, "    ", placeholder=index % 5 == 0))
    if index == endings - 1:  # the last scene before the endings leads to each of them
        out.append("    choices:\n")
        for ending in range(endings, count):
            out.append(f"      - text: {button(rng)}\n        goto: s{ending:04d}\n")
        return "".join(out)
    if index % 4 == 1:
        out.append("    character: diana\n")
    if index % 9 == 2:
        out.append(f"    on_enter:\n      {EFFECTS[rng.randrange(len(EFFECTS))].format()}\n")

    def target(step: int) -> str:
        number = index + step if index + step < endings else count - 1 - rng.randrange(3)
        return f"s{number:04d}"

    if index % 11 == 3:
        out.append("    input: mood\n    next:\n")
        for mood in rng.sample(list(MOODS), 2):
            out.append(f"      - if: \"mood == '{mood}'\"\n        goto: {target(rng.randint(1, 3))}\n")
        out.append(f"      - goto: {target(1)}\n")
        return "".join(out)
    if index % 13 == 4:
        condition = rng.choice(CONDITIONS).format(k=rng.randint(1, 3))
        out.append(f'    next:\n      - if: "{condition}"\n        goto: {target(2)}\n')
        out.append(f"      - goto: {target(1)}\n")
        return "".join(out)
    if index % 7 == 5:
        out.append(f"    next: {target(1)}\n")
        return "".join(out)
    out.append("    choices:\n")
    out.append(f"      - id: seguir\n        text: {button(rng)}\n        goto: {target(1)}\n")
    out.append(f"        effects:\n          {EFFECTS[rng.randrange(len(EFFECTS))].format()}\n")
    for number in range(rng.randint(1, 3)):
        out.append(f"      - text: {button(rng)}\n        goto: {target(number + 2)}\n")
        roll = rng.random()
        if roll < 0.35:
            out.append(f'        if: "{rng.choice(CONDITIONS).format(k=rng.randint(1, 4))}"\n')
        elif roll < 0.55:
            out.append(f'        requires: "{rng.choice(CONDITIONS).format(k=rng.randint(1, 4))}"\n')
        elif roll < 0.65:
            out.append("        cost: 5\n")
        elif roll < 0.72:
            out.append("        vip: true\n")
        if rng.random() < 0.5:
            out.append(f"        effects:\n          {EFFECTS[rng.randrange(len(EFFECTS))].format()}\n")
    return "".join(out)


def chapter_yaml(rng: random.Random, chapter: int, count: int, chapters: int) -> str:
    head = [
        "# yaml-language-server: $schema=../../schemas/chapter.schema.json\n",
        f"id: c{chapter:03d}\n",
        f'title: {{es: "Capítulo {chapter + 1}", en: "Chapter {chapter + 1}"}}\n',
        f"order: {chapter + 1}\n",
    ]
    if chapter % 10 == 9:
        head.append("vip: true\n")
    if chapter:
        head.append(f"unlock: \"chapter_done('c{chapter - 1:03d}')\"\n")
    head.append("scenes:\n")
    return "".join(head) + "".join(scene_yaml(rng, chapter, i, count, chapters) for i in range(count))


STATIC = {
    "story.yaml": """\
id: escala
title: {es: "Escala", en: "Scale"}
default_locale: es
locales: [es, en]
start: c000.s0000
variables:
  confianza: {type: int, default: 0, min: 0, max: 10}
  pistas: {type: int, default: 0, min: 0, max: 20}
  valor: {type: int, default: 0, min: 0, max: 5}
  conocio: {type: bool, default: false}
  llave: {type: bool, default: false}
  camino: {type: enum, values: [niebla, luz, sombra], default: niebla}
  apodo: {type: str, default: "amigo"}
""",
    "characters.yaml": 'diana:\n  name: "Diana"\n  bond: {min: 0, max: 10}\n',
    "achievements.yaml": """\
detective:
  title: {es: "Detective", en: "Detective"}
  when: "pistas >= 5"
  reward: {points: 10}
valiente:
  title: {es: "Valiente", en: "Brave"}
  when: "valor >= 3"
corazon:
  title: {es: "Corazón", en: "Heart"}
  tiers: {bronze: "bond.diana >= 3", silver: "bond.diana >= 6", gold: "bond.diana >= 9"}
primero:
  title: {es: "Primero", en: "First"}
  when: "chapter_done('c000')"
  reward: {points: 20}
""",
    "rewards.yaml": """\
currency: {id: besitos, name: {es: "besitos", en: "kisses"}, symbol: "💋"}
rules:
  - {on: story_started, points: 50, once: true}
  - {on: daily_checkin, points: 10}
  - {on: choice_made, points: 1, limit: {per_day: 30}}
  - {on: chapter_completed, points: 20}
multipliers: {vip: 1.5}
daily_cap: 500
""",
    "shop.yaml": """\
products:
  vip_30:
    type: vip
    days: 30
    title: {es: "VIP 30 días", en: "VIP 30 days"}
    price: {stars: 250}
  besitos_100:
    type: points
    points: 100
    title: {es: "100 besitos", en: "100 kisses"}
    price: {stars: 50}
""",
}


def moods_yaml(rng: random.Random) -> str:
    lines = [f"moods: [{', '.join(MOODS)}]\n", "examples:\n"]
    for locale, fillers, pick in (("es", FILLERS_ES, 0), ("en", FILLERS_EN, 1)):
        lines.append(f"  {locale}:\n")
        for mood, words in MOODS.items():
            examples = [f"{rng.choice(words[pick])} {rng.choice(fillers)}" for _ in range(12)]
            lines.append(f"    {mood}: [{', '.join(json.dumps(e, ensure_ascii=False) for e in examples)}]\n")
    return "".join(lines)


def generate(root: Path, scenes: int, seed: int, chapters: int = CHAPTERS) -> Path:
    """Write a story of ``scenes`` scenes over ``chapters`` files into ``root``; same seed, same bytes."""
    rng = random.Random(seed)
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    for name, body in STATIC.items():
        (root / name).write_text(body, encoding="utf-8")
    (root / "moods.yaml").write_text(moods_yaml(rng), encoding="utf-8")
    per = scenes // chapters
    for chapter in range(chapters):
        count = per + (1 if chapter < scenes % chapters else 0)
        (root / "chapters" / f"{chapter:03d}.yaml").write_text(
            chapter_yaml(rng, chapter, max(count, 4), chapters), encoding="utf-8"
        )
    return root


def child(path: Path) -> None:
    from engine.content.api import lint_path

    started = time.perf_counter()
    report = lint_path(path)
    elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 3),
                "rss_mb": round(own / 1024, 1),
                "worker_rss_mb": round(workers / 1024, 1),
                "scenes": len(report.content.all_scenes()) if report.content else 0,
                "summary": report.summary(),
                "codes": sorted({d.code for d in report.diagnostics}),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="Write the stories here and keep them.")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="diana-lint-scale-"))
    figures: dict[str, object] = {"bench": "lint_scale", "seed": args.seed}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            folder = base / f"story-{size}"
            if folder.exists():
                shutil.rmtree(folder)
            generate(folder, size, args.seed)
            megabytes = sum(p.stat().st_size for p in folder.rglob("*.yaml")) / 1e6
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(folder)], capture_output=True, text=True, check=True
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{size:>7} scenes {megabytes:6.1f} MB: lint {result['seconds']:7.2f} s, "
                f"peak RSS {result['rss_mb']:7.1f} MB (workers {result['worker_rss_mb']:.1f} MB), "
                f"{result['summary']} {result['codes']}"
            )
            figures[f"scenes_{size}"] = {**result, "megabytes": round(megabytes, 1)}
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    closing_line(figures)


if __name__ == "__main__":
    main()
