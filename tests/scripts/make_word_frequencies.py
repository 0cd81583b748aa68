#!/usr/bin/env python3
"""Builds the offline language check's word statistics from wordfreq's "small" word lists.

Source: the `wordfreq` package on PyPI, version 3.1.1 (code Apache-2.0; its word-frequency data
CC BY-SA 4.0, https://creativecommons.org/licenses/by-sa/4.0/), by Robyn Speer: for each
language, every word with a frequency of at least one per million (Zipf 3) in a blend of
Wikipedia, subtitles, news, books, web text, Twitter and Reddit. The generated files carry the
same licence.

Writes, into shared/src/language/:
- word_frequencies.txt: a header line, then one line per word, sorted by UTF-8 bytes:
  `word<TAB>` and, for each language listing it, its index letter (`a` = first language) and its
  Zipf frequency as one character (`0` = 3.0, `1` = 3.1, ... in steps of 0.1);
- letter_trigrams.txt: a header line with each language's log10 floor for an unseen trigram,
  then one line per letter trigram (`<` and `>` mark a word's start and end), sorted likewise:
  `trigram<TAB>` and, per language, its index letter and -10 * log10 P(trigram | language),
  offset by 10, as one character from `!`. P is counted over the language's word types, each
  once, with add-half smoothing: the shape of words that are not on the list.

Usage: pip install wordfreq==3.1.1 msgpack; python3 tests/scripts/make_word_frequencies.py
"""

import collections
import gzip
import importlib.util
import math
import os

import msgpack

LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "tr"]
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "src", "language")
SMOOTHING = 0.5


def word_list(code):
    # The data files only: importing wordfreq would need its tokenizer dependencies.
    package = importlib.util.find_spec("wordfreq").submodule_search_locations[0]
    path = os.path.join(package, "data", f"small_{code}.msgpack.gz")
    with gzip.open(path) as f:
        buckets = msgpack.load(f, raw=False)[1:]
    words = {}
    for centibels, bucket in enumerate(buckets):
        zipf = 9 - centibels / 100
        for word in bucket:
            if word.replace("'", "").replace("-", "").isalpha():
                words.setdefault(word, zipf)
    return words


def trigrams(word):
    padded = f"<{word}>"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def main():
    lists = [word_list(code) for code in LANGUAGES]
    table = collections.defaultdict(str)
    for index, words in enumerate(lists):
        letter = chr(ord("a") + index)
        for word, zipf in words.items():
            code = min(max(round((zipf - 3) * 10), 0), 60)
            table[word] += letter + chr(ord("0") + code)
    with open(os.path.join(OUT, "word_frequencies.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("languages " + " ".join(LANGUAGES) + "\n")
        for word in sorted(table, key=lambda w: w.encode()):
            f.write(f"{word}\t{table[word]}\n")

    counts = []
    for words in lists:
        counter = collections.Counter()
        for word in words:
            for part in word.split("'"):
                if part:
                    counter.update(trigrams(part))
        counts.append(counter)
    distinct = len(set().union(*counts))
    grams = collections.defaultdict(str)
    floors = []
    for index, counter in enumerate(counts):
        total = sum(counter.values()) + SMOOTHING * distinct
        floors.append(math.log10(SMOOTHING / total))
        letter = chr(ord("a") + index)
        for gram, count in counter.items():
            minus_log = -math.log10((count + SMOOTHING) / total)
            code = min(max(round(minus_log * 10) - 10, 0), 90)
            grams[gram] += letter + chr(ord("!") + code)
    with open(os.path.join(OUT, "letter_trigrams.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("floors " + " ".join(f"{code}:{floor:.2f}" for code, floor in zip(LANGUAGES, floors)) + "\n")
        for gram in sorted(grams, key=lambda g: g.encode()):
            f.write(f"{gram}\t{grams[gram]}\n")


if __name__ == "__main__":
    main()
