"""What the console's forms send, found the way a browser finds it: every page reachable by a link is read, and its
forms' fields (with their values) are gathered under the POST route they post to.

The routes come from the application's own OpenAPI description, so a new form of the console is found without a
list to keep up to date.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

PREFIX = "/admin"


@dataclass
class Form:
    """One `<form>` of a page: where it posts, and each field's values as the page offers them."""

    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    """The fields that upload a file."""

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


class FormParser(HTMLParser):
    """The forms and the links of a page (fields outside their form, with `form="id"`, included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._by_id: dict[str, Form] = {}
        self._open: Form | None = None
        self._select: tuple[Form, str] | None = None
        self._textarea: tuple[Form, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._open = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._open)
            if a.get("id"):
                self._by_id[a["id"]] = self._open
            return
        owner = self._by_id.get(a["form"]) if "form" in a else self._open
        if tag == "option" and self._select is not None:
            self._select[0].add(self._select[1], a.get("value", ""))
        if owner is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "file":
                owner.files.add(name)
            owner.add(name, a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = (owner, name)
        elif tag == "textarea":
            self._textarea = (owner, name, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            owner, name, text = self._textarea
            owner.add(name, "".join(text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[2].append(data)


@dataclass
class Route:
    """A POST route of the console: its path template, the fields its forms send, and the paths seen for it."""

    template: str
    pattern: re.Pattern[str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)

    @property
    def parameters(self) -> list[str]:
        """The names of the path's parameters (`reference`, `request_id`)."""
        return re.findall(r"\{(\w+)\}", self.template)

    def learn(self, form: Form, path: str) -> None:
        self.paths.add(path)
        self.files |= form.files
        for name, values in form.fields.items():
            self.fields.setdefault(name, [])
            self.fields[name] += [v for v in values if v not in self.fields[name]]


def post_routes(app: FastAPI) -> dict[str, Route]:
    """The console's POST routes, from the application's OpenAPI description, with the fields each declares."""
    spec = app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    routes = {}
    for template, operations in spec["paths"].items():
        if not template.startswith(PREFIX + "/") or "post" not in operations:
            continue
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        route = Route(template, re.compile(f"^{regex}$"))
        for content in operations["post"].get("requestBody", {}).get("content", {}).values():
            reference = content.get("schema", {}).get("$ref", "")
            for name in schemas.get(reference.rsplit("/", 1)[-1], {}).get("properties", {}):
                route.fields.setdefault(name, [])
        routes[template] = route
    return routes


def get_pages(app: FastAPI) -> list[str]:
    """The console's pages without a parameter in their path: where the crawl starts."""
    paths = app.openapi()["paths"]
    return [p for p, ops in paths.items() if p.startswith(PREFIX + "/") and "get" in ops and "{" not in p]


def crawl(
    client: TestClient,
    routes: dict[str, Route],
    start: list[str],
    posts: Sequence[tuple[str, dict[str, str], dict[str, tuple[str, bytes]]]] = (),
) -> None:
    """Read every page reachable from `start` (three addresses per path at most: the week before, the week
    after...) and the answers to `posts` (forms that change nothing), and record their forms' fields in `routes`.
    """
    seen: set[str] = set()
    per_path: Counter[str] = Counter()
    queue = deque(start)
    pages: list[str] = []
    while queue and len(seen) < 200:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or per_path[path] >= 3 or path.startswith(PREFIX + "/static"):
            continue
        seen.add(url)
        per_path[path] += 1
        response = client.get(url)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        pages.append(response.text)
        parser = FormParser()
        parser.feed(response.text)
        queue.extend(link for link in parser.links if urlsplit(link).path.startswith(PREFIX + "/"))
    for path, data, files in posts:
        pages.append(client.post(path, data=data, files=files or None).text)
    for html in pages:
        parser = FormParser()
        parser.feed(html)
        for form in parser.forms:
            if form.method != "post":
                continue
            action = urlsplit(form.action).path
            for route in routes.values():
                if route.pattern.match(action):
                    route.learn(form, action)
