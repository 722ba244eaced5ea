"""The HTML page of an executed report notebook: no code, a table of contents, checked clean."""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from ketnghia_analysis.core.controls import has_controls, strip_controls
from ketnghia_analysis.reporting.files import atomic_write_text

HIDE_TAG = "hide-in-report"


def _toc(body: str) -> str:
    """Insert a table of contents built from the h1–h3 headings of an nbconvert page."""
    heads = re.findall(r'<h([123]) id="([^"]+)"[^>]*>(.*?)</h\1>', body, flags=re.S)
    if not heads:
        return body
    items = []
    for level, anchor, inner in heads:
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        items.append(
            f'<li class="toc-h{level}"><a href="#{html.escape(anchor, quote=True)}">{text}</a></li>'
        )
    nav = (
        '<nav class="kn-toc" style="border:1px solid #ddd;border-radius:6px;padding:0.6em 1.2em;'
        'margin:1em auto;max-width:1100px;background:#fafafa"><strong>Mục lục</strong><ul>'
        + "".join(items)
        + "</ul></nav><style>.kn-toc ul{list-style:none;padding-left:0}"
        ".kn-toc .toc-h2{padding-left:1.2em}.kn-toc .toc-h3{padding-left:2.4em}"
        ".kn-toc a{text-decoration:none}</style>" + _TABLE_STYLE
    )
    match = re.search(r"<body[^>]*>", body)
    if not match:
        return nav + body
    return body[: match.end()] + nav + body[match.end() :]


# Tables fit a 1280-px screen: smaller type, headers that wrap, and a table still too wide
# scrolls inside its own box (with a visible scroll bar) instead of being cut at the edge.
_TABLE_STYLE = (
    "<style>.jp-RenderedHTMLCommon table{font-size:0.85em;table-layout:auto}"
    ".jp-RenderedHTMLCommon th{white-space:normal;vertical-align:bottom;max-width:9em}"
    ".jp-RenderedHTMLCommon td,.jp-RenderedHTMLCommon th{padding:0.3em 0.45em}"
    ".jp-OutputArea-output,.kn-table{overflow-x:auto;max-width:100%}"
    ".kn-table{margin-bottom:0.8em}.kn-facts{color:#333;font-style:italic}</style>"
)


# The "lab" page without what it fetches from a CDN (require.js, MathJax, mermaid, the
# widgets manager): an office machine offline shows the report whole. Its CSS is inline
# and charts are embedded PNGs already; the reports use no formulas or widgets.
_OFFLINE_TEMPLATE = "kn_offline.html.j2"
_OFFLINE_SOURCE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@functools.cache
def _html_exporter():
    """One exporter per process: its templates load on its first page (~0.1 s)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        template_file=_OFFLINE_TEMPLATE,
        extra_loaders=[DictLoader({_OFFLINE_TEMPLATE: _OFFLINE_SOURCE})],
    )
    # Markdown signposts for analysts ("Tải dữ liệu (Load)", "Tính toán (Compute)") carry
    # the tag HIDE_TAG: they head code only, which the report leaves out.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def export_html(notebook_path: Path, html_path: Path, title: str) -> None:
    """HTML without code cells and prompts (like ``nbconvert --no-input``), with a TOC.

    The same as ``jupyter nbconvert --to html --no-input`` plus the removal of cells
    tagged ``hide-in-report``, a "Mục lục" (table of contents) at the top, nothing
    fetched from the network (no require.js, MathJax or mermaid from a CDN) and no
    control characters.
    """
    import nbformat

    exporter = _html_exporter()
    nb = nbformat.read(notebook_path, as_version=4)
    nb.metadata["title"] = title
    body, _resources = exporter.from_notebook_node(nb)
    # Belt and braces: the tables and charts drop control characters already (readable,
    # charts); text a notebook prints itself must not carry them into the page either.
    atomic_write_text(html_path, strip_controls(_toc(body)))


def html_problems(page: str) -> list[str]:
    """What a leader should not see in an exported report: code cells, error outputs and
    control characters (NUL, ESC… from a return's cells or file name).

    Styles and scripts of the template are ignored (they name the CSS classes of input
    areas); returns a list of Vietnamese findings, empty when the page is clean.

    >>> html_problems('<div class="jp-InputArea-editor">x = 1</div>')
    ['còn ô mã (input) trong trang']
    """
    body = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S | re.I)
    problems = []
    if "jp-InputArea-editor" in body or 'class="highlight' in body or "In&nbsp;[" in body:
        problems.append("còn ô mã (input) trong trang")
    if "application/vnd.jupyter.stderr" in body:
        problems.append("có đầu ra lỗi hoặc cảnh báo (stderr)")
    if re.search(r"Traceback \(most recent call last\)|\w+Error</span>", body):
        problems.append("có thông báo lỗi Python")
    if has_controls(page):
        problems.append("có ký tự điều khiển (NUL, ESC…) trong trang")
    return problems
