"""Readable colours in every theme: the theme's text colours, nudged where they fall short of
WCAG AA (4.5:1) against the backgrounds the app draws them on.

Textual's built-in themes are made to look good, not to pass a contrast check: muted text is
white or black at 60% (3:1 on some panels), ``$secondary`` and ``$accent`` are mid colours that
may sit at 2:1 on a light surface, a cursor row's text is 87% white on a bright primary. The app
keeps each theme's look and moves only the colours that fail, only as far as needed (toward
white on a dark background, black on a light one), so muted text stays muted (4.5:1 where the
body text is at 10:1) and a theme's hues stay recognisable.

:func:`readable_variables` takes the CSS variables a theme generates
(``App.get_css_variables()``) and returns them with the text colours fixed; the app applies it
to whichever theme is chosen, a user's own included. The contrast test
(tests/tui/test_contrast.py) checks what is really drawn, in every theme the palette offers.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.color import Color, ColorParseError

AA = 4.5  # WCAG AA for body text
MARGIN = 0.1  # aim a little above, so a rounding or a blend on the way never drops below


def luminance(color: Color) -> float:
    """WCAG relative luminance of an opaque colour."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two opaque colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _over(color: Color, background: Color) -> Color:
    """``color`` (maybe translucent) as drawn over an opaque ``background``."""
    return background + color if color.a < 1 else color


def _extreme(backgrounds: list[Color]) -> Color:
    """White or black: whichever contrasts most with the worst of ``backgrounds``."""
    white, black = Color(255, 255, 255), Color(0, 0, 0)
    return max((white, black), key=lambda end: min(contrast(end, bg) for bg in backgrounds))


def _worst(color: Color, backgrounds: list[Color]) -> float:
    return min(contrast(_over(color, bg), bg) for bg in backgrounds)


def readable(color: Color, backgrounds: list[Color], target: float = AA + MARGIN) -> Color:
    """``color`` moved toward white or black, in small steps, until it reaches ``target``
    against every one of ``backgrounds`` (opaque); unchanged when it already does. A translucent
    colour is made more opaque first (muted text stays a blend of the theme's own colours)."""
    if _worst(color, backgrounds) >= target:
        return color
    end = _extreme(backgrounds)
    for step in range(1, 201):
        amount = step / 100
        if color.a + amount < 1:  # raise the opacity first,
            candidate = color.with_alpha(color.a + amount)
        else:  # then move the colour itself
            candidate = color.with_alpha(1).blend(end, min(1.0, amount - (1 - color.a)))
        if _worst(candidate, backgrounds) >= target:
            return candidate
    return end


def _color(variables: dict[str, str], name: str, over: Color) -> Color:
    """Variable ``name`` as a colour over ``over`` (``auto N%`` is white or black at N%)."""
    value = variables[name].strip()
    if value.startswith("auto"):
        percent = value[4:].strip().rstrip("%") or "100"
        return over.get_contrast_text(float(percent) / 100)
    parts = value.split()
    color = Color.parse(parts[0])
    if len(parts) > 1 and parts[1].endswith("%"):
        color = color.multiply_alpha(float(parts[1][:-1]) / 100)
    return color


# Text colours the app (and Textual's widgets it uses) draws on "plain" backgrounds: the
# screen, the panels, the list, a dialog, a marked row, a row under the mouse, a focused list.
PLAIN_TEXT = ["foreground", "foreground-muted", "text", "text-muted", "text-primary",
              "text-secondary", "text-accent", "text-warning", "text-success", "text-error",
              "link-color", "block-cursor-blurred-foreground", "button-foreground"]
_FOOTER_TEXT = ["footer-foreground", "footer-description-foreground", "footer-key-foreground"]


def readable_variables(variables: dict[str, str]) -> dict[str, str]:
    """The theme's CSS ``variables`` with each text colour readable (AA) on its backgrounds.

    Themes whose colours are the terminal's own (``ansi_...``) are returned unchanged: their
    colours are not known here; so is a theme of one's own with a colour this cannot read (a
    theme is never refused for it)."""
    if any(variables.get(name, "").startswith("ansi") for name in ("background", "foreground")):
        return variables
    try:
        return _readable(variables)
    except (ColorParseError, KeyError, ValueError):
        return variables


def _readable(variables: dict[str, str]) -> dict[str, str]:
    out = dict(variables)
    background = Color.parse(variables["background"])
    surface = _over(_color(variables, "surface", background), background)
    panel = _over(_color(variables, "panel", background), background)
    footer = _over(_color(variables, "footer-background", panel), panel)
    plain = [background, surface, panel]
    # A marked row (the accent at 20%), a focused note or a row under the mouse ($boost), a
    # focused list (Textual tints it with the foreground at 5%: counted as white or black at
    # 5%, the foreground being what is fixed here).
    plain.append(surface + _color(variables, "accent", surface).multiply_alpha(0.2))
    plain.append(surface + _color(variables, "boost", surface))
    plain += [bg + bg.get_contrast_text(0.05) for bg in (panel, surface)]
    for name in PLAIN_TEXT:
        if name in variables:
            out[name] = _fixed(variables, name, plain)
    # The highlight of a list that is not focused (the sidebar's current view) is the primary
    # colour at 30%: where that falls short under the text, the tint is darkened (lightened on
    # a light theme) rather than every text of the app brightened for its sake.
    _tint(out, "block-cursor-blurred-background", [panel, surface],
          _color(out, "block-cursor-blurred-foreground", panel))
    # Text on a coloured bar (the footer, the cursor row): when even white (or black) is not
    # enough on the theme's colour, the bar is darkened (or lightened) a little instead of
    # turning its text the other way round.
    footer_names = [n for n in _FOOTER_TEXT if n in variables]
    footer = _bar(out, "footer-background", footer, footer_names[1:])
    for name in footer_names:
        out[name] = _fixed(variables, name, [footer])
    cursor = _over(_color(variables, "block-cursor-background", surface), surface)
    cursor = _bar(out, "block-cursor-background", cursor, ["block-cursor-foreground"])
    out["block-cursor-foreground"] = _fixed(variables, "block-cursor-foreground", [cursor])
    # Selected text in an input (a field editor's line is selected when focused).
    if "input-selection-background" in variables:
        selections = [bg + _color(variables, "input-selection-background", bg) for bg in plain]
        out["input-selection-foreground"] = _fixed(variables, "input-selection-foreground",
                                                   selections)
    # A coloured button's label (Export is "primary", Delete is "error").
    if "button-color-foreground" in variables:
        buttons = [_over(_color(variables, name, surface), surface)
                   for name in ("primary", "error")]
        out["button-color-foreground"] = _fixed(variables, "button-color-foreground", buttons)
    return out


def _bar(out: dict[str, str], name: str, bar: Color, texts: list[str]) -> Color:
    """The bar colour ``name`` (opaque ``bar``) moved away from the text colours ``texts``
    (variable names; each at full strength: white or black) until they can all reach AA on it;
    written to ``out`` if moved."""
    ends = [_pole(bar.get_contrast_text(1) if out[text].startswith("auto")
                  else _color(out, text, bar), bar) for text in texts]
    if all(contrast(end, bar) >= AA + MARGIN for end in ends):
        return bar
    away = Color(0, 0, 0) if luminance(ends[0]) > 0.5 else Color(255, 255, 255)
    for step in range(1, 101):
        moved = bar.blend(away, step / 100)
        if all(contrast(end, moved) >= AA + MARGIN for end in ends):
            out[name] = moved.hex
            return moved
    out[name] = away.hex
    return away


def _tint(out: dict[str, str], name: str, bases: list[Color], text: Color) -> None:
    """The (maybe translucent) background ``name``, drawn over each of ``bases``, moved away
    from ``text`` (toward black under light text) until ``text`` reaches AA on it."""
    tint = _color(out, name, bases[0])

    def readable_on(candidate: Color) -> bool:
        return all(contrast(_over(text, base + candidate), base + candidate) >= AA + MARGIN
                   for base in bases)

    if readable_on(tint):
        return
    away = _pole(text, bases[0])
    away = Color(0, 0, 0) if away == Color(255, 255, 255) else Color(255, 255, 255)
    for step in range(1, 101):
        moved = tint.with_alpha(1).blend(away, step / 100).with_alpha(tint.a)
        if readable_on(moved):
            out[name] = moved.hex
            return
    out[name] = away.with_alpha(tint.a).hex


def _pole(text: Color, background: Color) -> Color:
    """White when ``text`` is lighter than ``background``, else black."""
    light = luminance(text.with_alpha(1)) > luminance(background)
    return Color(255, 255, 255) if light else Color(0, 0, 0)


def _fixed(variables: dict[str, str], name: str, backgrounds: list[Color]) -> str:
    """Variable ``name`` readable on ``backgrounds``, written back in the variable's form."""
    value = variables[name].strip()
    if value.startswith("auto"):
        # Keep "auto" (white or black, whichever the background calls for); raise the share.
        percent = float(value[4:].strip().rstrip("%") or "100")
        # "auto" is worked out on the widget's own background (the first few), the text then
        # drawn on any of them (a marked row's tint is drawn under the list's muted text).
        bases = backgrounds[:3]
        for share in range(int(percent), 101):
            texts = [base + base.get_contrast_text(share / 100) for base in bases]
            if all(contrast(text, bg) >= AA + MARGIN for text in texts for bg in backgrounds):
                return f"auto {share}%"
        # White (or black) is not enough on this background: the other end, nudged.
        color = backgrounds[0].get_contrast_text(percent / 100)
    else:
        color = _color(variables, name, backgrounds[0])
    fixed = readable(color, backgrounds)
    if fixed == color:
        return value
    return fixed.hex  # "#RRGGBBAA" when translucent


def theme_style(app: Any, name: str, background: str = "surface") -> Style:
    """The app's theme colour ``name`` (a CSS variable, readable as fixed above) as a Rich
    style, drawn over the theme's ``background``: for Rich renderables (tables), which cannot
    use CSS variables. Build them again when the theme changes."""
    variables = app.theme_variables
    base = Color.parse(variables["background"])
    bg = _over(_color(variables, background, base), base)
    return Style(color=_over(_color(variables, name, bg), bg).rich_color)
