"""Chat messages as the product stores, shows and exports them: one set of rules for every stage.

An output's input is either a plain string (one user turn) or a list of OpenAI-style messages
{role, content, ...} whose content is a string, a list of parts, or null. "developer" is
OpenAI's newer name for the system role; Inspect and most eval tools know only "system", so it
is stored and exported as "system".

Two plain-text readings exist on purpose: the page shows everything a reviewer must judge (a
part without text as its JSON, the tool calls), while an export keeps what eval tools read as
text (the text parts).
"""
from __future__ import annotations

import json
from typing import Any


def canonical_role(role: Any) -> Any:
    return "system" if role == "developer" else role


def canonical_message(message: Any) -> Any:
    """The message with its role canonical; anything that is not a message passes unchanged."""
    if isinstance(message, dict) and message.get("role") == "developer":
        return {**message, "role": "system"}
    return message


def as_messages(value: Any) -> list:
    """A stored input as a list of messages: a string is one user turn."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(value or [])


def openai_messages(value: Any) -> list[dict[str, Any]]:
    """The input as OpenAI-style chat messages (role, content and the tool fields), roles canonical."""
    found = []
    for message in as_messages(value):
        entry = {"role": canonical_role(message.get("role")), "content": message.get("content")}
        for key in ("name", "tool_calls", "tool_call_id"):
            if message.get(key) is not None:
                entry[key] = message[key]
        found.append(entry)
    return found


def message_text(message: dict) -> str:
    """Plain text of a message for display: string content, each part's text (or its JSON), then
    its tool calls."""
    content = message.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = "\n".join(
            str(part.get("text") or part.get("content") or json.dumps(part)) if isinstance(part, dict) else str(part)
            for part in content
        )
    else:
        text = ""
    if message.get("tool_calls"):
        text = "\n".join(filter(None, [text, json.dumps(message["tool_calls"], ensure_ascii=False)]))
    return text


def conversation(value: Any) -> list[dict[str, str]]:
    """A stored input as (role, text) turns, whatever form it was sent in, for display."""
    return [{"role": str(m.get("role", "?")), "text": message_text(m)} for m in as_messages(value) if isinstance(m, dict)]


def content_text(content: Any) -> str:
    """A message's content as plain text for an export: parts lists keep their text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
