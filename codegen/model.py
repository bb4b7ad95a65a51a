"""Load schema/ into a small typed intermediate model.

Templates render this model only; they never read raw schema JSON. Everything
that can be wrong in a schema file is reported here as a :class:`SchemaError`
naming the file, before anything is rendered.
"""

from __future__ import annotations

import copy
import json
import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as _MetaSchemaError

__all__ = [
    "Api",
    "ErrorCase",
    "Event",
    "Group",
    "Method",
    "Param",
    "SchemaError",
    "WireParam",
    "load_api",
    "python_names",
    "snake_case",
]

SECURITY_AUTH = {
    "NONE": "NONE",
    "USER_STREAM": "API_KEY",
    "MARKET_DATA": "API_KEY",
    "TRADE": "SIGNED",
    "USER_DATA": "SIGNED",
}
"""Security type -> the runtime's ``Auth`` member; the runtime signs ``SIGNED`` methods."""

#: Keyword arguments every generated method has; no parameter may take these names.
RESERVED_ARGS = frozenset({"api_key", "return_rate_limits", "timeout", "self"})
#: Wire parameters the runtime fills in itself.
AUTH_PARAMS = frozenset({"apiKey"})
#: ... and for signed methods (security TRADE, USER_DATA) these too.
SIGNED_PARAMS = frozenset({"apiKey", "timestamp", "signature"})


class SchemaError(Exception):
    """A schema file is invalid; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Param:
    """One request parameter of a method."""

    wire: str
    name: str
    annotation: str
    required: bool
    description: str
    to_wire: str
    """Python expression turning the argument ``name`` into its wire value."""
    base_annotation: str = ""
    """``annotation`` without the optional ``| None`` (``str`` for ``symbol``)."""
    kind: str = "string"
    """What the command line parses: ``string``, ``decimal``, ``integer``, ``number``,
    ``boolean`` or ``enum`` (then ``choices``)."""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class WireParam:
    """One request parameter as the server checks it (every parameter, ``apiKey`` included)."""

    wire: str
    kind: str
    """The JSON type (``string``, ``integer``, ``boolean``, ``number``), or ``decimal``."""
    required: bool
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorCase:
    """An error a method's docs name."""

    code: int
    status: int
    when: str


@dataclass(frozen=True)
class Method:
    """One wire method and everything rendered from it."""

    wire: str
    source: str
    group_wire: str | None
    name: str
    class_prefix: str
    title: str
    description: str
    security: str
    auth: str
    weight: int | str
    idempotent: bool
    docs: str
    errors: tuple[ErrorCase, ...]
    params: tuple[Param, ...]
    sends_api_key: bool
    result_schema: Mapping[str, Any]
    local_defs: Mapping[str, Any]
    require_any: tuple[tuple[Param, ...], ...] = ()
    """Groups of parameters of which at least one must be sent (``x-binance.requireAny``)."""
    array_without: Param | None = None
    """The parameter without which ``result`` is a list (``x-binance.arrayWithout``)."""
    weight_by: tuple[str, int, tuple[tuple[int | None, int], ...]] | None = None
    """``MethodInfo.weight_by`` (``x-binance.weightBy``)."""
    wire_params: tuple[WireParam, ...] = ()
    """Every wire parameter, in schema order, for the generated spec (``spec.py``)."""

    @property
    def result_class(self) -> str:
        return f"{self.class_prefix}Result"

    @property
    def response_class(self) -> str:
        return f"{self.class_prefix}Response"

    @property
    def list_response_class(self) -> str:
        """The reply whose ``result`` is a list, when ``array_without`` is not sent."""
        return f"{self.class_prefix}ListResponse"

    @property
    def signed(self) -> bool:
        return self.auth == "SIGNED"


@dataclass(frozen=True)
class Event:
    """One user data stream event type, from ``schema/events/<event>.json``."""

    wire: str
    """The event type, the value of ``e``: ``ORDER_TRADE_UPDATE``."""
    source: str
    class_name: str
    """``OrderTradeUpdateEvent``; the file's ``$defs`` become ``OrderTradeUpdate<Name>``."""
    schema: Mapping[str, Any]
    """The event object's schema, local ``$ref`` s pointing at the prefixed ``$defs``."""
    local_defs: Mapping[str, Any]


@dataclass(frozen=True)
class Group:
    """The methods sharing a dotted prefix: ``userDataStream.*`` -> ``client.user_data_stream``."""

    wire: str | None
    attr: str
    class_name: str
    methods: tuple[Method, ...]


@dataclass(frozen=True)
class Api:
    """Everything in schema/."""

    envelope_defs: Mapping[str, Any]
    methods: tuple[Method, ...]
    sources: tuple[str, ...] = field(default=())
    events: tuple[Event, ...] = field(default=())
    """The user data stream events (``schema/events/``), sorted by class name."""

    @property
    def event_sources(self) -> tuple[str, ...]:
        return tuple(e.source for e in self.events)

    @property
    def groups(self) -> tuple[Group, ...]:
        """Named groups, sorted by wire name; methods with no dot are in no group."""
        by_wire: dict[str, list[Method]] = {}
        for method in self.methods:
            if method.group_wire is not None:
                by_wire.setdefault(method.group_wire, []).append(method)
        return tuple(
            Group(
                wire=wire,
                attr=snake_case(wire),
                class_name=pascal_case(wire),
                methods=tuple(methods),
            )
            for wire, methods in sorted(by_wire.items())
        )

    @property
    def root_methods(self) -> tuple[Method, ...]:
        return tuple(m for m in self.methods if m.group_wire is None)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """``userDataStream`` -> ``user_data_stream``; Python keywords get a trailing ``_``."""
    out = _CAMEL.sub("_", name).lower()
    return out + "_" if keyword.iskeyword(out) else out


def pascal_case(name: str) -> str:
    """``userDataStream`` -> ``UserDataStream``."""
    return name[:1].upper() + name[1:]


def _split_wire(wire: str) -> tuple[str | None, str, str]:
    """``v2/account.balance`` -> (``account``, ``balance_v2``, ``AccountBalanceV2``)."""
    version, _, rest = wire.rpartition("/")
    group, _, name = rest.rpartition(".")
    py_name = snake_case(name)
    if version:
        py_name = f"{py_name.rstrip('_')}_{version}"
    prefix = pascal_case(group) + pascal_case(name) + version.upper()
    return (group or None), py_name, prefix


def _annotation(schema: Mapping[str, Any], where: str) -> tuple[str, str]:
    """The Python annotation of a parameter schema and how to turn a value into its wire form."""
    kind = schema.get("type")
    if "enum" in schema:
        values = schema["enum"]
        if not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{where}: only string enums are supported")
        return "Literal[" + ", ".join(json.dumps(v) for v in values) + "]", "{}"
    if kind == "string":
        if schema.get("format") == "decimal":
            # format(..., "f"): str(Decimal("1E-7")) would send exponent form.
            return "Decimal | str", 'format({0}, "f") if isinstance({0}, Decimal) else {0}'
        return "str", "{}"
    if kind == "integer":
        return "int", "{}"
    if kind == "boolean":
        return "bool", "{}"
    if kind == "number":
        return "float", "{}"
    raise SchemaError(f"{where}: unsupported parameter type {kind!r}")


def _kind(schema: Mapping[str, Any]) -> str:
    """The command line's name for a parameter's type (``_annotation`` checked it)."""
    if "enum" in schema:
        return "enum"
    if schema.get("format") == "decimal":
        return "decimal"
    return str(schema["type"])


_PYTHON_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: The x-python-type values codegen accepts, and the JSON types the property must allow.
_PYTHON_TYPES = {"int": {"integer", "string"}}


def _json_types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a property schema's ``type`` and ``anyOf`` branches name."""
    kinds: set[str] = set()
    for branch in [schema, *schema.get("anyOf", [])]:
        kind = branch.get("type")
        kinds.update([kind] if isinstance(kind, str) else kind or [])
    return kinds


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def python_names(classes: Mapping[str, Mapping[str, Any]], where: str) -> dict[str, str]:
    """Check the ``x-python-name`` and ``x-python-type`` keywords of the objects in ``classes``.

    ``classes`` maps a generated class name to the object schema it is made
    from. Returns the scoped aliases for datamodel-code-generator
    (``{"OrderTradeUpdateEvent.E": "event_time"}``). A property without
    ``x-python-name`` gets the snake_case of its wire name; two properties
    that would get the same name (``E`` and ``e``) are an error, as is
    ``x-python-name`` in an inline object (it has no class name to scope it;
    move it to ``$defs``).
    """
    aliases: dict[str, str] = {}
    roots = {id(schema) for schema in classes.values()}
    for class_name, schema in classes.items():
        seen: dict[str, str] = {}
        properties = schema.get("properties") or {}
        for wire, prop in properties.items():
            at = f"{where}: {class_name}.{wire}"
            name = prop.get("x-python-name")
            if name is None:
                name = snake_case(wire)
            elif (
                not isinstance(name, str)
                or not _PYTHON_NAME.fullmatch(name)
                or keyword.iskeyword(name)
            ):
                raise SchemaError(
                    f"{at}: x-python-name must be a snake_case identifier, not {name!r}"
                )
            else:
                aliases[f"{class_name}.{wire}"] = name
            if name in seen:
                raise SchemaError(
                    f"{at}: {seen[name]!r} and {wire!r} would both be the field {name}; "
                    "give one an x-python-name"
                )
            seen[name] = wire
            python_type = prop.get("x-python-type")
            if python_type is not None and not (
                python_type in _PYTHON_TYPES and _json_types(prop) == _PYTHON_TYPES[python_type]
            ):
                raise SchemaError(
                    f"{at}: x-python-type is only for a number sent as an integer or a "
                    'numeric string: {"anyOf": [{"type": "integer"}, {"type": "string"}], '
                    '"x-python-type": "int"}'
                )
        for node in _walk(schema):
            if id(node) in roots or not isinstance(node.get("properties"), dict):
                continue
            for wire, prop in node["properties"].items():
                if isinstance(prop, dict) and "x-python-name" in prop:
                    raise SchemaError(
                        f"{where}: {class_name}: x-python-name of {wire!r} is in an inline "
                        "object; move the object to $defs to give it a class"
                    )
    return aliases


def _meta_validator(schema_dir: Path, name: str = "x-binance.schema.json") -> Draft202012Validator:
    meta_path = schema_dir / name
    meta = _read_json(meta_path)
    _check_schema(meta, meta_path)
    return Draft202012Validator(meta)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}: not valid JSON: {exc}") from None


def _check_schema(document: Any, path: Path) -> None:
    """Validate ``document`` against the JSON Schema 2020-12 meta-schema."""
    try:
        Draft202012Validator.check_schema(document)
    except _MetaSchemaError as exc:
        location = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise SchemaError(f"{path}: not a valid JSON Schema at {location}: {exc.message}") from None


def _rewrite_refs(node: Any, local_prefix: str, path: Path) -> Any:
    """Point a method file's ``$ref`` s into the combined document's ``$defs``.

    ``#/$defs/X`` (local) -> ``#/$defs/<prefix>X``; ``../envelope.json#/$defs/X`` -> ``#/$defs/X``.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref":
                if not isinstance(value, str):
                    raise SchemaError(f"{path}: $ref must be a string")
                if value.startswith("#/$defs/"):
                    value = "#/$defs/" + local_prefix + value[len("#/$defs/") :]
                elif value.startswith("../envelope.json#/$defs/"):
                    value = "#/$defs/" + value[len("../envelope.json#/$defs/") :]
                else:
                    raise SchemaError(
                        f"{path}: unsupported $ref {value!r} "
                        "(use #/$defs/… or ../envelope.json#/$defs/…)"
                    )
                out[key] = value
            else:
                out[key] = _rewrite_refs(value, local_prefix, path)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, local_prefix, path) for item in node]
    return node


def _read_schema_file(
    path: Path, meta: Draft202012Validator
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A method or event file and its ``x-binance`` block, both checked."""
    document = _read_json(path)
    _check_schema(document, path)
    if not isinstance(document, dict):
        raise SchemaError(f"{path}: must be a JSON object")
    info: dict[str, Any] = document.get("x-binance") or {}
    errors = sorted(meta.iter_errors(info), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        location = "/".join(str(p) for p in first.absolute_path) or "(block)"
        raise SchemaError(f"{path}: invalid x-binance block at {location}: {first.message}")
    return document, info


def _load_method(path: Path, root: Path, meta: Draft202012Validator) -> Method:
    document, info = _read_schema_file(path, meta)
    wire = info["method"]
    expected_name = wire.replace("/", "_") + ".json"
    if path.name != expected_name:
        raise SchemaError(f"{path}: the file of method {wire} must be named {expected_name}")
    security = info["security"]
    if security not in SECURITY_AUTH:
        raise SchemaError(f"{path}: security {security} needs request signing, not supported yet")
    properties = document.get("properties")
    if document.get("type") != "object" or not isinstance(properties, dict):
        raise SchemaError(
            f'{path}: must be {{"type": "object", "properties": {{"params", "result"}}}}'
        )
    for part in ("params", "result"):
        if part not in properties:
            raise SchemaError(f"{path}: properties.{part} is missing")
    params_schema = properties["params"]
    if params_schema.get("type") != "object":
        raise SchemaError(f'{path}: properties.params must have "type": "object"')
    group, name, prefix = _split_wire(wire)
    required = set(params_schema.get("required", []))
    params = []
    sends_api_key = False
    filled = SIGNED_PARAMS if SECURITY_AUTH[security] == "SIGNED" else AUTH_PARAMS
    for wire_name, schema in params_schema.get("properties", {}).items():
        if wire_name in filled:
            sends_api_key = sends_api_key or wire_name in AUTH_PARAMS
            continue
        py_name = snake_case(wire_name)
        where = f"{path}: params.{wire_name}"
        if py_name in RESERVED_ARGS:
            raise SchemaError(f"{where}: the name {py_name} is reserved for the SDK")
        annotation, to_wire = _annotation(schema, where)
        params.append(
            Param(
                wire=wire_name,
                name=py_name,
                annotation=annotation,
                required=wire_name in required,
                description=" ".join(str(schema.get("description", "")).split()),
                to_wire=to_wire.format(py_name),
                base_annotation=annotation,
                kind=_kind(schema),
                choices=tuple(schema.get("enum", ())),
            )
        )
    if sends_api_key and security == "NONE":
        raise SchemaError(f"{path}: security NONE cannot send apiKey")
    if not sends_api_key and SECURITY_AUTH[security] != "NONE":
        raise SchemaError(f"{path}: security {security} needs params.properties.apiKey")
    params.sort(key=lambda p: (not p.required, p.name))
    by_wire = {p.wire: p for p in params}

    def param(wire_name: str, key: str, optional: bool = True) -> Param:
        found = by_wire.get(wire_name)
        if found is None or (optional and found.required):
            raise SchemaError(
                f"{path}: x-binance.{key} names {wire_name!r}, which is not an optional parameter"
            )
        return found

    require_any = tuple(
        tuple(param(w, "requireAny") for w in group_) for group_ in info.get("requireAny", [])
    )
    array_without = param(info["arrayWithout"], "arrayWithout") if "arrayWithout" in info else None
    weight_by = None
    if "weightBy" in info:
        rule = info["weightBy"]
        param(rule["param"], "weightBy")
        steps: tuple[tuple[int | None, int], ...] = (
            ((None, rule["present"]),)
            if "present" in rule
            else tuple((s["upTo"], s["weight"]) for s in rule["steps"])
        )
        weight_by = (rule["param"], rule["absent"], steps)
    local_defs = {
        prefix + name: _rewrite_refs(schema, prefix, path)
        for name, schema in document.get("$defs", {}).items()
    }
    python_names({f"{prefix}Result": properties["result"], **local_defs}, str(path))
    return Method(
        wire=wire,
        source=path.relative_to(root.parent).as_posix(),
        group_wire=group,
        name=name,
        class_prefix=prefix,
        title=str(document.get("title", wire)),
        description=" ".join(str(document.get("description", "")).split()),
        security=security,
        auth=SECURITY_AUTH[security],
        weight=info["weight"],
        idempotent=info["idempotent"],
        docs=info["docs"],
        errors=tuple(ErrorCase(**e) for e in info.get("errors", [])),
        params=tuple(params),
        sends_api_key=sends_api_key,
        result_schema=_rewrite_refs(copy.deepcopy(properties["result"]), prefix, path),
        local_defs=local_defs,
        require_any=require_any,
        array_without=array_without,
        weight_by=weight_by,
        wire_params=tuple(
            WireParam(
                wire=wire_name,
                kind=(
                    "decimal"
                    if schema.get("format") == "decimal"
                    else str(schema.get("type", "string" if "enum" in schema else None))
                ),
                required=wire_name in required,
                enum=tuple(schema.get("enum", ())),
            )
            for wire_name, schema in params_schema.get("properties", {}).items()
        ),
    )


def _method_files(schema_dir: Path) -> Iterator[Path]:
    methods_dir = schema_dir / "methods"
    if not methods_dir.is_dir():
        raise SchemaError(f"{methods_dir}: directory not found")
    yield from sorted(methods_dir.glob("*.json"))


def event_class_prefix(wire: str) -> str:
    """``ORDER_TRADE_UPDATE`` -> ``OrderTradeUpdate``; ``listenKeyExpired`` stays camelCase."""
    if wire.isupper():
        return "".join(part.capitalize() for part in wire.split("_"))
    return pascal_case(wire)


#: Keys of an event file that describe the file, not the event object.
_EVENT_FILE_KEYS = frozenset({"$schema", "$id", "$defs", "title", "x-binance", "examples"})


def _load_event(path: Path, root: Path, meta: Draft202012Validator) -> Event:
    document, info = _read_schema_file(path, meta)
    wire = info["event"]
    if path.name != f"{wire}.json":
        raise SchemaError(f"{path}: the file of event {wire} must be named {wire}.json")
    properties = document.get("properties")
    if document.get("type") != "object" or not isinstance(properties, dict):
        raise SchemaError(f'{path}: must be {{"type": "object", "properties": {{...}}}}')
    # The union of events is tagged by e: each model must carry its own tag.
    if properties.get("e", {}).get("const") != wire:
        raise SchemaError(f'{path}: properties.e must be {{"const": "{wire}"}}')
    if not {"e", "E"} <= set(document.get("required", [])):
        raise SchemaError(f"{path}: e and E must be required")
    prefix = event_class_prefix(wire)
    class_name = f"{prefix}Event"
    schema = {k: v for k, v in document.items() if k not in _EVENT_FILE_KEYS}
    schema = _rewrite_refs(schema, prefix, path)
    local_defs = {
        prefix + name: _rewrite_refs(definition, prefix, path)
        for name, definition in document.get("$defs", {}).items()
    }
    python_names({class_name: schema, **local_defs}, str(path))
    for example in document.get("examples", []):
        if not isinstance(example, dict) or example.get("e") != wire:
            raise SchemaError(f"{path}: every example must be a {wire} event object")
    return Event(
        wire=wire,
        source=path.relative_to(root.parent).as_posix(),
        class_name=class_name,
        schema=schema,
        local_defs=local_defs,
    )


def _load_events(schema_dir: Path) -> list[Event]:
    """Every ``events/*.json``; the directory is optional."""
    events_dir = schema_dir / "events"
    paths = sorted(events_dir.glob("*.json")) if events_dir.is_dir() else []
    if not paths:
        return []
    meta = _meta_validator(schema_dir, "x-binance-event.schema.json")
    events = [_load_event(path, schema_dir, meta) for path in paths]
    names: dict[str, str] = {}
    for event in events:
        for name in (event.class_name, *event.local_defs):
            if name in names:
                raise SchemaError(f"{event.source} and {names[name]} both generate class {name}")
            names[name] = event.source
    return sorted(events, key=lambda e: e.class_name)


def load_api(schema_dir: Path) -> Api:
    """Load and validate every file of ``schema_dir``."""
    schema_dir = schema_dir.resolve()
    meta = _meta_validator(schema_dir)
    envelope_path = schema_dir / "envelope.json"
    envelope = _read_json(envelope_path)
    _check_schema(envelope, envelope_path)
    for required in ("RateLimit", "ErrorResponse", "Response"):
        if required not in envelope.get("$defs", {}):
            raise SchemaError(f"{envelope_path}: $defs.{required} is missing")
    methods = [_load_method(path, schema_dir, meta) for path in _method_files(schema_dir)]
    seen: dict[str, str] = {}
    for method in methods:
        key = f"{method.group_wire}.{method.name}"
        if key in seen:
            raise SchemaError(f"{method.source} and {seen[key]} both generate {key}")
        seen[key] = method.source
    methods.sort(key=lambda m: m.wire)
    sources = [f"{schema_dir.name}/envelope.json", *(m.source for m in methods)]
    return Api(
        envelope_defs=envelope["$defs"],
        methods=tuple(methods),
        sources=tuple(sources),
        events=tuple(_load_events(schema_dir)),
    )
