"""llama.cpp's speed on the same measurement as `flinch bench speed`, through
the `cyllama` wheel (prebuilt CPU llama.cpp; `pip install cyllama`).

Reads one JSON object on stdin: {"model": PATH, "threads": N, "prompt_ids":
[512 ids], "decode_tokens": 128, "batch": N, "batch_tokens": T}. Prints one JSON
object: load_s, prefill_tok_s, ttft_ms, decode_tok_s, batch_decode_tok_s,
peak_rss_mb. Decode feeds fixed token ids (no sampling), as llama-bench does.
"""

import json
import resource
import sys
import time

import cyllama.llama.llama_cpp as cy


def main():
    req = json.load(sys.stdin)
    cy.llama_backend_init()
    cy.ggml_backend_load_all()
    t = time.perf_counter()
    mp = cy.LlamaModelParams()
    mp.n_gpu_layers = 0
    model = cy.LlamaModel(req["model"], mp)
    cp = cy.LlamaContextParams()
    cp.n_ctx = 2048
    cp.n_batch = 512
    cp.n_ubatch = 512
    cp.n_threads = req["threads"]
    cp.n_threads_batch = req["threads"]
    ctx = cy.LlamaContext(model, cp)
    load_s = time.perf_counter() - t

    ids = req["prompt_ids"]
    t = time.perf_counter()
    ctx.decode(cy.llama_batch_get_one(ids, 0))
    prefill = time.perf_counter() - t

    n = req["decode_tokens"]
    ctx2 = cy.LlamaContext(model, cp)
    ctx2.decode(cy.llama_batch_get_one(ids[:8], 0))
    t = time.perf_counter()
    for i in range(n):
        ctx2.decode(cy.llama_batch_get_one([ids[8 + i % 400]], 8 + i))
    decode = time.perf_counter() - t

    batch_rate = None
    b, bt = req["batch"], req["batch_tokens"]
    if b > 1:
        cpb = cy.LlamaContextParams()
        cpb.n_ctx = 128 * b
        cpb.n_batch = 512
        cpb.n_ubatch = 512
        cpb.n_threads = req["threads"]
        cpb.n_threads_batch = req["threads"]
        cpb.n_seq_max = b
        ctx3 = cy.LlamaContext(model, cpb)
        batch = cy.LlamaBatch(n_tokens=max(b * 8, 512), embd=0, n_seq_max=b)
        for s in range(b):
            for p in range(8):
                batch.add(ids[s * 8 + p], p, [s], p == 7)
        ctx3.decode(batch)
        t = time.perf_counter()
        for step in range(bt):
            batch.clear()
            for s in range(b):
                batch.add(ids[(s * 13 + step) % 500], 8 + step, [s], True)
            ctx3.decode(batch)
        batch_rate = b * bt / (time.perf_counter() - t)

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(
        {
            "load_s": load_s,
            "prefill_tok_s": len(ids) / prefill,
            "ttft_ms": prefill * 1e3,
            "decode_tok_s": n / decode,
            "batch_decode_tok_s": batch_rate,
            "peak_rss_mb": rss_mb,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
