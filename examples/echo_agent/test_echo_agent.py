"""The echo_agent example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import PluginHarness, agent_request, harness_for, load_factory
from host_abi.ops import DEFAULT_GRANTS
from runtime.cli.main import cli

HERE = Path(__file__).parent
T = M.AgentMessageChunk.ChunkType
LLMS = {"llms": [{"id": 3, "name": "Fixture GPT", "default_model": "gpt-4o",
                  "reply": "Hello from the model"}]}


def _studio(**config: object) -> PluginHarness:
    return harness_for(HERE, runtime="studio", grants=DEFAULT_GRANTS | {"llms.proxy"}, fixtures=LLMS,
                       config=config)


def test_echo_streams_the_message_between_markers() -> None:
    h = harness_for(HERE, config={"prefix": "<< ", "suffix": " >>", "words_per_chunk": 2})
    chunks = h.stream("handle_agent_message", agent_request("one two three"))
    assert [(c.type, c.content) for c in chunks] == [
        (T.CONTENT, "<< one "), (T.CONTENT, "two three "), (T.CONTENT, ">>"), (T.DONE, "")]
    assert [c.is_final for c in chunks] == [False, False, False, True]
    assert json.loads(chunks[-1].metadata_json) == {"source": "echo", "chunks": 3}


def test_echo_keeps_the_text_intact() -> None:
    h = harness_for(HERE, config={"words_per_chunk": 1})
    message = "  spaced   out, ünïcode!  "
    chunks = h.stream("handle_agent_message", agent_request(message))
    assert "".join(c.content for c in chunks) == "[echo] " + message + " [/echo]"
    assert len(chunks) > 5 and chunks[-1].type == T.DONE


def test_an_llm_named_in_the_request_streams_its_answer() -> None:
    h = _studio()
    chunks = h.stream("handle_agent_message", agent_request("hi", config={"llm_id": 3}))
    assert [c.type for c in chunks] == [T.CONTENT] * 4 + [T.DONE]
    assert "".join(c.content for c in chunks).strip() == "Hello from the model"
    assert chunks[-1].is_final
    assert json.loads(chunks[-1].metadata_json) == {"source": "llm", "llm_id": 3, "model": "gpt-4o",
                                                    "chunks": 4}


def test_the_plugin_config_can_name_the_llm_and_a_request_can_turn_it_off() -> None:
    h = _studio(llm_id=3)
    assert "model" in "".join(c.content for c in h.stream("handle_agent_message", agent_request("hi")))
    echoed = h.stream("handle_agent_message", agent_request("hi", config={"llm_id": 0}))
    assert "".join(c.content for c in echoed) == "[echo] hi [/echo]"


class RecordingHarness(PluginHarness):
    """The harness, also keeping the arguments of every studio.call_llm."""

    def __post_init__(self) -> None:
        self.llm_calls: list[dict[str, object]] = []
        super().__post_init__()

    def _op_studio_call_llm(self, a: dict[str, object]) -> object:
        self.llm_calls.append(a)
        return super()._op_studio_call_llm(a)


def test_the_llm_gets_the_system_prompt_the_history_and_the_message() -> None:
    h = RecordingHarness(load_factory(HERE), runtime="studio", grants=DEFAULT_GRANTS | {"llms.proxy"},
                         fixtures=LLMS, config={"system_prompt": "Be kind."})
    req = agent_request("and now?", config={"llm_id": 3, "model": "gpt-4o-mini"})
    req.history = [M.AgentConversationMessage(role="user", content="earlier"),
                   M.AgentConversationMessage(role="assistant", content="noted")]
    h.stream("handle_agent_message", req)
    assert len(h.llm_calls) == 1
    call = h.llm_calls[0]
    assert call["llm_id"] == 3 and call["model"] == "gpt-4o-mini"
    assert call["messages"] == [{"role": "system", "content": "Be kind."},
                                {"role": "user", "content": "earlier"},
                                {"role": "assistant", "content": "noted"},
                                {"role": "user", "content": "and now?"}]


def test_a_failing_llm_ends_with_an_error_chunk() -> None:
    not_granted = harness_for(HERE, runtime="studio", fixtures=LLMS)
    chunks = not_granted.stream("handle_agent_message", agent_request("hi", config={"llm_id": 3}))
    assert [(c.type, c.is_final) for c in chunks] == [(T.ERROR, True)]
    assert "PERMISSION_DENIED" in chunks[0].content
    unknown = _studio().stream("handle_agent_message", agent_request("hi", config={"llm_id": 99}))
    assert unknown[0].type == T.ERROR and "NOT_FOUND" in unknown[0].content
    gateway = harness_for(HERE, grants=DEFAULT_GRANTS | {"llms.proxy"}, fixtures=LLMS)
    chunks = gateway.stream("handle_agent_message", agent_request("hi", config={"llm_id": 3}))
    assert chunks[0].type == T.ERROR and "WRONG_RUNTIME" in chunks[0].content
    assert gateway.logs[0].message == "LLM call failed"


def test_empty_messages_and_bad_config_json_are_errors() -> None:
    h = harness_for(HERE)
    assert [c.type for c in h.stream("handle_agent_message", agent_request("   "))] == [T.ERROR]
    bad = agent_request("hi")
    bad.config_json = '{"llm_id": "three"}'
    chunks = h.stream("handle_agent_message", bad)
    assert chunks[0].type == T.ERROR and "llm_id" in chunks[0].content


def test_schema_matches_the_file() -> None:
    schema = json.loads(harness_for(HERE).call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def _run(tmp_path: Path, request: dict[str, Any], llms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    (tmp_path / "fixtures.json").write_text(json.dumps({"llms": llms}))
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "handle_agent_message", "--tier",
                                      "inprocess", "--ephemeral", "--runtime", "studio", "--grant",
                                      "llms.proxy", "--fixtures", str(tmp_path / "fixtures.json"),
                                      "--input", "-"], input=json.dumps(request))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_runtime_call_streams_one_line_per_chunk(tmp_path: Path) -> None:
    lines = _run(tmp_path, {"sessionId": "s-1", "userMessage": "hi", "configJson": '{"llm_id": 3}'},
                 LLMS["llms"])
    assert [line["type"] for line in lines] == ["CONTENT"] * 4 + ["DONE"]
    assert "".join(str(line["content"]) for line in lines) == "Hello from the model"
    assert lines[-1]["is_final"] is True
    assert json.loads(str(lines[-1]["metadata_json"]))["model"] == "gpt-4o"


def test_runtime_call_sends_the_message_last(tmp_path: Path) -> None:
    # a fixture LLM without a reply answers the last user message it was sent
    request = {"userMessage": "what did I say?", "configJson": '{"llm_id": 5}',
               "history": [{"role": "user", "content": "earlier"}]}
    lines = _run(tmp_path, request, [{"id": 5, "name": "Parrot"}])
    assert "".join(str(line["content"]) for line in lines) == "what did I say?"
