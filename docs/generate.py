"""Fill the generated blocks of the documentation from the code's registries.

A page marks a block with two HTML comments (invisible in the built site)::

    <!-- generated: ocp.costs:COST_TYPES -->
    ...table...
    <!-- end generated -->

The source is either ``MODULE:ATTRIBUTE``, an object with ``markdown_table()``
(a :class:`ocp.io.declarations.Registry`), or ``README.md#HEADING``, the body
of that ``##`` section of the repository's README (so that a page repeats the
README's commands word for word).

    python docs/generate.py                  # rewrite the stale blocks
    python docs/generate.py --check          # exit 1 naming each stale page
    python docs/generate.py --allow-missing  # leave blocks whose registry is absent

``--check`` also holds ``.ci/run`` to the README: the last command of the
README's "Two commands" section (the test command) must appear in it.
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"

BLOCK = re.compile(r"(<!-- generated: (?P<source>[^>]+?) -->\n)(?P<body>.*?)"
                   r"(<!-- end generated -->)",
                   re.DOTALL)


class MissingSource(Exception):
    """A block's source (module, attribute or README section) does not exist."""


def readme_section(heading: str) -> str:
    """The body of the README's ``## heading`` section, without blank lines at its ends."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text,
                      re.DOTALL | re.MULTILINE)
    if match is None:
        raise MissingSource(f"{README.name} has no section '## {heading}'")
    return match.group(1).strip("\n")


def registry_table(source: str) -> str:
    """``module:attribute``'s ``markdown_table()``."""
    module_name, _, attribute = source.partition(":")
    if not attribute:
        raise ValueError(f"generated block source '{source}': expected MODULE:ATTRIBUTE "
                         f"or README.md#HEADING")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise MissingSource(f"module '{module_name}' not found ({exc})") from None
    registry = getattr(module, attribute, None)
    if registry is None:
        raise MissingSource(f"module '{module_name}' has no attribute '{attribute}'")
    if not hasattr(registry, "markdown_table"):
        raise MissingSource(f"'{source}' is a {type(registry).__name__}, not a registry "
                            f"with markdown_table()")
    return registry.markdown_table().strip("\n")


def content(source: str) -> str:
    if source.startswith("README.md#"):
        return readme_section(source.partition("#")[2])
    return registry_table(source)


def render(text: str, page: str, allow_missing: bool, notes: list[str]) -> str:
    """``text`` with every generated block refilled from its source."""
    def fill(match: re.Match) -> str:
        source = match.group("source").strip()
        try:
            body = content(source)
        except MissingSource as exc:
            if not allow_missing:
                raise MissingSource(f"{page}: generated block '{source}': {exc}") from None
            notes.append(f"{page}: kept the block '{source}' as it is: {exc}")
            return match.group(0)
        return f"{match.group(1)}{body}\n{match.group(4)}"
    return BLOCK.sub(fill, text)


def ci_matches_readme() -> str | None:
    """None when ``.ci/run`` runs the README's test command, else what is wrong."""
    section = readme_section("Two commands")
    commands = re.findall(r"```bash\n(.*?)\n```", section, re.DOTALL)
    if not commands:
        return f"{README.name}: '## Two commands' has no ```bash block"
    if not CI.exists():
        return None
    if commands[-1].strip() not in CI.read_text(encoding="utf-8"):
        return (f"{CI.relative_to(ROOT)} does not run the test command of {README.name} "
                f"('{commands[-1].strip()}'): keep the two in sync")
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming every page whose blocks are stale")
    parser.add_argument("--allow-missing", action="store_true",
                        help="keep a block as it is when its registry does not exist yet")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    notes: list[str] = []
    stale: list[str] = []
    for path in sorted(DOCS.rglob("*.md")):
        page = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        try:
            new = render(text, page, args.allow_missing, notes)
        except MissingSource as exc:
            print(f"error: {exc} (--allow-missing keeps such blocks as they are)",
                  file=sys.stderr)
            return 1
        if new != text:
            stale.append(page)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)

    if args.check:
        problems = [f"{page} is stale: run python docs/generate.py" for page in stale]
        ci = ci_matches_readme()
        if ci:
            problems.append(ci)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for page in stale:
        print(f"rewrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
