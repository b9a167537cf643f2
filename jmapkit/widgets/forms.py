"""Forms built from the step models, so every step's UI follows its model without hand-written widgets.

A form edits a copy of the model. `validate()` checks each record on its own, so one invalid record
never blocks saving the others: the valid ones come back as the model to save, the invalid ones as
plain-language problems shown at their field (and kept in a draft by the step editor). Every record
the team touched is marked `source=team`; template content stays `template` until edited or confirmed.
"""

from __future__ import annotations

import html
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
from pydantic import BaseModel, ValidationError

from jmapkit.i18n import N_, _
from jmapkit.model import Source
from jmapkit.widgets.labels import (
    NOT_SET,
    PLACEHOLDERS,
    choice_label,
    field_label,
    list_labels,
    plain_message,
    record_label,
    slug,
)

LONG_TEXT = {"customer_goal", "description", "quote", "fix", "text"}
ADVANCED = {"id"}  # generated from the name; editable under "Advanced" only
TITLE_FIELDS = ("name", "description", "touchpoint", "id")
Choices = Mapping[str, Sequence[tuple[str, str]]]  # field name → [(label, value)] for references
Problem = tuple[str, str]  # (field name, message in plain words)
STYLE = {"description_width": "170px"}
UNSET = ""  # a dropdown's "not set" choice


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Optional/Annotated, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                return annotation, optional
            annotation = args[0]
        else:
            return annotation, optional


def _bounds(field: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in field.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


class FieldEditor:
    """One model field as a widget with its message line, and the way back from widget to value."""

    def __init__(self, name: str, field: Any, value: Any, choices: Choices, on_change: Callable[[], None]):
        self.name = name
        label = field_label(name)
        annotation, self.optional = _unwrap(field.annotation)
        origin = typing.get_origin(annotation)
        layout = w.Layout(width="95%")
        self.to_value: Callable[[Any], Any] = lambda v: v
        self.from_value: Callable[[Any], Any] = lambda v: v
        self.child: ModelListEditor | None = None
        if name in choices or origin is typing.Literal:
            if name in choices:
                options = [(label_, v) for label_, v in choices[name]]
            else:
                options = [(choice_label(name, v), v) for v in typing.get_args(annotation)]
            if self.optional:
                # ipywidgets shows a None value as an empty box: "not set" is its own option, "".
                options.insert(0, (NOT_SET, UNSET))
                self.to_value = lambda v: None if v == UNSET else v
                self.from_value = lambda v: UNSET if v is None else v
                value = self.from_value(value)
            if value not in [v for _, v in options]:
                options.append((str(value), value))
            self.widget: w.Widget = w.Dropdown(options=options, value=value, description=label, style=STYLE,
                                               layout=w.Layout(width="95%"))
        elif annotation is bool:
            self.widget = w.Checkbox(value=bool(value), description=label, indent=False)
        elif annotation in (int, float):
            lo, hi = _bounds(field)
            if lo is not None and hi is not None:
                cls = w.IntSlider if annotation is int else w.FloatSlider
                kw = {} if annotation is int else {"step": 0.5}
                self.widget = cls(value=value if value is not None else lo, min=lo, max=hi, description=label,
                                  style=STYLE, **kw)
            else:
                self.widget = w.Text(value=_shown_number(value), description=label, style=STYLE, layout=layout)
                self.to_value = _number_text
                self.from_value = _shown_number
        elif origin is list and _is_model(typing.get_args(annotation)[0]):
            self.child = ModelListEditor(name, typing.get_args(annotation)[0], value, choices, on_change)
            self.widget = self.child.widget
        elif origin is list:
            self.widget = w.Textarea(value="\n".join(map(str, value)), description=label,
                                     placeholder=_("one per line"), style=STYLE, layout=layout,
                                     rows=max(2, min(8, len(value) + 1)))
            self.to_value = lambda v: [line.strip() for line in v.splitlines() if line.strip()]
            self.from_value = lambda v: "\n".join(map(str, v))
        elif origin is dict:
            self.widget = w.Textarea(value=_pairs_text(value), description=label,
                                     placeholder=_(PLACEHOLDERS.get(name, N_("key = value, one per line"))),
                                     style=STYLE, layout=layout, rows=max(3, min(12, len(value) + 1)))
            self.to_value = _pairs
            self.from_value = _pairs_text
        else:
            cls = w.Textarea if name in LONG_TEXT else w.Text
            self.widget = cls(value="" if value is None else str(value), description=label, style=STYLE,
                              layout=layout, placeholder=_(PLACEHOLDERS.get(name, "")))
            if self.optional:
                self.to_value = lambda v: v.strip() or None
                self.from_value = lambda v: v or ""
        self.error = w.HTML("", layout=w.Layout(margin="0 0 0 176px"))
        self.error.add_class("jmapkit-field-error")
        self.box = w.VBox([self.widget, self.error]) if self.child is None else self.widget
        if self.child is None:
            self.widget.observe(lambda _change: on_change(), names="value")

    def value(self, *, confirm: bool = False) -> Any:
        if self.child is not None:
            return self.child.values(confirm=confirm)[0]
        return self.to_value(self.widget.value)  # type: ignore[attr-defined]

    def raw(self) -> Any:
        """What the widget holds, as typed: kept in a draft, and put back by `set_raw`."""
        if self.child is not None:
            return [e.raw() for e in self.child.editors]
        return self.widget.value  # type: ignore[attr-defined]

    def set_raw(self, raw: Any) -> None:
        if self.child is not None:
            self.child.set_raw(raw if isinstance(raw, list) else [])
            return
        if isinstance(self.widget, w.Dropdown) and raw not in [v for _, v in self.widget.options]:
            self.widget.options = [*self.widget.options, (str(raw), raw)]
        self.widget.value = raw  # type: ignore[attr-defined]

    def set_value(self, value: Any) -> None:
        """Show a saved value (after another window's edit was merged in)."""
        if self.child is not None:
            self.child.set_models(value)
        elif self.raw() != self.from_value(value):
            self.set_raw(self.from_value(value))

    def show(self, message: str | None) -> None:
        self.error.value = f"<span class='jmapkit-field-error'>⚠ {html.escape(message)}</span>" if message else ""


class ModelEditor:
    """A form for one record (a persona, a touchpoint, the goals, ...)."""

    def __init__(self, model: BaseModel, choices: Choices, on_change: Callable[[], None], *,
                 hidden: Sequence[str] = (), new: bool = False, taken_ids: Callable[[], set[str]] | None = None):
        self.original = model
        self.new = new
        self.cls = type(model)
        self.on_change = on_change
        self.fields = [
            FieldEditor(name, field, getattr(model, name), choices, on_change)
            for name, field in self.cls.model_fields.items()
            if name != "source" and name not in hidden
        ]
        self.hidden = {name: getattr(model, name) for name in hidden if name in self.cls.model_fields}
        plain = [f.box for f in self.fields if f.name not in ADVANCED]
        advanced = [f.box for f in self.fields if f.name in ADVANCED]
        children: list[w.Widget] = list(plain)
        if advanced:
            more = w.Accordion(children=[w.VBox(advanced)], selected_index=None)
            more.set_title(0, _("Advanced"))
            children.append(more)
        self.widget = w.VBox(children)
        self._auto_id = self._follow_name(taken_ids)

    def field(self, name: str) -> FieldEditor | None:
        return next((f for f in self.fields if f.name == name), None)

    def _follow_name(self, taken_ids: Callable[[], set[str]] | None) -> bool:
        """An id is made from the name while it is empty or still the one made from the name."""
        name, id_ = self.field("name"), self.field("id")
        if name is None or id_ is None:
            return False
        auto = not id_.widget.value or id_.widget.value == slug(name.widget.value)  # type: ignore[attr-defined]

        def follow(change: dict[str, Any]) -> None:
            if not self._auto_id:
                return
            taken = (taken_ids() if taken_ids else set()) - {id_.widget.value}  # type: ignore[attr-defined]
            id_.widget.value = slug(change["new"], taken) if change["new"].strip() else ""  # type: ignore[attr-defined]

        def typed(change: dict[str, Any]) -> None:
            # A hand-typed id stops following the name.
            self._auto_id = change["new"] == slug(name.widget.value) or not change["new"]  # type: ignore[attr-defined]

        name.widget.observe(follow, names="value")
        id_.widget.observe(typed, names="value")
        return auto

    def raw(self) -> dict[str, Any]:
        """What the widgets hold, unvalidated: saved as a draft when it does not validate."""
        return {f.name: f.raw() for f in self.fields}

    def set_raw(self, raw: Mapping[str, Any]) -> None:
        for f in self.fields:
            if f.name in raw:
                f.set_raw(raw[f.name])

    def set_model(self, model: BaseModel) -> None:
        self.original = model
        self.new = False
        for f in self.fields:
            f.set_value(getattr(model, f.name))

    def validate(self, *, confirm: bool = False) -> tuple[BaseModel | None, list[Problem]]:
        """The record as a model, or None with the problems of each field in plain words."""
        problems: list[Problem] = []
        data: dict[str, Any] = dict(self.hidden)
        for f in self.fields:
            if f.child is not None:
                items, child_problems = f.child.values(confirm=confirm)
                data[f.name] = items
                problems += [(f.name, message) for message in child_problems]
            else:
                data[f.name] = f.value()
        try:
            model = self._model(data, confirm)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                problems.append((name, plain_message(err, name) if err["type"] != "value_error"
                                 else str(err["msg"]).removeprefix("Value error, ")))
            return None, problems
        return (None if problems and not any(f.child for f in self.fields) else model), problems

    def _model(self, data: dict[str, Any], confirm: bool) -> BaseModel:
        if "source" in self.cls.model_fields:
            before = self.original.model_dump(exclude={"source"}) if not self.new else None
            candidate = self.cls.model_validate({**data, "source": self.original.source})
            changed = self.new or candidate.model_dump(exclude={"source"}) != before
            data["source"] = Source(kind="team") if (changed or confirm) else self.original.source
        return self.cls.model_validate(data)

    def show(self, problems: Sequence[Problem], prefix: str = "") -> None:
        """Put each problem at its field; clear the others."""
        by_field: dict[str, list[str]] = {}
        for name, message in problems:
            by_field.setdefault(name, []).append(message)
        for f in self.fields:
            if f.child is None:
                messages = by_field.get(f.name, [])
                f.show(f"{prefix}{'; '.join(messages)}" if messages else None)

    def value(self, *, confirm: bool = False) -> BaseModel:
        """The validated model (raises when a record is invalid; the step editor uses `validate`)."""
        model, problems = self.validate(confirm=confirm)
        if model is None or problems:
            raise ValueError("; ".join(message for _, message in problems))
        return model


class ModelListEditor:
    """An editable list of records: one panel each, titled by its name as it is typed, with add and remove."""

    KEYS = ("name", "id")  # the first of these a record has must be unique in the list

    def __init__(self, field: str, cls: type[BaseModel], items: list[BaseModel], choices: Choices,
                 on_change: Callable[[], None]):
        self.field, self.cls, self.choices, self.on_change = field, cls, choices, on_change
        self.heading, self.item = list_labels(field)
        self.editors = [self._editor(item) for item in items]
        self.accordion = w.Accordion()
        add = w.Button(description=_("Add {item}").format(item=self.item), icon="plus",
                       layout=w.Layout(width="auto"))
        add.add_class("jmapkit-add")
        add.on_click(lambda _b: self._add())
        self.undo_bar = w.HBox([])
        self.widget = w.VBox([w.HTML(f"<b>{html.escape(self.heading)}</b>"), self.accordion, w.HBox([add]),
                              self.undo_bar])
        self._removed: tuple[int, ModelEditor] | None = None
        self._refresh()

    def _editor(self, item: BaseModel, *, new: bool = False) -> ModelEditor:
        editor = ModelEditor(item, self.choices, self.on_change, new=new, taken_ids=self._ids)
        for key in ("name", "description"):
            f = editor.field(key)
            if f is not None:
                f.widget.observe(lambda _c, e=editor: self._retitle(e), names="value")
                break
        return editor

    def _ids(self) -> set[str]:
        return {str(e.field("id").widget.value) for e in self.editors if e.field("id")}  # type: ignore[union-attr]

    def _title(self, index: int, editor: ModelEditor) -> str:
        raw = editor.raw()
        for key in TITLE_FIELDS:
            value = raw.get(key)
            if value:
                text = str(value)
                if key == "touchpoint":
                    text = dict((v, k) for k, v in self.choices.get("touchpoint", [])).get(value, text)
                return text if len(text) <= 60 else text[:59] + "…"
        return _("{record} (no name yet)").format(record=record_label(self.item, index))

    def _retitle(self, editor: ModelEditor) -> None:
        if editor in self.editors:
            i = self.editors.index(editor)
            self.accordion.set_title(i, self._title(i, editor))

    def _refresh(self) -> None:
        panels = []
        for editor in self.editors:
            remove = w.Button(description=_("Remove"), icon="trash", button_style="warning",
                              tooltip=_("Remove this {item} (you can undo it)").format(item=self.item))
            remove.add_class("jmapkit-remove")
            remove.on_click(lambda _b, e=editor: self._remove(self.editors.index(e)))
            panels.append(w.VBox([editor.widget, remove]))
        self.accordion.children = panels
        for i, editor in enumerate(self.editors):
            self.accordion.set_title(i, self._title(i, editor))

    def _add(self) -> None:
        blank = self.cls.model_construct(**{
            name: (f.get_default(call_default_factory=True) if not f.is_required() else _blank(f, self.choices, name))
            for name, f in self.cls.model_fields.items()
        })
        self.editors.append(self._editor(blank, new=True))
        self._refresh()
        self.accordion.selected_index = len(self.editors) - 1

    def _remove(self, index: int) -> None:
        editor = self.editors.pop(index)
        self._removed = (index, editor)
        self._refresh()
        title = self._title(index, editor)
        undo = w.Button(description=_("Undo"), icon="undo", button_style="info")
        undo.add_class("jmapkit-undo")
        undo.on_click(lambda _b: self._undo())
        note = w.HTML(html.escape(_("Removed {item} “{title}”.").format(item=self.item, title=title)))
        self.undo_bar.children = [note, undo]
        self.on_change()

    def _undo(self) -> None:
        if self._removed is None:
            return
        index, editor = self._removed
        self._removed = None
        self.editors.insert(min(index, len(self.editors)), editor)
        self.undo_bar.children = []
        self._refresh()
        self.on_change()

    def values(self, *, confirm: bool = False) -> tuple[list[BaseModel], list[str]]:
        """The valid records, and one plain message per invalid one naming it ("Persona 3: a name is needed").

        An invalid record that was saved before keeps its saved version; a new one is left out until fixed.
        """
        out: list[BaseModel] = []
        problems: list[str] = []
        seen: dict[str, int] = {}
        key = next((k for k in self.KEYS if k in self.cls.model_fields), None)
        for i, editor in enumerate(self.editors):
            model, found = editor.validate(confirm=confirm)
            name = record_label(self.item, i)
            if model is not None and key:
                value = str(getattr(model, key))
                if value in seen:
                    found = [*found, (key, _("another {item} is already called “{value}”").format(
                        item=self.item, value=value))]
                    model = None
                else:
                    seen[value] = i
            editor.show(found)
            if found:
                problems += [f"{name}: {message}" for _, message in found]
                if not editor.new and model is None:
                    out.append(editor.original)
            elif model is not None:
                out.append(model)
        return out, problems

    def set_raw(self, raws: list[Mapping[str, Any]]) -> None:
        while len(self.editors) < len(raws):
            self._add()
        del self.editors[len(raws):]
        self._refresh()
        for editor, raw in zip(self.editors, raws, strict=True):
            editor.set_raw(raw)

    def set_models(self, models: list[BaseModel]) -> None:
        if len(models) != len(self.editors):
            self.editors = [self._editor(m) for m in models]
            self._refresh()
            return
        for editor, model in zip(self.editors, models, strict=True):
            editor.set_model(model)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _blank(field: Any, choices: Choices, name: str) -> Any:
    annotation, _optional = _unwrap(field.annotation)
    if name in choices and choices[name]:
        return choices[name][0][1]
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)[0]
    return {str: "", int: 0, float: 0.0, bool: False}.get(annotation, "")


def _number_text(text: str) -> Any:
    """A number typed the workshop language's way ('14,5' in German); '' is no value; anything else goes to
    validation, which names it."""
    from jmapkit.numbers import parse

    if not text.strip():
        return None
    try:
        return parse(text)
    except ValueError:
        return text.strip()


def _shown_number(value: Any) -> str:
    """A saved number as the field shows it, in the workshop language ('14,5' in German); '' for none."""
    from jmapkit.numbers import typed

    return "" if value is None else typed(value)


def _pairs(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines():
        if "=" in line:
            key, _sep, value = line.partition("=")
            if key.strip():
                pairs[key.strip()] = value.strip()
    return pairs


def _pairs_text(value: Mapping[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in value.items())
