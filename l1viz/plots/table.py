"""Small pictures of the measured table, from its plain data: one case's outcome shares as a
stacked bar, and the legend of those colours (HTML; Streamlit shows it with st.html)."""

from __future__ import annotations

import html

from l1viz.plots.palette import CURRENT_ROW, ENDINGS, RULE, UNDECIDED, WHITE
from l1viz.study.table import CaseMeasurement, RemedyMeasurement


def share_bar_html(measured: CaseMeasurement | RemedyMeasurement) -> str:
    """A 100 %-wide bar split by outcome share; each part names itself on hover."""
    parts = []
    for ending, shade in ENDINGS.items():
        share = measured.share(ending)
        if share > 0:
            title = html.escape(f"{shade.label}: {share:.1%}")
            style = f"width:{share * 100:.3f}%;background:{shade.hex}"
            parts.append(f'<div title="{title}" style="{style}"></div>')
    return (
        '<div style="display:flex;height:14px;width:100%;border-radius:3px;overflow:hidden;'
        f'background:{UNDECIDED}">{"".join(parts)}</div>'
    )


def share_legend_html() -> str:
    items = "".join(
        f'<span style="margin-right:1em"><span style="display:inline-block;width:10px;height:10px;'
        f'background:{shade.hex};margin-right:4px"></span>{html.escape(shade.label)}</span>'
        for shade in ENDINGS.values()
    )
    return f'<div style="font-size:0.85em">{items}</div>'


# The table's columns, as grid tracks: no column is narrower than its longest word or badge, so
# no word is broken inside and no badge or button is cut (#, signs, notebook, measured,
# agreement, why, Load).
TRACKS = (
    "2rem minmax(6.5rem, 1.3fr) minmax(8rem, 1.5fr) minmax(9rem, 2fr) minmax(8.5rem, 0.6fr) "
    "minmax(12rem, 3.6fr) 5.5rem"
)
# Below this width the columns cannot all keep their minimum: each row becomes a card.
CARD_WIDTH = "54rem"
CARD_AREAS = " ".join(
    f'"{row}"'
    for row in ("num signs load", ". notebook notebook", ". agreement agreement")
    + (". measured measured", ". why why")
)
CELL_AREAS = ("num", "signs", "notebook", "measured", "agreement", "why", "load")
ROWS = '[class*="st-key-table-rows-"]'
CELLS = f'{ROWS} [data-testid="stHorizontalBlock"]'
# Streamlit wraps the header's block in a box of its own height: that wrapper is what can stick.
HEAD = 'div:has(> [class*="st-key-table-head-"])'


def table_css() -> str:
    """The observation table's layout: a grid of rows whose header stays in view while they
    scroll, the current case's row highlighted, and a card per row when the page is narrow."""
    areas = "\n".join(
        f'{CELLS} > [data-testid="stColumn"]:nth-child({index}) {{ grid-area: {area}; }}'
        for index, area in enumerate(CELL_AREAS, start=1)
    )
    labels = "\n".join(
        f'{CELLS} > [data-testid="stColumn"]:nth-child({index})::before '
        f'{{ content: "{label}"; display: block; font-size: 0.75rem; opacity: 0.6; }}'
        for index, label in ((3, "notebook"), (4, "measured"), (6, "why"))
    )
    return f"""<style>
.stMainBlockContainer {{ padding-left: 2rem; padding-right: 2rem; }}
{ROWS} {{ container: table / inline-size; }}
{ROWS} * {{ overflow-wrap: normal; word-break: normal; hyphens: manual; }}
{ROWS} .stMarkdownBadge {{ white-space: nowrap; }}
{CELLS} {{ display: grid; grid-template-columns: {TRACKS}; column-gap: 0.75rem; }}
{CELLS} > [data-testid="stColumn"] {{ width: auto !important; min-width: 0; }}
{HEAD} {{ position: sticky; top: 3.75rem; z-index: 3; background: {WHITE};
  border-bottom: 1px solid {RULE}; }}
.st-key-table-row-current {{ background: {CURRENT_ROW}; border-radius: 0.5rem; }}
@container table (max-width: {CARD_WIDTH}) {{
  {HEAD} {{ display: none; }}
  {CELLS} {{ grid-template-columns: 2rem minmax(0, 1fr) auto;
    grid-template-areas: {CARD_AREAS}; row-gap: 0.25rem; }}
  [class*="st-key-table-row-"] {{ border-top: 1px solid {RULE}; padding-top: 0.5rem; }}
  {CELLS} > [data-testid="stColumn"]:nth-child(5) [data-testid="stVerticalBlock"] {{
    flex-direction: row; flex-wrap: wrap; justify-content: flex-start; }}
{areas}
{labels}
}}
</style>"""
