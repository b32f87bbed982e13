"""Every use case, headless: what ``papershelf ...`` and the app both call, and nothing below
them. No click, textual or rich here (an import-linter contract says so); each use case returns
a typed report (what changed, the lines to show, the exit code).

- :mod:`tui.services.pull`: the sources and the pull plan (days, ranges, weeks, months, arXiv
  categories), run with a :class:`~tui.services.pull.Progress`;
- :mod:`tui.services.add`: add by identifier, or by hand;
- :mod:`tui.services.imports`: a ``.bib`` file, a saved Daily Papers page;
- :mod:`tui.services.resolve`: title-only papers looked up by title;
- :mod:`tui.services.export`: choosing what to export, and writing it;
- :mod:`tui.services.links`: opening a link;
- :mod:`tui.services.json_shapes`: the documented ``--json`` shapes.

:class:`tui.services.facade.Services` bundles them for the app (tests may hand the app a
subclass). This module imports nothing, so a command loads only the use cases it runs.
"""
