"""
Pages that show files written by scripts (benchmark tables and figures), when those files exist.

Benchmark reports are written by scripts after long runs (``benchmarks/report.py``,
``benchmarks/performance/speed.py``, ``benchmarks/performance/memory.py``), so a page cannot assume that they are
there. Two directives make the choice when the page is read::

    .. if-exists:: ../../benchmarks/results/speed.md

       .. include:: ../../benchmarks/results/speed.md
          :parser: myst_parser.sphinx_

    .. if-missing:: ../../benchmarks/results/speed.md

       The table appears here once ``python -m benchmarks.performance.speed`` has written it.

Paths are relative to the page, or to ``docs/`` when they start with ``/`` (as for Sphinx's ``include``). The
content is parsed only when the condition holds, so a missing file is never included and a generated page is
never listed in a toctree before it exists. Several paths may be given: ``if-exists`` needs all of them,
``if-missing`` is shown when any is missing.

A third directive shows one section of a Markdown file (the README), from below its heading to the next heading of
the same or a higher level, so that the page does not change when sections are added around it::

    .. markdown-section:: ../../README.md
       :heading: ### What differs from the authors' code, and why

A heading that is no longer in the file is an error (the build fails with ``-W``).
"""

import os
from typing import Any

from docutils import nodes, utils
from docutils.parsers.rst import Directive, directives


class _Conditional(Directive):
    required_arguments = 1
    optional_arguments = 16
    final_argument_whitespace = False
    has_content = True
    show_when_present = True

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        present = []
        seen = _seen_files(env).setdefault(env.docname, {})
        for argument in self.arguments:
            _, path = env.relfn2path(argument, env.docname)
            exists = os.path.exists(path)
            present.append(exists)
            seen[path] = exists
            if exists:
                env.note_dependency(path)
        show = all(present) if self.show_when_present else not all(present)
        if not show:
            return []
        container = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, container)
        return list(container.children)


class IfExists(_Conditional):
    """Parse the content only if every named file exists."""

    show_when_present = True


class IfMissing(_Conditional):
    """Parse the content only if a named file does not exist."""

    show_when_present = False


class MarkdownSection(Directive):
    """Parse one section of a Markdown file (without its heading) with MyST, in a page of either syntax."""

    required_arguments = 1
    option_spec = {"heading": directives.unchanged_required}
    has_content = False

    def run(self) -> list[nodes.Node]:
        from myst_parser.parsers.sphinx_ import MystParser

        env = self.state.document.settings.env
        _, path = env.relfn2path(self.arguments[0], env.docname)
        env.note_dependency(path)
        heading = self.options["heading"].strip()
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        text = section_text(lines, heading)
        if text is None:
            raise self.error(f"{self.arguments[0]} has no heading {heading!r}")
        document = utils.new_document(path, self.state.document.settings)
        MystParser().parse(text, document)
        return list(document.children)


def section_text(lines: list[str], heading: str) -> str | None:
    """
    :param lines: Lines of a Markdown file.
    :param heading: A heading line, e.g. ``"## Set-up"``.
    :return: The lines below the heading up to the next heading of the same or a higher level (``#`` lines inside
        fenced code blocks are not headings), or None if the heading is not in the file.
    """
    level = len(heading) - len(heading.lstrip("#"))
    start = None
    fence = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if start is None:
            if stripped == heading:
                start = index + 1
            continue
        hashes = len(stripped) - len(stripped.lstrip("#"))
        if 0 < hashes <= level and stripped[hashes : hashes + 1] == " ":
            return "\n".join(lines[start:index]).strip() + "\n"
    return None if start is None else "\n".join(lines[start:]).strip() + "\n"


def _seen_files(env: Any) -> dict[str, dict[str, bool]]:
    """Per document, the files its conditions looked at and whether they existed then."""
    if not hasattr(env, "generated_files_seen"):
        env.generated_files_seen = {}
    return env.generated_files_seen


def _purge(app: Any, env: Any, docname: str) -> None:
    _seen_files(env).pop(docname, None)


def _merge(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    seen = _seen_files(env)
    for docname, files in _seen_files(other).items():
        if docname in docnames:
            seen[docname] = files


def _outdated(app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """Re-read a page in an incremental build when one of its files has appeared or disappeared."""
    return [
        docname
        for docname, files in _seen_files(env).items()
        if docname not in removed and any(os.path.exists(path) != exists for path, exists in files.items())
    ]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("if-exists", IfExists)
    app.add_directive("if-missing", IfMissing)
    app.add_directive("markdown-section", MarkdownSection)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
