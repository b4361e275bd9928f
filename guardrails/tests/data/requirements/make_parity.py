"""Regenerate parity_cases.json: the Python reference's verdicts on a hand-made corpus.

The reference is IFEval's published checker (lm-eval 0.4.13's copy of google-research
`instruction_following_eval`: `lm_eval/tasks/ifeval/{instructions,instructions_util,
instructions_registry}.py`), run with NLTK 3.10 and langdetect 1.0.9 (seed 0). NLTK's
Punkt English parameters are loaded from flinch's embedded copy
(`guardrails/src/requirements/data/punkt/english.json`) so that no download is needed.

    python -m venv venv && . venv/bin/activate
    pip install nltk==3.10.4 langdetect==1.0.9 immutabledict absl-py packaging
    pip download --no-deps -d dl lm-eval==0.4.13
    unzip dl/lm_eval-*.whl 'lm_eval/tasks/ifeval/*' -d ref
    touch ref/lm_eval/__init__.py ref/lm_eval/tasks/__init__.py ref/lm_eval/tasks/ifeval/__init__.py
    IFEVAL_REF=ref python make_parity.py > parity_cases.json

The corpus and the requirement list live in corpus.py beside this file.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("IFEVAL_REF", "ref"))
sys.path.insert(0, HERE)

import nltk  # noqa: E402
from nltk.tokenize import punkt  # noqa: E402

nltk.download = lambda *a, **k: True  # never touch the network
import langdetect  # noqa: E402

langdetect.DetectorFactory.seed = 0


def load_params(path):
    d = json.load(open(path))
    p = punkt.PunktParameters()
    p.abbrev_types = set(d["abbrev_types"])
    p.collocations = set(tuple(c) for c in d["collocations"])
    p.sent_starters = set(d["sentence_starters"])
    for k, v in d["ortho_context"].items():
        p.ortho_context[k] = v
    return p


PUNKT = punkt.PunktSentenceTokenizer(
    load_params(os.path.join(HERE, "../../../src/requirements/data/punkt/english.json"))
)
import nltk.tokenize as nt  # noqa: E402

nt._get_punkt_tokenizer = lambda language="english": PUNKT
import contextlib  # noqa: E402

with contextlib.redirect_stdout(sys.stderr):  # it announces its (skipped) download
    from lm_eval.tasks.ifeval import instructions_registry, instructions_util  # noqa: E402

instructions_util._get_sentence_tokenizer = lambda: PUNKT

from corpus import REQUIREMENTS, RESPONSES  # noqa: E402


def build(iid, kwargs):
    inst = instructions_registry.INSTRUCTION_DICT[iid](iid)
    inst.build_description(**kwargs)
    return inst


def strict(inst, response):
    return bool(response.strip() and inst.check_following(response))


def loose(inst, response):
    r = response.split("\n")
    first = "\n".join(r[1:]).strip()
    last = "\n".join(r[:-1]).strip()
    both = "\n".join(r[1:-1]).strip()
    variants = [response, response.replace("*", ""), first, last, both,
                first.replace("*", ""), last.replace("*", ""), both.replace("*", "")]
    return any(bool(v.strip() and inst.check_following(v)) for v in variants)


def lang(text):
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None


def main():
    out = {
        "responses": [
            {
                "text": r,
                "sentences": instructions_util.count_sentences(r),
                "words": instructions_util.count_words(r),
                "capital_words": sum(1 for w in nltk.word_tokenize(r) if w.isupper()),
                "language": lang(r),
            }
            for r in RESPONSES
        ],
        "requirements": [],
    }
    for iid, kwargs in REQUIREMENTS:
        inst = build(iid, kwargs)
        out["requirements"].append(
            {
                "instruction_id": iid,
                "kwargs": kwargs,
                "strict": "".join("1" if strict(inst, r) else "0" for r in RESPONSES),
                "loose": "".join("1" if loose(inst, r) else "0" for r in RESPONSES),
            }
        )
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
