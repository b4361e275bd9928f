// flinch chat page: sends the conversation to /v1/chat/completions with
// stream: true, shows the text as it arrives, and renders each answer's
// trace (route, program, verdicts, every stage) from the `flinch` field of
// the last chunk. Model text is only ever set as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const messages = $("messages");
const input = $("input");
const send = $("send");
const turns = [];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function addMessage(role, text) {
  const box = el("div", "msg " + role);
  box.append(el("div", "who", role === "user" ? "you" : "flinch"));
  const content = el("div", "content", text);
  box.append(content);
  messages.append(box);
  messages.scrollTop = messages.scrollHeight;
  return { box, content };
}

function section(parent, title) {
  parent.append(el("h3", null, title));
}

function stepText(step) {
  switch (step.stage) {
    case "route": return `${step.route}: ${step.reason}`;
    case "generate": return `${step.purpose} (${step.tokens} tokens, ${step.finish}): ${step.text}`;
    case "program": return `${step.program}\n→ ${step.outcome}${step.ok ? "" : " (error)"}`;
    case "vote": return `${step.tally.map(([v, n]) => `${v}×${n}`).join(", ")} → ${step.winner ?? "no winner"}`;
    case "solve": return `${step.script}\n→ ${step.outcome}`;
    case "verify": return `${step.draft === 0 ? "final answer" : "draft " + step.draft}: ${step.failed} failed; ` +
      step.verdicts.map(([r, v]) => `${r}: ${v}`).join("; ");
    case "post_pass": return `${step.name}: ${step.verdict} → ${step.action}`;
    case "fallback": return `from ${step.from}: ${step.reason}`;
    case "note": return step.text;
    default: return JSON.stringify(step);
  }
}

function renderTrace(box, ext) {
  const t = el("div", "trace");
  section(t, "route");
  t.append(el("div", "route", ext.route ?? "raw (no guardrails)"));
  const ev = ext.evidence || { kind: "none" };
  if (ev.kind === "program") {
    const by = { question: "the question as written", reader: "read from the question, no model" }[ev.source]
      ?? `${ev.votes} of ${ev.samples} samples agree`;
    section(t, `program (${by}; value ${ev.value})`);
    t.append(el("pre", "program", ev.program));
  } else if (ev.kind === "solver") {
    section(t, "solver");
    t.append(el("pre", "program", ev.facts || ev.script));
  } else if (ev.kind === "arithmetic") {
    section(t, "arithmetic checked");
    const ul = el("ul", "verdicts");
    for (const e of ev.equations) ul.append(el("li", null, JSON.stringify(e)));
    t.append(ul);
  }
  const verdicts = [];
  if (ev.kind === "verdicts") {
    for (const v of ev.verdicts) verdicts.push([v.pass, `${v.requirement}: ${v.verdict}`]);
  }
  for (const s of ext.trace || []) {
    if (s.stage === "post_pass") verdicts.push([s.verdict === "clean", `${s.name}: ${s.verdict} → ${s.action}`]);
  }
  if (verdicts.length) {
    section(t, "verdicts");
    const ul = el("ul", "verdicts");
    for (const [pass, text] of verdicts) ul.append(el("li", pass ? "pass" : "fail", (pass ? "✓ " : "✗ ") + text));
    t.append(ul);
  }
  if (ext.trace && ext.trace.length) {
    section(t, "stages");
    const table = el("table", "steps");
    for (const s of ext.trace) {
      const tr = el("tr");
      tr.append(el("td", "stage", s.stage), el("td", "ms", `${s.ms} ms`), el("td", null, stepText(s)));
      table.append(tr);
    }
    t.append(table);
  }
  box.append(t);
}

// Reads an SSE response; calls onData with each parsed `data:` payload.
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart()).join("\n");
      if (data && data !== "[DONE]") onData(JSON.parse(data));
    }
  }
}

async function ask(question) {
  turns.push({ role: "user", content: question });
  addMessage("user", question);
  const { box, content } = addMessage("assistant", "");
  box.dataset.state = "streaming";
  let text = "";
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        messages: turns,
        stream: true,
        flinch: { route: $("route").value, trace: true },
      }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
    }
    await readEvents(response, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices && chunk.choices[0];
      if (choice && choice.delta && choice.delta.content) {
        text += choice.delta.content;
        content.textContent = text;
        messages.scrollTop = messages.scrollHeight;
      }
      if (chunk.flinch) {
        if (chunk.flinch.revised) {
          text = chunk.flinch.text;
          content.textContent = text;
          box.append(el("div", "note", "the guardrails revised the streamed text"));
        }
        renderTrace(box, chunk.flinch);
      }
    });
    turns.push({ role: "assistant", content: text });
    box.dataset.state = "done";
  } catch (err) {
    turns.pop();
    box.classList.add("error");
    content.textContent = "error: " + err.message;
    box.dataset.state = "error";
  }
  messages.scrollTop = messages.scrollHeight;
}

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = input.value.trim();
  if (!question || send.disabled) return;
  input.value = "";
  send.disabled = true;
  try {
    await ask(question);
  } finally {
    send.disabled = false;
    input.focus();
  }
});

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});

$("show-trace").addEventListener("change", (e) => {
  document.body.classList.toggle("show-trace", e.target.checked);
});

$("reset").addEventListener("click", () => {
  turns.length = 0;
  messages.replaceChildren();
});

fetch("/v1/models").then((r) => r.json()).then((m) => {
  $("model").textContent = m.data[0].id;
}).catch(() => {});
