"""Forms built from the step models, so every step's UI follows its model without hand-written widgets.

A form edits a copy of the model; `value()` validates and returns a new model in which every
record the team touched is marked `source=team` (template content stays `template` until edited
or confirmed).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
from pydantic import BaseModel

from jmapkit.model import Source

LONG_TEXT = {"customer_goal", "description", "quote", "fix", "text"}
Choices = Mapping[str, Sequence[tuple[str, str]]]  # field name → [(label, value)] for references


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
    """One model field as a widget, with a way back from the widget to a value."""

    def __init__(self, name: str, field: Any, value: Any, choices: Choices, on_change: Callable[[], None]):
        self.name = name
        label = name.replace("_", " ")
        annotation, self.optional = _unwrap(field.annotation)
        origin = typing.get_origin(annotation)
        layout = w.Layout(width="95%")
        style = {"description_width": "160px"}
        self.to_value: Callable[[Any], Any] = lambda v: v
        self.child: ModelListEditor | None = None
        if name in choices:
            options = list(choices[name])
            if value not in [v for _, v in options]:
                options.append((str(value), value))
            self.widget: w.Widget = w.Dropdown(options=options, value=value, description=label, style=style)
        elif origin is typing.Literal:
            self.widget = w.Dropdown(options=list(typing.get_args(annotation)), value=value, description=label,
                                     style=style)
        elif annotation is bool:
            self.widget = w.Checkbox(value=bool(value), description=label, indent=False)
        elif annotation in (int, float):
            lo, hi = _bounds(field)
            if lo is not None and hi is not None:
                cls = w.IntSlider if annotation is int else w.FloatSlider
                kw = {} if annotation is int else {"step": 0.5}
                self.widget = cls(value=value if value is not None else lo, min=lo, max=hi, description=label,
                                  style=style, **kw)
            else:
                self.widget = w.Text(value="" if value is None else f"{value:g}", description=label, style=style,
                                     layout=layout)
                self.to_value = _number(annotation)
        elif origin is list and _is_model(typing.get_args(annotation)[0]):
            self.child = ModelListEditor(typing.get_args(annotation)[0], value, choices, on_change, label)
            self.widget = self.child.widget
        elif origin is list:
            self.widget = w.Textarea(value="\n".join(map(str, value)), description=label, placeholder="one per line",
                                     style=style, layout=layout, rows=max(2, len(value) + 1))
            self.to_value = lambda v: [line.strip() for line in v.splitlines() if line.strip()]
        elif origin is dict:
            text = "\n".join(f"{k} = {v}" for k, v in value.items())
            self.widget = w.Textarea(value=text, description=label, placeholder="key = value, one per line",
                                     style=style, layout=layout, rows=max(3, min(12, len(value) + 1)))
            self.to_value = _pairs
        else:
            cls = w.Textarea if name in LONG_TEXT else w.Text
            self.widget = cls(value="" if value is None else str(value), description=label, style=style,
                              layout=layout)
            if self.optional:
                self.to_value = lambda v: v.strip() or None
        if self.child is None:
            self.widget.observe(lambda _change: on_change(), names="value")

    def value(self, *, confirm: bool = False) -> Any:
        if self.child is not None:
            return self.child.values(confirm=confirm)
        return self.to_value(self.widget.value)  # type: ignore[attr-defined]

    def raw(self) -> Any:
        if self.child is not None:
            return [e.raw() for e in self.child.editors]
        return self.widget.value  # type: ignore[attr-defined]


class ModelEditor:
    """A form for one record (a persona, a touchpoint, the goals, ...)."""

    def __init__(self, model: BaseModel, choices: Choices, on_change: Callable[[], None]):
        self.original = model
        self.cls = type(model)
        self.fields = [
            FieldEditor(name, field, getattr(model, name), choices, on_change)
            for name, field in self.cls.model_fields.items()
            if name != "source"
        ]
        self.widget = w.VBox([f.widget for f in self.fields])

    def raw(self) -> dict[str, Any]:
        """What the widgets hold, unvalidated: saved as a draft when it does not validate."""
        return {f.name: f.raw() for f in self.fields}

    def value(self, *, confirm: bool = False) -> BaseModel:
        data = {f.name: f.value(confirm=confirm) for f in self.fields}
        if "source" in self.cls.model_fields:
            before = self.original.model_dump(exclude={"source"})
            changed = self.cls.model_validate({**data, "source": self.original.source}).model_dump(
                exclude={"source"}) != before
            source = Source(kind="team") if (changed or confirm) else self.original.source
            data["source"] = source
        return self.cls.model_validate(data)


class ModelListEditor:
    """An editable list of records: one accordion panel each, with add and remove."""

    def __init__(self, cls: type[BaseModel], items: list[BaseModel], choices: Choices,
                 on_change: Callable[[], None], label: str):
        self.cls, self.choices, self.on_change, self.label = cls, choices, on_change, label
        self.editors = [ModelEditor(item, choices, on_change) for item in items]
        self.accordion = w.Accordion()
        add = w.Button(description=f"Add {label.rstrip('s')}", icon="plus")
        add.on_click(lambda _b: self._add())
        self.widget = w.VBox([w.HTML(f"<b>{label.capitalize()}</b>"), self.accordion, add])
        self._refresh()

    def _title(self, editor: ModelEditor) -> str:
        raw = editor.raw()
        for key in ("name", "description", "id", "touchpoint"):
            if raw.get(key):
                return str(raw[key])[:60]
        return "(new)"

    def _refresh(self) -> None:
        panels = []
        for i, editor in enumerate(self.editors):
            remove = w.Button(description="Remove", icon="trash", button_style="warning")
            remove.on_click(lambda _b, i=i: self._remove(i))
            panels.append(w.VBox([editor.widget, remove]))
        self.accordion.children = panels
        for i, editor in enumerate(self.editors):
            self.accordion.set_title(i, self._title(editor))

    def _add(self) -> None:
        blank = self.cls.model_construct(**{
            name: (f.get_default(call_default_factory=True) if not f.is_required() else _blank(f))
            for name, f in self.cls.model_fields.items()
        })
        self.editors.append(ModelEditor(blank, self.choices, self.on_change))
        self._refresh()
        self.accordion.selected_index = len(self.editors) - 1

    def _remove(self, index: int) -> None:
        del self.editors[index]
        self._refresh()
        self.on_change()

    def values(self, *, confirm: bool = False) -> list[BaseModel]:
        return [e.value(confirm=confirm) for e in self.editors]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _blank(field: Any) -> Any:
    annotation, _ = _unwrap(field.annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)[0]
    return {str: "", int: 0, float: 0.0, bool: False}.get(annotation, "")


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        text = text.strip().replace(",", ".")
        return kind(float(text)) if text else None

    return parse


def _pairs(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            if key.strip():
                pairs[key.strip()] = value.strip()
    return pairs
