#!/usr/bin/env python3
"""Write mutated copies of the bundled fixtures, as a new user's typos would make them.

usage: mutate_fixtures.py OUT_DIR [COPIES_PER_FIXTURE] [SEED]

Each copy applies one to three edits to a fixture from fixtures/ok and fixtures/err: a character
deleted, duplicated, or replaced by one of the format's special characters, a line deleted or
duplicated, two lines swapped, an indentation changed. Run the copies through a fuzz target
(fuzz/scripts/run_mutants.sh) to find inputs that panic.
"""
import pathlib
import random
import sys

SPECIAL = list("{}[]:,-#&*!|>'\"%@`~^$.?/\\=() \t\n") + ["\u00e9", "\u2028", "\x00", "..", "{{", "}}"]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        op = rng.randrange(7)
        if not text:
            return rng.choice(SPECIAL)
        i = rng.randrange(len(text))
        if op == 0:
            text = text[:i] + text[i + 1 :]
        elif op == 1:
            text = text[:i] + text[i] + text[i:]
        elif op == 2:
            text = text[:i] + rng.choice(SPECIAL) + text[i + 1 :]
        elif op == 3:
            text = text[:i] + rng.choice(SPECIAL) + text[i:]
        elif op == 4 and len(lines) > 1:
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif op == 5:
            j = rng.randrange(len(lines))
            lines.insert(j, lines[rng.randrange(len(lines))])
            text = "\n".join(lines)
        else:
            j, k = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[j], lines[k] = lines[k], lines[j]
            if rng.random() < 0.5:
                lines[j] = " " * rng.randrange(0, 9) + lines[j].lstrip()
            text = "\n".join(lines)
    return text


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20)
    root = pathlib.Path(__file__).resolve().parents[2]
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for fixture in sorted((root / "fixtures").glob("*/*.yaml")):
        text = fixture.read_text(encoding="utf-8", errors="surrogateescape")
        for c in range(copies):
            mutant = mutate(text, rng)
            data = mutant.encode("utf-8", errors="surrogateescape")
            (out / f"{fixture.parent.name}-{fixture.stem}-{c:04}.yaml").write_bytes(data)
            n += 1
    print(f"{n} mutated copies in {out}")


if __name__ == "__main__":
    main()
