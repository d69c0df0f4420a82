"""l1viz/plots/palette.py is the only place a colour is written: every other module of the package,
the pages and app.py take theirs from it, so an outcome has one colour on every page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from l1viz.engine.outcomes import Ending
from l1viz.plots import palette

ROOT = Path(__file__).resolve().parent.parent
PALETTE = ROOT / "l1viz" / "plots" / "palette.py"

# CSS's named colours (plotly takes the same names) and Streamlit's badge and markdown colours.
CSS_NAMES = """
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet
brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue
darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange
darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise
darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen
fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred
indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen magenta
maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin
navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen
paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red
rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue
slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
whitesmoke yellow yellowgreen rainbow transparent
""".split()
_NAME = "|".join(sorted(CSS_NAMES, key=len, reverse=True))
COLOUR_LITERALS = (
    re.compile(r"#(?:[0-9a-f]{8}|[0-9a-f]{6}|[0-9a-f]{3,4})(?![0-9a-z_])", re.IGNORECASE),
    re.compile(r"\b(?:rgba?|hsla?)\s*\(", re.IGNORECASE),
    # A whole string that is a colour name: color="red", [[0, "black"], ...].
    re.compile(rf"^\s*(?:{_NAME})\s*$", re.IGNORECASE),
    # A colour name given to CSS inside a string: "color: grey", "background:white".
    re.compile(rf"(?:color|background)\s*:\s*(?:{_NAME})\b", re.IGNORECASE),
    # Streamlit markdown: :red[text], :green-badge[text], :orange-background[text].
    re.compile(rf":(?:{_NAME}|gray|primary)(?:-badge|-background)?\[", re.IGNORECASE),
)


def colour_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string in `source` that writes a colour. Comments and docstrings are
    prose, not code: they may name colours."""
    tree = ast.parse(source)
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in prose
        and any(pattern.search(node.value) for pattern in COLOUR_LITERALS)
    ]


def _sources() -> list[Path]:
    files = sorted((ROOT / "l1viz").rglob("*.py")) + sorted((ROOT / "app_pages").rglob("*.py"))
    return [*files, ROOT / "app.py"]


def test_no_colour_is_written_outside_the_palette():
    sources = _sources()
    assert PALETTE in sources and len(sources) > 20
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in sources
        if path != PALETTE
        for line, text in colour_literals(path.read_text())
    ]
    assert offenders == [], "colours belong in l1viz/plots/palette.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "line",
    [
        'st.badge("dead", color="red")',
        "st.badge('dead', color='Grey')",
        'figure.update_layout(paper_bgcolor="#fff")',
        'line={"color": "#1F77B4"}',
        'fill = "#1f77b480"',
        'marker = {"color": "rgba(0, 0, 0, 0.5)"}',
        "shade = 'rgb(10,20,30)'",
        'scale = [[0, "white"], [1, "black"]]',
        'st.markdown(":green[converged] and :orange-badge[stalled]")',
        "st.markdown(f':{name}[x] :red-background[y]')",
        "html = f'<div style=\"color: grey\">{text}</div>'",
        'CSS = """<style>.row { background:orange; }</style>"""',
    ],
)
def test_the_scan_catches_a_colour_written_in_a_page(line):
    assert colour_literals(line + "\n"), line


@pytest.mark.parametrize(
    "line",
    [
        'st.button("Play", type="primary")',
        'HEADERS = ["#", "initial signs"]',
        "# a comment may say red, #fff or rgb(1, 2, 3)",
        '"""A docstring may cite plotly.js #4491 or say the dead region is grey."""',
        'label = f"case #{number}: red herring"',
        "st.badge(status.label, color=palette.ENDINGS[ending].badge)",
        'mode = "lines"',
    ],
)
def test_the_scan_lets_code_without_colours_pass(line):
    assert colour_literals(line + "\n") == [], line


def test_every_ending_has_its_own_chart_colour_and_a_badge_name():
    shades = [palette.ENDINGS[ending] for ending in Ending]
    assert len({shade.hex for shade in shades}) == len(shades)
    badges = {"red", "orange", "yellow", "green", "blue", "violet", "gray", "grey", "primary"}
    for shade in [*shades, *palette.PENDING.values(), *palette.AGREEMENT.values()]:
        assert re.fullmatch(r"#[0-9a-f]{6}", shade.hex) and shade.badge in badges, shade


def test_with_alpha_writes_plotlys_rgba_text():
    assert palette.with_alpha("#ff2d55", 0.3) == "rgba(255, 45, 85, 0.3)"
    assert palette.with_alpha(palette.BLACK, 0) == "rgba(0, 0, 0, 0)"
