"""Streams one reply with each official SDK (openai, dashscope) through the
relay (which fronts the mock upstream), prints reasoning then answer, and
checks one refusal per SDK. Exits non-zero on any error.

RELAY_URL is the relay's base URL (set by check_sdks.sh).
"""

import os
import sys

import dashscope
import openai
from dashscope import MultiModalConversation

RELAY = os.environ["RELAY_URL"].rstrip("/")
IMAGE = "https://example.com/triangle.png"
QUESTION = "Find angle x in the triangle."
# The relay holds the real key; whatever the SDK sends is replaced.
SDK_KEY = "sk-not-the-key"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check_openai():
    client = openai.OpenAI(api_key=SDK_KEY, base_url=f"{RELAY}/compatible-mode/v1", max_retries=0)
    stream = client.chat.completions.create(
        model="qwen3-vl-plus",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": IMAGE}},
                    {"type": "text", "text": QUESTION},
                ],
            }
        ],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"enable_thinking": True, "thinking_budget": 4096},
    )
    reasoning, answer, finish, usage = [], [], None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        # Not in the OpenAI schema: the SDK keeps it as an extra field.
        piece = getattr(delta, "reasoning_content", None)
        if piece:
            reasoning.append(piece)
        if delta.content:
            answer.append(delta.content)
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    print("== openai SDK", openai.__version__, "via", f"{RELAY}/compatible-mode/v1")
    print("-- reasoning:\n" + "".join(reasoning))
    print("-- answer:\n" + "".join(answer))
    print(f"-- finish_reason={finish} usage={usage.model_dump() if usage else None}")
    if not reasoning or not answer:
        fail("openai: reasoning or answer missing")
    if finish != "stop":
        fail(f"openai: finish_reason {finish!r}")
    if usage is None or usage.completion_tokens_details.reasoning_tokens <= 0:
        fail("openai: no usage with reasoning tokens")

    try:
        client.chat.completions.create(
            model="qwen3-vl-8b-thinking",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            extra_body={"enable_thinking": False},
        )
        fail("openai: enable_thinking=false on a thinking-only model was accepted")
    except openai.BadRequestError as e:
        print(f"-- refusal: {e.status_code} {e.code}: {e.message}")
        if "restricted to True" not in str(e):
            fail(f"openai: unexpected refusal {e}")


def check_dashscope():
    dashscope.base_http_api_url = f"{RELAY}/api/v1"
    responses = MultiModalConversation.call(
        api_key=SDK_KEY,
        model="qwen3-vl-plus",
        messages=[{"role": "user", "content": [{"image": IMAGE}, {"text": QUESTION}]}],
        stream=True,
        incremental_output=True,
        enable_thinking=True,
    )
    reasoning, answer, finish, usage = [], [], None, None
    for r in responses:
        if r.status_code != 200:
            fail(f"dashscope: {r.status_code} {r.code}: {r.message}")
        choice = r.output.choices[0]
        message = choice.message
        piece = message.get("reasoning_content")
        if piece:
            reasoning.append(piece)
        for item in message.get("content") or []:
            if item.get("text"):
                answer.append(item["text"])
        finish = choice.finish_reason
        usage = r.usage
    print("== dashscope SDK", dashscope.__version__, "via", f"{RELAY}/api/v1")
    print("-- reasoning:\n" + "".join(reasoning))
    print("-- answer:\n" + "".join(answer))
    print(f"-- finish_reason={finish} usage={dict(usage) if usage else None}")
    if not reasoning or not answer:
        fail("dashscope: reasoning or answer missing")
    if finish != "stop":
        fail(f"dashscope: finish_reason {finish!r}")

    r = MultiModalConversation.call(
        api_key=SDK_KEY,
        model="qvq-max",
        messages=[{"role": "user", "content": [{"text": QUESTION}]}],
    )
    print(f"-- refusal: {r.status_code} {r.code}: {r.message}")
    if r.status_code != 400 or "does not support http call" not in (r.message or ""):
        fail(f"dashscope: non-streaming QVQ gave {r.status_code} {r.message!r}")


if __name__ == "__main__":
    check_openai()
    print()
    check_dashscope()
    print("\nOK: both SDKs streamed reasoning then answer through the relay")
