"""Chat messages have one set of rules (reviewapp/lib/messages.py), whichever stage reads them."""
from __future__ import annotations

from reviewapp.lib.messages import (
    as_messages,
    canonical_message,
    content_text,
    conversation,
    message_text,
    openai_messages,
)

CALL = [{"id": "c1", "type": "function", "function": {"name": "refund", "arguments": "{}"}}]


def test_a_string_input_is_one_user_turn():
    assert as_messages("hello") == [{"role": "user", "content": "hello"}]
    assert as_messages(None) == []
    assert openai_messages("hello") == [{"role": "user", "content": "hello"}]


def test_developer_is_stored_and_exported_as_system():
    assert canonical_message({"role": "developer", "content": "be brief"}) == {"role": "system", "content": "be brief"}
    assert canonical_message({"role": "user", "content": "x"}) == {"role": "user", "content": "x"}
    assert canonical_message("not a message") == "not a message"
    exported = openai_messages([{"role": "developer", "content": "be brief", "extra": 1},
                                {"role": "assistant", "content": None, "tool_calls": CALL},
                                {"role": "tool", "content": "done", "tool_call_id": "c1", "name": None}])
    assert exported == [{"role": "system", "content": "be brief"},
                        {"role": "assistant", "content": None, "tool_calls": CALL},
                        {"role": "tool", "content": "done", "tool_call_id": "c1"}]


def test_the_page_shows_every_part_and_the_tool_calls_while_exports_keep_text_parts():
    parts = [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "u"}}]
    assert message_text({"role": "user", "content": parts}) == 'look\n{"type": "image_url", "image_url": {"url": "u"}}'
    assert content_text(parts) == "look\n"
    assert message_text({"role": "assistant", "content": None, "tool_calls": CALL}).startswith('[{"id": "c1"')
    assert content_text(None) == "" and content_text("plain") == "plain"


def test_a_conversation_reads_any_stored_input_as_role_and_text_turns():
    assert conversation("hi") == [{"role": "user", "text": "hi"}]
    assert conversation([{"content": "no role"}, "junk"]) == [{"role": "?", "text": "no role"}]
