#!/usr/bin/env python3
"""Draws the language-check evaluation sample from lingua's published test data.

The test data ships in the `lingua-<language>-language-model` crates on crates.io (Apache-2.0),
`testdata/{sentences,word-pairs,single-words}.txt`, 1000 lines each, drawn by lingua's author
from Leipzig Corpora Collection web corpora. `cargo fetch` on a manifest that depends on those
crates brings them into Cargo's registry; this script reads them there.

Sample: a seeded random choice without replacement, per language and length class, of
ENGLISH_PER_CLASS English lines and FOREIGN_PER_CLASS lines of each other language, in file
order. Lines are kept verbatim.

Usage: sample_lingua_testdata.py > tests/data/lingua-testdata-leipzig-13-languages-sample.tsv
"""

import glob
import os
import random
import sys

VERSION = "1.3.0"
SEED = 18
ENGLISH_PER_CLASS = 300
FOREIGN_PER_CLASS = 100
LANGUAGES = {
    "en": "english", "es": "spanish", "fr": "french", "de": "german", "pt": "portuguese",
    "it": "italian", "nl": "dutch", "ja": "japanese", "zh": "chinese", "ko": "korean",
    "ar": "arabic", "ru": "russian", "hi": "hindi",
}
CLASSES = {"sentence": "sentences.txt", "pair": "word-pairs.txt", "word": "single-words.txt"}


def crate_dir(name):
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = f"{home}/registry/src/*/lingua-{name}-language-model-{VERSION}"
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(f"lingua-{name}-language-model {VERSION} is not in Cargo's registry: cargo fetch it first")
    return found[0]


def main():
    rng = random.Random(SEED)
    print("lang\tclass\ttext")
    for code, name in LANGUAGES.items():
        size = ENGLISH_PER_CLASS if code == "en" else FOREIGN_PER_CLASS
        for label, file in CLASSES.items():
            with open(os.path.join(crate_dir(name), "testdata", file), encoding="utf-8") as f:
                lines = [line.rstrip("\n") for line in f if line.strip()]
            for index in sorted(rng.sample(range(len(lines)), size)):
                print(f"{code}\t{label}\t{lines[index]}")


if __name__ == "__main__":
    main()
