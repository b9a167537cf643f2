"""The `jmapkit` command: a thin click layer, one call into the package per command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from jmapkit import __version__
from jmapkit.errors import JmapkitError
from jmapkit.i18n import _, set_language


class _Group(click.Group):
    """Print a user's mistake as one line with exit status 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except JmapkitError as exc:
            click.echo(_("Error: {message}").format(message=exc.message), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="jmapkit")
def main() -> None:
    """Run a customer-journey-mapping workshop in Jupyter, re-run it on new data, export it."""
    from jmapkit.i18n import language_from_environment

    # Until a workshop is opened (which then speaks its own language), speak the user's.
    set_language(language_from_environment())


def _workshop(path: str):  # type: ignore[no-untyped-def]
    """Open the workshop and speak its language from here on (output, check messages, exports)."""
    from jmapkit.store import Workshop

    ws = Workshop(path)
    set_language(ws.meta.language)
    return ws


def _parse_data(pairs: tuple[str, ...]) -> dict[str, str]:
    data = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise JmapkitError(_("--data {pair} is not NAME=PATH.").format(pair=repr(pair)),
                              fix=_("write e.g. --data events=exports/events.csv"))
        data[name.strip()] = path.strip()
    return data


@main.command()
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@click.option("--template", default=None, is_flag=False, flag_value="", metavar="NAME",
              help="Workshop template (default: a blank map); without NAME, list the templates.")
@click.option("--lang", type=click.Choice(["en", "de", "ko", "ja"]), default=None,
              help="Workshop language (default: from the locale, LANG / LC_ALL, else en).")
@click.option("--name", default=None, help="Workshop name (default: the template's).")
@click.option("--from", "parent", type=click.Path(exists=True, file_okay=False), default=None, metavar="PARENT",
              help="Start a journey map from this experience map's hotspot (with --hotspot).")
@click.option("--hotspot", default=None, metavar="TOUCHPOINT", help="The parent's touchpoint to map in depth.")
@click.option("--persona", default=None, metavar="NAME", help="The parent's persona to follow (default: its first).")
def new(directory: str | None, template: str | None, lang: str | None, name: str | None, parent: str | None,
        hotspot: str | None, persona: str | None) -> None:
    """Create a workshop folder from a template, or a journey map from an experience map's hotspot."""
    if template == "" or directory is None:
        if directory is None and template != "":
            raise JmapkitError(_("missing DIRECTORY."), fix=_("write {command}.").format(
                command="`jmapkit new DIR [--template NAME]`"))
        _list_templates()
        return
    if parent is None:
        if hotspot or persona:
            raise JmapkitError(_("--hotspot and --persona need --from PARENT."), fix=_("write {command}.").format(
                command="`jmapkit new CHILD --from PARENT --hotspot TOUCHPOINT`"))
        from jmapkit.i18n import language_from_environment
        from jmapkit.store import new_workshop

        ws = new_workshop(directory, template=template or "default", language=lang or language_from_environment(),
                          name=name)
    else:
        if not hotspot or template:
            raise JmapkitError(_("--from PARENT needs --hotspot TOUCHPOINT and takes no --template."),
                               fix=_("write {command}.").format(
                                   command="`jmapkit new CHILD --from PARENT --hotspot TOUCHPOINT [--persona NAME]`"))
        from jmapkit.drilldown import new_child

        ws = new_child(_workshop(parent), directory, hotspot=hotspot, persona=persona, name=name)
        link = ws.meta.parent
        assert link is not None
        set_language(ws.meta.language)
        click.echo(_("Journey map for hotspot “{hotspot}” of {parent}").format(hotspot=link.hotspot, parent=parent)
                   + (_(", following “{persona}”").format(persona=link.persona) if link.persona else ""))
    set_language(ws.meta.language)
    click.echo(_("Created workshop “{name}” in {folder}").format(name=ws.meta.name, folder=ws.root))
    click.echo(_("Next: {command}").format(command=f"jmapkit lab {directory}"))


def _parse_options(pairs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    options: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        name, dot, option = key.partition(".")
        if not sep or not dot or not name.strip() or not option.strip():
            raise JmapkitError(_("--option {pair} is not INPUT.OPTION=VALUE.").format(pair=repr(pair)),
                               fix=_("write e.g. --option events.delimiter=';' or --option survey.decimal=,"))
        options.setdefault(name.strip(), {})[option.strip()] = value
    return options


@main.command()
def templates() -> None:
    """List the workshop templates with a one-line description each."""
    _list_templates()


def _list_templates() -> None:
    from jmapkit.templates import catalogue

    found = catalogue()
    width = max(len(name) for name, _ in found)
    for name, description in found:
        click.echo(f"{name:<{width}}  {description}")
    click.echo("Use one with: jmapkit new DIR --template NAME")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="events=, survey=, verbatims= file.")
@click.option("--option", "option", multiple=True, metavar="NAME.OPTION=VALUE",
              help="How to read an input: delimiter, encoding, decimal, timestamp_format, sheet "
                   "(e.g. events.delimiter=';').")
@click.option("--from-step", type=click.IntRange(1, 5), default=1, show_default=True)
def run(directory: str, data: tuple[str, ...], option: tuple[str, ...], from_step: int) -> None:
    """Re-run all five notebooks with papermill (on new data with --data)."""
    from jmapkit.diff import summary
    from jmapkit.pipeline import run as run_pipeline
    from jmapkit.pipeline import skip_unused_modules

    skip_unused_modules()
    overrides = _parse_data(data)
    options = _parse_options(option)
    ws = _workshop(directory)
    result = run_pipeline(ws, data=overrides, options=options, from_step=from_step, progress=_ProgressBar())
    if result.first:
        click.echo(_("first run: nothing to compare"))
    else:
        since = _("the steps saved before this run") if result.compared_with == "saved steps" else \
            _("run {run}").format(run=result.compared_with)
        for line in summary(result.changes, since, limit=CHANGES_SHOWN):
            click.echo(line)
        if len(result.changes) > CHANGES_SHOWN:
            click.echo("  " + _("(all of them: {command})").format(command=f"jmapkit diff {directory}"))
    click.echo(_("Run written to {folder}").format(folder=result.folder))


CHANGES_SHOWN = 20


class _ProgressBar:
    """`jmapkit run`'s terminal: a bar on stderr (a terminal only), and a line per notebook and warning."""

    def start(self, notebooks: list[str]) -> None:
        import threading

        from tqdm import tqdm

        self._bar = tqdm(total=len(notebooks), unit="notebook", file=sys.stderr, disable=None, leave=False,
                         bar_format="{desc} {bar:20} {n_fmt}/{total_fmt} notebooks [{elapsed}]")
        self._stop = threading.Event()
        # tqdm redraws only when told: a timer keeps the elapsed time moving during a long notebook.
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def notebook_started(self, notebook: str) -> None:
        self._bar.set_description_str(_("running {notebook}").format(notebook=notebook))

    def notebook_finished(self, entry) -> None:  # type: ignore[no-untyped-def]
        self._write(f"{'ok' if entry.status == 'ok' else entry.status:>6}  {entry.notebook}  {entry.seconds:.1f} s")
        self._bar.update()
        if self._bar.n == self._bar.total:
            self._bar.set_description_str(_("comparing and recording the run"))

    def warning(self, text: str) -> None:
        self._write("  " + _("warning: {text}").format(text=text))

    def close(self) -> None:
        if hasattr(self, "_bar"):
            self._stop.set()
            self._ticker.join()
            self._bar.close()

    def _write(self, line: str) -> None:
        from tqdm import tqdm

        tqdm.write(line, file=sys.stdout)

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._bar.refresh()


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def runs(directory: str) -> None:
    """List the workshop's runs: id, date, status, duration and the data files read (short hashes)."""
    from jmapkit.runs import history

    records = history(_workshop(directory))
    if not records:
        click.echo(_("No runs yet: {command}").format(command=f"jmapkit run {directory}"))
        return
    run_, date_, status_, duration_, data_ = _("run"), _("date (UTC)"), _("status"), _("duration"), _("data")
    click.echo(f"{run_:<20}  {date_:<16}  {status_:<10}  {duration_:>8}  {data_}")
    for r in records:
        date = f"{r.started:%Y-%m-%d %H:%M}" if r.started else "?"
        seconds = f"{r.seconds:.1f} s" if r.seconds is not None else "–"
        files = ", ".join(f"{Path(f.path).name} {f.short}" for f in r.data.values()) or "–"
        click.echo(f"{r.id:<20}  {date:<16}  {r.status:<10}  {seconds:>8}  {files}")
        if r.failure:
            click.echo(f"{'':<20}  {r.failure.get('notebook') or 'run'}: {r.failure.get('reason')}")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("run_a", required=False)
@click.argument("run_b", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff(directory: str, run_a: str | None, run_b: str | None, fmt: str) -> None:
    """What moved between two runs (default: the last two); only a test makes a change significant."""
    import json

    from jmapkit.diff import as_records, summary
    from jmapkit.runs import diff as diff_runs

    result = diff_runs(_workshop(directory), run_a, run_b)
    if fmt == "json":
        click.echo(json.dumps({"before": result.before.id, "after": result.after.id,
                               "changes": as_records(result.changes)}, indent=2, ensure_ascii=False))
        return
    click.echo(_("From run {before} to run {after}").format(before=result.before.id, after=result.after.id))
    for line in summary(result.changes, _("run {run}").format(run=result.before.id)):
        click.echo(line)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Unreviewed template content is an error, not a warning.")
def check(directory: str, fmt: str, strict: bool) -> None:
    """Check the map against the coded quality rules; exit 1 when there are errors."""
    import json

    from jmapkit.quality import as_json, check_view, summary_line, view_of

    view = view_of(_workshop(directory))
    findings = check_view(view, strict=strict)
    links = view.links
    if fmt == "json":
        click.echo(json.dumps(as_json(findings, links), indent=2, ensure_ascii=False))
    else:
        for f in findings:
            about = f" [{f.item}]" if f.item else ""
            severity = _("error") if f.severity == "error" else _("warning")
            click.echo(f"{f.code} {severity:<7} " + _("step {n}").format(n=f.step) + f"  {f.name}{about}: {f.message}")
            click.echo(f"{'':22}" + _("fix: {fix}").format(fix=f.fix))
        for link in links:
            role = _("drill-down") if link.role == "child" else _("drilled from")
            click.echo(f"{role} {link.hotspot}: {link.describe()}")
        click.echo(summary_line(findings))
    if any(f.severity == "error" for f in findings):
        sys.exit(1)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def feedback(directory: str) -> None:
    """Write a journey map's key numbers into the experience map it was drilled from."""
    from jmapkit.drilldown import feed_back

    ws = _workshop(directory)
    line = feed_back(ws)
    link = ws.meta.parent
    assert link is not None
    click.echo(f"Wrote to {link.path} (hotspot {link.hotspot}): {line}")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--to", "to", required=True, help="pptx, html, xlsx, png, slides, or all.")
@click.option("-o", "--output", type=click.Path(), default=None, help="Output file (a folder with --to all).")
def export(directory: str, to: str, output: str | None) -> None:
    """Export the workshop to a deck, a page, a workbook, a picture, slides, or all of them."""
    from jmapkit.export import ALL, export_all
    from jmapkit.export import export as export_workshop

    if to.lower() == ALL:
        for fmt, path, seconds in export_all(_workshop(directory), output):
            click.echo(f"{fmt:<7} {seconds:5.1f} s  {path}")
        return
    path = export_workshop(_workshop(directory), to, output)
    click.echo(_("Wrote {path}").format(path=path))


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--port", type=int, default=None)
@click.option("--no-browser", is_flag=True, help="Do not open a browser (e.g. on a server).")
def lab(directory: str, port: int | None, no_browser: bool) -> None:
    """Open JupyterLab on the workshop's notebooks."""
    ws = _workshop(directory)
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={ws.root}"]
    if port:
        cmd.append(f"--port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    click.echo(_("Opening JupyterLab on {folder} (Ctrl-C to stop)").format(folder=ws.root))
    raise SystemExit(subprocess.call(cmd))


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8866, show_default=True, help="0: any free port.")
@click.option("--ip", default="0.0.0.0", show_default=True, help="Address to listen on (0.0.0.0: the room's network).")
@click.option("--token", default=None, help="Participants' access code (default: a new random one).")
@click.option("--facilitator-token", default=None, help="Access code of the projector view (default: a new one).")
def serve(directory: str, port: int, ip: str, token: str | None, facilitator_token: str | None) -> None:
    """Open the room: participants vote and post notes from their phones, the projector shows the map live."""
    from jmapkit.room.server import serve as serve_room

    serve_room(_workshop(directory), ip=ip, port=port, token=token, facilitator_token=facilitator_token,
               echo=click.echo)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False), default="demo-workshop")
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it is a workshop already.")
@click.option("--template", default="restaurant", show_default=True, metavar="NAME",
              help="A template with example data (jmapkit templates lists them).")
def demo(directory: str, force: bool, template: str) -> None:
    """Create a bundled example, run all five steps and export it to every format."""
    from jmapkit.export import export_all
    from jmapkit.pipeline import run as run_pipeline
    from jmapkit.pipeline import skip_unused_modules
    from jmapkit.store import WORKSHOP_FILE, new_workshop
    from jmapkit.templates import with_data

    runnable = with_data()
    if template not in runnable:
        raise JmapkitError(f"the template {template!r} has no example data to run.",
                           fix=f"use one of: {', '.join(runnable)}.")
    skip_unused_modules()
    target = Path(directory)
    if force and (target / WORKSHOP_FILE).is_file():
        shutil.rmtree(target)
    ws = new_workshop(target, template=template)
    set_language(ws.meta.language)
    click.echo(_("Workshop: {folder}").format(folder=ws.root))
    result = run_pipeline(ws, progress=_ProgressBar())
    click.echo(_("Run: {folder}").format(folder=result.folder))
    for fmt, path, seconds in export_all(ws):
        click.echo(f"{fmt.upper():<9} {path}  ({seconds:.1f} s)")
