#!/usr/bin/env python3
"""Every relative link in the repository's Markdown files points at a file that exists, and every
#anchor at a heading of that file (GitHub's anchor rules). Exits 1 naming each broken link."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Every .venv* folder (check-template.sh makes .venv-sam and .venv-checkov, run-local.sh .venv-tools).
SKIP = {"node_modules", "target", ".git", ".aws-sam"}


def markdown_files():
    def skipped(parts):
        return SKIP.intersection(parts) or any(part.startswith(".venv") for part in parts)

    return [p for p in ROOT.rglob("*.md") if not skipped(p.relative_to(ROOT).parts)]


def slug(heading):
    heading = re.sub(r"`", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def anchors_of(path):
    found, seen, in_code = set(), {}, False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"^#{1,6}\s+(.*)", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links_of(path):
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [m.group(1) for m in re.finditer(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", m.group(1))]


def main():
    files = markdown_files()
    anchors = {path: anchors_of(path) for path in files}
    broken, checked = [], 0
    for path in files:
        for target in links_of(path):
            checked += 1
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                broken.append(f"{path.relative_to(ROOT)}: no file {target}")
            elif anchor and dest.suffix == ".md" and anchor not in anchors.get(dest, anchors_of(dest)):
                broken.append(f"{path.relative_to(ROOT)}: no heading for {target}")
    print("\n".join(broken))
    print(f"{checked} links checked in {len(files)} Markdown files, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
