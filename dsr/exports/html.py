"""The data package as one web page: the provided data (Art. 20) as tables, for reading.

One self-contained .html file: inline CSS, no scripts, no images, nothing fetched from
anywhere (a Content-Security-Policy of default-src 'none' says so to the browser too), every
value escaped. Table bodies are written here rather than by the template language, which is
some ten times slower for tens of thousands of cells.
"""

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from dsr.choices import ExportFileKind
from dsr.exports.files import BuiltFile
from dsr.exports.pieces import ExportContent, Table, cell_text

HTML_TEMPLATE = "dsr/exports/data.html"


def _table_html(table: Table) -> str:
    yes, no = escape(_("yes")), escape(_("no"))
    parts = ["<thead><tr>"]
    parts.extend(f'<th scope="col">{escape(title)}</th>' for title in table.column_titles)
    parts.append("</tr></thead><tbody>")
    for row in table.rows:
        parts.append("<tr>")
        for value in row:
            if value is True:
                text = yes
            elif value is False:
                text = no
            else:
                text = escape(cell_text(value))
            parts.append(f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</tbody>")
    return "".join(parts)


def build_html(content: ExportContent, *, name: str) -> BuiltFile:
    systems = [
        {
            "system": system,
            "categories": [
                {
                    "category": category,
                    "tables": [
                        {
                            "table": table,
                            "anchor": f"t-{system.slug}-{number}",
                            "html": mark_safe(_table_html(table)),  # noqa: S308 - escaped above
                        }
                        for number, table in enumerate(category.tables, start=1)
                    ],
                }
                for category in system.categories
            ],
        }
        for system in content.portable_systems
    ]
    page = render_to_string(
        HTML_TEMPLATE,
        {
            "content": content,
            "systems": systems,
            "package_name": name.removesuffix(".html") + ".zip",
        },
    )
    return BuiltFile(
        kind=ExportFileKind.HTML,
        name=name,
        content_type="text/html; charset=utf-8",
        data=page.encode("utf-8"),
    )
