#!/usr/bin/env python3
"""Pick the committed corpus, fuzz/corpus-min/<target>/, from the fuzzer's corpus, fuzz/corpus/<target>/.

usage: min_corpus.py TARGET [COUNT] [BIN_DIR]

libFuzzer's merge (what `cargo fuzz cmin` runs) records the coverage features of every input in a
control file; from it this picks greedily, COUNT times (default 100), the input that adds the most
features not yet covered, so a few hundred files keep most of what the whole corpus reaches.
read_validate and lint_js keep the raw inputs; structured and pipeline keep the rules files their
target renders from each input (EDGEROUTE_FUZZ_DUMP), which is what the replay test reads.
BIN_DIR holds the built targets (default fuzz/target/x86_64-unknown-linux-gnu/release).
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

FUZZ = pathlib.Path(__file__).resolve().parents[1]


def features(control: pathlib.Path) -> tuple[list[str], dict[int, set[int]]]:
    lines = control.read_text().splitlines()
    count = int(lines[0])
    files = lines[2 : 2 + count]
    ft: dict[int, set[int]] = {}
    for line in lines[2 + count :]:
        parts = line.split()
        if parts and parts[0] == "FT":
            ft[int(parts[1])] = {int(x) for x in parts[2:]}
    return files, ft


def main() -> None:
    target = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    bins = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 else FUZZ / "target/x86_64-unknown-linux-gnu/release"
    binary = bins / target
    corpus = FUZZ / "corpus" / target
    out = FUZZ / "corpus-min" / target
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        control = tmp / "control"
        (tmp / "merged").mkdir()
        subprocess.run(
            [binary, "-merge=1", f"-merge_control_file={control}", "-timeout=10",
             "-rss_limit_mb=512", tmp / "merged", corpus],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        files, ft = features(control)
        covered: set[int] = set()
        chosen: list[str] = []
        left = dict(ft)
        while left and len(chosen) < want:
            best = max(left, key=lambda i: (len(left[i] - covered), -os.path.getsize(files[i])))
            gain = left.pop(best) - covered
            if not gain:
                break
            covered |= gain
            chosen.append(files[best])
        total = set().union(*ft.values()) if ft else set()
        print(f"{target}: {len(chosen)} of {len(files)} inputs keep {len(covered)} of {len(total)} features")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        if target in ("structured", "pipeline"):
            raw = tmp / "raw"
            raw.mkdir()
            for f in chosen:
                shutil.copy(f, raw / hashlib.sha1(pathlib.Path(f).read_bytes()).hexdigest())
            env = dict(os.environ, EDGEROUTE_FUZZ_DUMP=str(tmp / "dump"))
            subprocess.run([binary, "-runs=0", raw], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for f in (tmp / "dump" / target).iterdir():
                shutil.copy(f, out / f.name)
        else:
            for f in chosen:
                data = pathlib.Path(f).read_bytes()
                (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{out}: {len(list(out.iterdir()))} files, {size} bytes")


if __name__ == "__main__":
    main()
