"""Markdown cleaner: the Markdown of chat-completion answers becomes plain text.

Some clients behind the gateway (SMS, voice, plain-text widgets) cannot render
Markdown. On the response path (``on_before_write``) the plugin parses the content of
each assistant message of a JSON chat-completion answer with mistune, a pure-Python
Markdown parser from PyPI that the manifest declares in ``sandbox.requirements`` (the
wasm build bundles it), and writes the parsed document back as plain text:

* emphasis, strong and strikethrough markers are dropped, inline code keeps its text;
* headings, paragraphs, quotes and code blocks become blocks separated by a blank line
  (a code block's lines are kept as they are);
* list items start with ``- `` or their number, nested ones indented by two spaces;
* links become ``text (url)`` (``keep_links=false``: the text only), images their alt
  text, table rows their cells separated by `` | ``; HTML tags are dropped (``<br>``
  becomes a line break).

The answer is modified only when some message changed: its headers then carry the new
``content-length`` and ``<marker_header>: <messages cleaned>``. Streamed chunks and
bodies that are not a chat completion pass untouched.
"""

from __future__ import annotations

import json
from typing import Any

import mistune

from guest_sdk import BasePlugin, ConfigProvider, Context, ResponseHandler
from guest_sdk.messages import (HeadersRequest, HeadersResponse, ResponseWriteRequest,
                                ResponseWriteResponse)

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "keep_links": {"type": "boolean",
                       "description": "Write links as 'text (url)'; false keeps the text only (default true)."},
        "marker_header": {"type": "string", "minLength": 1,
                          "description": "Response header that tells how many messages were cleaned "
                                         "(default x-markdown-cleaned)."},
    },
    "additionalProperties": False,
}

#: mistune's parser with no renderer: it answers the syntax tree (a list of tokens).
_PARSE = mistune.create_markdown(renderer=None, plugins=["strikethrough", "table"])
#: Block tokens whose children are inline text.
_TEXT_BLOCKS = ("heading", "paragraph", "block_text")


def to_plain_text(markdown: str, keep_links: bool = True) -> str:
    """``markdown`` as plain text (see the module's documentation)."""
    tokens = _PARSE(markdown)
    assert isinstance(tokens, list)
    return "\n\n".join(b for b in _blocks(tokens, keep_links) if b.strip()).strip()


def _blocks(tokens: list[dict[str, Any]], keep_links: bool) -> list[str]:
    out: list[str] = []
    for token in tokens:
        kind = token["type"]
        if kind in _TEXT_BLOCKS:
            out.append(_inline(token.get("children", []), keep_links).strip())
        elif kind == "block_code":
            out.append(str(token.get("raw", "")).rstrip("\n"))
        elif kind == "block_quote":
            out.append("\n\n".join(_blocks(token.get("children", []), keep_links)))
        elif kind == "list":
            out.append("\n".join(_list_lines(token, keep_links)))
        elif kind == "table":
            out.append("\n".join(_table_rows(token, keep_links)))
        elif kind == "block_html":
            out.append(_strip_tags(str(token.get("raw", ""))).strip())
        elif "children" in token:  # anything newer: keep its text
            out.append(_inline(token["children"], keep_links).strip())
        # blank_line, thematic_break: nothing
    return out


def _list_lines(token: dict[str, Any], keep_links: bool) -> list[str]:
    attrs = token.get("attrs", {})
    ordered, start = bool(attrs.get("ordered")), int(attrs.get("start", 1) or 1)
    lines: list[str] = []
    for number, item in enumerate(token.get("children", []), start):
        marker = f"{number}. " if ordered else "- "
        first = True
        for child in item.get("children", []):
            if child["type"] == "list":
                lines += ["  " + line for line in _list_lines(child, keep_links)]
                continue
            for text in _blocks([child], keep_links):
                for line in text.splitlines() or [""]:
                    lines.append((marker if first else " " * len(marker)) + line)
                    first = False
    return lines


def _table_rows(token: dict[str, Any], keep_links: bool) -> list[str]:
    rows: list[str] = []
    for part in token.get("children", []):
        cells_rows = [part["children"]] if part["type"] == "table_head" else \
            [row.get("children", []) for row in part.get("children", [])]
        for cells in cells_rows:
            rows.append(" | ".join(_inline(c.get("children", []), keep_links).strip() for c in cells))
    return rows


def _inline(tokens: list[dict[str, Any]], keep_links: bool) -> str:
    parts: list[str] = []
    for token in tokens:
        kind = token["type"]
        if kind in ("text", "codespan"):
            parts.append(str(token.get("raw", "")))
        elif kind in ("linebreak", "softbreak"):
            parts.append("\n")
        elif kind == "link":
            text = _inline(token.get("children", []), keep_links)
            url = str(token.get("attrs", {}).get("url", ""))
            parts.append(f"{text} ({url})" if keep_links and url and url != text else text)
        elif kind == "image":
            parts.append(_inline(token.get("children", []), keep_links))
        elif kind == "inline_html":  # tags are dropped; a line break stays one
            parts.append("\n" if str(token.get("raw", "")).lower().startswith("<br") else "")
        elif "children" in token:  # emphasis, strong, strikethrough, ...
            parts.append(_inline(token["children"], keep_links))
        else:
            parts.append(str(token.get("raw", "")))
    return "".join(parts)


def _strip_tags(html: str) -> str:
    out, inside = [], False
    for ch in html:
        if ch == "<":
            inside = True
        elif ch == ">" and inside:
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)


class MarkdownCleaner(BasePlugin, ResponseHandler, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("markdown-cleaner", "1.0.0", "Turns Markdown answers into plain text")
        self.keep_links = True
        self.marker = "x-markdown-cleaned"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.keep_links = config.get("keep_links", "true").lower() != "false"
        self.marker = config.get("marker_header", "x-markdown-cleaned")

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        return HeadersResponse()  # the headers change with the body, in on_before_write

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        if req.is_stream_chunk or not req.body:
            return ResponseWriteResponse()
        try:
            answer = json.loads(req.body)
        except ValueError:
            return ResponseWriteResponse()
        cleaned = 0
        for choice in answer.get("choices", []) if isinstance(answer, dict) else []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                plain = to_plain_text(message["content"], self.keep_links)
                if plain != message["content"]:
                    message["content"] = plain
                    cleaned += 1
        if not cleaned:
            return ResponseWriteResponse()
        body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        headers = dict(req.headers)
        headers["content-length"] = str(len(body))
        headers[self.marker] = str(cleaned)
        return ResponseWriteResponse(modified=True, body=body, headers=headers)


def create_plugin() -> MarkdownCleaner:
    return MarkdownCleaner()
