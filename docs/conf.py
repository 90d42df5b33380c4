"""Sphinx configuration of the sklrnn documentation.

Build with ``make docs`` from the repository root. The build works offline:
links to other projects' docs (intersphinx) are made only when the
environment variable ``SKLRNN_DOCS_INTERSPHINX=1`` says their inventories can
be downloaded.
"""

import os
import re
import sys
from pathlib import Path

import sklrnn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

project = "sklrnn"
author = "The sklrnn developers"
copyright = "The sklrnn developers"
release = sklrnn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc, autosummary and numpydoc ---------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Examples that import matplotlib (the Display classes) show their figure.
numpydoc_use_plots = True

# -- matplotlib's plot directive: user-guide code that draws ----------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (8, 3.5), "figure.autolayout": True}
plot_apply_rcparams = True

# -- intersphinx: only when the inventories can be fetched -------------------
intersphinx_mapping = {}
if os.environ.get("SKLRNN_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sklrnn",),
    "reference_url": {"sklrnn": None},
    "backreferences_dir": "generated",
    "inspect_global_variables": False,
    "remove_config_comments": True,
    "write_computation_times": False,
    "matplotlib_animations": False,
    "min_reported_time": 5,
    "image_scrapers": ("matplotlib",),
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklrnn {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False


# -- docstrings inherited from scikit-learn ----------------------------------
# Methods such as ``score``, ``set_output`` and ``set_fit_request`` come from
# scikit-learn, whose docstrings point at labels of scikit-learn's own site
# (``:ref:`metadata_routing```). Offline those labels do not exist, so their
# cross-references are turned into plain text.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _plain_sklearn_references(app, what, name, obj, options, lines):
    if not getattr(obj, "__module__", "").startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: f"*{m[1] or m[2]}*", line)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_references)
