"""flinch serve through the official openai Python client (run by tests/serve_e2e.rs).

Usage: openai_client.py BASE_URL   (e.g. http://127.0.0.1:8080/v1)
Exits non-zero on the first failed check.
"""

import sys

import openai
from openai import OpenAI

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


def main(base_url):
    client = OpenAI(base_url=base_url, api_key="not-needed", max_retries=0, timeout=120)

    models = [m.id for m in client.models.list()]
    check(len(models) == 1, f"one model listed: {models}")
    model = models[0]

    # A formula: the calculator route, with the trace in the flinch field.
    r = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What is 17 * 23?"}],
        extra_body={"flinch": {"trace": True}},
    )
    check(r.object == "chat.completion", r.object)
    check(r.choices[0].message.role == "assistant", r.choices[0].message.role)
    check(r.choices[0].message.content == "The answer is 391.", r.choices[0].message.content)
    check(r.choices[0].finish_reason == "stop", r.choices[0].finish_reason)
    flinch = r.model_extra["flinch"]
    check(flinch["route"] == "calculator", flinch)
    check(flinch["evidence"]["program"] == "17 * 23", flinch["evidence"])
    check([s["stage"] for s in flinch["trace"]][0] == "route", flinch["trace"])

    # A short chat answer from the real model, greedy and capped.
    chat = dict(
        model=model,
        messages=[
            {"role": "system", "content": "You answer briefly."},
            {"role": "user", "content": "Name one colour."},
        ],
        max_tokens=6,
        temperature=0,
        seed=1,
    )
    r = client.chat.completions.create(**chat)
    text = r.choices[0].message.content
    check(isinstance(text, str) and text.strip() != "", f"a chat answer: {text!r}")
    check(r.choices[0].finish_reason in ("stop", "length"), r.choices[0].finish_reason)
    check(0 < r.usage.completion_tokens <= 6, r.usage)
    check(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens, r.usage)
    check(r.model_extra["flinch"]["route"] == "chat", r.model_extra["flinch"])
    again = client.chat.completions.create(**chat).choices[0].message.content
    check(again == text, f"greedy answers repeat: {again!r} vs {text!r}")

    # Streaming, with the usage chunk; the streamed text is the answer.
    stream = client.chat.completions.create(
        **chat, stream=True, stream_options={"include_usage": True}
    )
    parts, finish, usage, ext = [], None, None, None
    for chunk in stream:
        check(chunk.object == "chat.completion.chunk", chunk.object)
        if chunk.choices:
            delta = chunk.choices[0].delta
            if delta.content:
                parts.append(delta.content)
            if chunk.choices[0].finish_reason:
                finish = chunk.choices[0].finish_reason
                ext = chunk.model_extra.get("flinch")
        if chunk.usage:
            usage = chunk.usage
    streamed = "".join(parts)
    check(ext is not None, "the last chunk carries the flinch field")
    final = ext["text"] if ext.get("revised") else streamed
    check(final == text, f"streamed {streamed!r} (final {final!r}) vs {text!r}")
    check(finish in ("stop", "length"), finish)
    check(usage is not None and usage.completion_tokens > 0, usage)

    # Raw: no guardrails, no route.
    r = client.chat.completions.create(**chat, extra_body={"flinch": {"route": "raw"}})
    check(r.model_extra["flinch"]["route"] is None, r.model_extra["flinch"])

    # Client mistakes are 400s naming the field.
    for kwargs, param in [
        (dict(messages=[{"role": "robot", "content": "hi"}]), "messages[0].role"),
        (dict(messages=[{"role": "user", "content": "hi"}], temperature=5), "temperature"),
        (
            dict(messages=[{"role": "user", "content": "hi"}], extra_body={"flinch": {"route": "magic"}}),
            "flinch.route",
        ),
    ]:
        try:
            client.chat.completions.create(model=model, **kwargs)
            check(False, f"{param}: expected a 400")
        except openai.BadRequestError as e:
            check(e.status_code == 400, e.status_code)
            check(e.body["param"] == param, e.body)
            check(e.body["type"] == "invalid_request_error", e.body)

    print(f"openai {openai.__version__} against flinch serve: {checks} checks passed")


if __name__ == "__main__":
    main(sys.argv[1])
