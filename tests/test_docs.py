"""The documentation: its code runs, its API page is complete, and it builds.

Every ``.. code-block:: python`` and ``.. plot::`` block of a page under
``docs/`` runs, the blocks of one page in order in one namespace, as a reader
would paste them. Blocks that need what the test machine lacks (a GPU, Keras,
accelerate) carry ``:class: no-run``.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sklrnn
import sklrnn.datasets
import sklrnn.preprocessing

PUBLIC_MODULES = [sklrnn, sklrnn.preprocessing, sklrnn.datasets]
try:  # the optional extra: dev installs it
    import sklrnn.onnx

    PUBLIC_MODULES.append(sklrnn.onnx)
except ImportError:
    pass

DOCS = Path(__file__).parents[1] / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.rst")
    if not path.is_relative_to(DOCS / "_build")
    and not path.is_relative_to(DOCS / "_templates")
    and not path.is_relative_to(DOCS / "generated")
    and not path.is_relative_to(DOCS / "auto_examples")
)
# Pages whose code trains for longer than a few seconds.
SLOW_PAGES = {"comparison.rst"}

_BLOCK = re.compile(
    r"^\.\. (?:code-block:: python|plot::)\n"  # the directive
    r"((?:   :[^\n]*\n)*)\n"  # its options, then a blank line
    r"((?:(?:   [^\n]*)?\n)+)",  # the indented code
    re.MULTILINE,
)


def code_blocks(page):
    """The runnable python and plot blocks of an RST page, dedented."""
    blocks = []
    for options, body in _BLOCK.findall(page.read_text()):
        if "no-run" in options:
            continue
        lines = [line[3:] for line in body.splitlines()]
        blocks.append("\n".join(lines).strip() + "\n")
    return blocks


def _page_params():
    for page in PAGES:
        name = str(page.relative_to(DOCS))
        marks = [pytest.mark.slow] if page.name in SLOW_PAGES else []
        yield pytest.param(page, id=name, marks=marks)


@pytest.mark.parametrize("page", list(_page_params()))
def test_page_code_runs(page, tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    try:
        for number, block in enumerate(code_blocks(page)):
            code = compile(block, f"{page.name}, python block {number + 1}", "exec")
            exec(code, namespace)
    finally:
        plt.close("all")


def test_pages_have_code_to_run():
    assert code_blocks(DOCS / "user_guide" / "forecasting.rst")
    assert not [
        block
        for block in code_blocks(DOCS / "user_guide" / "gpu.rst")
        if "cuda" in block
    ], "the GPU blocks must be marked no-run"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_api_page_lists_every_public_name(module):
    api = (DOCS / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", api, re.MULTILINE))
    public = {name for name in module.__all__ if not name.startswith("__")}
    assert public - listed == set(), f"add them to docs/api.rst ({module.__name__})"


# Public names whose docstring has no Examples section yet, and why that is
# tolerated for now. Remove an entry when its docstring gains one.
KNOWN_WITHOUT_EXAMPLES = {
    "load_weights": "save_weights' example saves and loads with it",
}


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_has_a_runnable_example(module):
    lacking = {
        name
        for name in module.__all__
        if not name.startswith("__")
        and "Examples\n" not in (getattr(module, name).__doc__ or "")
    }
    assert lacking <= set(KNOWN_WITHOUT_EXAMPLES), (
        f"docstrings without an Examples section: {lacking}"
    )


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    """The site builds with warnings as errors, gallery included (minutes)."""
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("numpydoc")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    gallery = tmp_path / "html" / "auto_examples"
    for example in sorted((DOCS.parent / "examples").glob("plot_*.py")):
        page = (gallery / f"{example.stem}.html").read_text()
        assert f"sphx_glr_{example.stem}_001.png" in page, f"{example.name}: no figure"
