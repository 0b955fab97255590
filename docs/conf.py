"""Sphinx configuration of the sb3-gogepo documentation (built by ``.ci/run`` with ``sphinx -W``)."""

import os
import sys

import torch

# Autodoc imports the real package; keep the import (and anything it runs) to one thread.
torch.set_num_threads(1)

DOCS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(DOCS_DIR, "_ext"))
sys.path.insert(0, os.path.dirname(DOCS_DIR))

import sb3_gogepo  # noqa: E402

# -- Project information -----------------------------------------------------

project = "Stable Baselines3 - GoGePo"
author = "sb3-gogepo contributors"
copyright = "2026, sb3-gogepo contributors"
version = sb3_gogepo.__version__
release = sb3_gogepo.__version__

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "generated",  # docs/_ext/generated.py: pages that show files written by the benchmark scripts, if present
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
nitpicky = False
pygments_style = "sphinx"

# Autodoc: the ``:param:`` docstrings of the package are the source; signatures keep their type hints.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
autoclass_content = "class"
autosummary_generate = False

# MyST: the benchmark scripts write Markdown (tables, figures) that some pages include.
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- Options for HTML output -------------------------------------------------

html_theme = "sphinx_rtd_theme"
html_theme_options = {"navigation_depth": 3, "collapse_navigation": False}
html_static_path = ["_static"]
html_css_files = ["css/custom.css"]
html_title = f"Stable Baselines3 - GoGePo {release}"
html_show_sourcelink = False
