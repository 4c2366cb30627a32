"""bench/triage.py's use of unlabelled messages: pseudo-labelled or weakly labelled messages go
into the training part of each cross-validation fold only; every fold is scored on labelled
messages of its own test part and nothing else."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .data import EXAMPLES, NEW_ENVIRONMENT, NEW_LABOUR

BENCH = Path(__file__).resolve().parents[2] / "bench" / "triage.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_triage", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _split():
    return [t for t, _, _ in EXAMPLES], [b for _, b, _ in EXAMPLES], [label for _, _, label in EXAMPLES]


def test_pseudo_labels_enter_training_parts_never_test_parts():
    bench = _bench()
    titles, bodies, labels = _split()
    # Unlabelled messages: two new ones, and verbatim copies of every labelled message — a copy of
    # a test message must not reach that fold's training part, even without its label.
    extra = [NEW_ENVIRONMENT, NEW_LABOUR, *zip(titles, bodies, strict=True)]
    trace: list = []
    result = bench.cv_with_extra(
        titles,
        bodies,
        labels,
        extra_titles=[t for t, _ in extra],
        extra_bodies=[b for _, b in extra],
        threshold=0.0,
        folds=4,
        trace=trace,
    )
    assert len(trace) == 4 and len(result["per_fold"]) == 4
    labelled = set(zip(titles, bodies, strict=True))
    tested: list = []
    for training, test, added in trace:
        assert added > 0, "the unlabelled messages were used"
        assert NEW_ENVIRONMENT in training and NEW_LABOUR in training
        assert not set(training) & set(test), "a test message reached the training part"
        assert set(test) <= labelled, "only labelled messages are scored"
        tested += test
    assert sorted(tested) == sorted(labelled), "each labelled message is tested exactly once"


def test_weak_labels_from_the_answering_department():
    bench = _bench()
    assert bench.department_label("经市教育局调查核实，现答复如下") == "教育文体"
    assert bench.department_label("A市住房和城乡建设局：关于网友反映") == "城乡建设"
    assert bench.department_label("感谢您对我局工作的支持") is None
    titles, bodies, labels = _split()
    trace: list = []
    bench.cv_with_extra(
        titles,
        bodies,
        labels,
        extra_titles=[NEW_ENVIRONMENT[0], NEW_LABOUR[0]],
        extra_bodies=[NEW_ENVIRONMENT[1], NEW_LABOUR[1]],
        extra_labels=["环境保护", None],  # no department named: left out
        folds=4,
        trace=trace,
    )
    for training, test, added in trace:
        assert added == 1 and NEW_ENVIRONMENT in training and NEW_LABOUR not in training
        assert not set(training) & set(test)
