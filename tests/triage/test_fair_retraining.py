"""Automatic retraining compares the candidate and the active version on the same held-out folds
of today's examples, not the candidate's cross-validation with a figure the active version got on
the data of its day."""

from __future__ import annotations

import pytest

from zhengwu.triage import services
from zhengwu.triage.models import ModelVersion

from .data import EXAMPLES

pytestmark = pytest.mark.django_db

WEAK = {"C": 0.0005}  # so strongly regularised that it learns next to nothing


def comparison(version: ModelVersion) -> dict:
    return version.cv_report["comparison"]


def test_a_worse_set_up_is_refused_and_a_better_one_activated_on_the_same_folds():
    services.import_examples(EXAMPLES)
    weak = services.train_model_version(options=WEAK)
    assert weak.is_active and comparison(weak) is None  # nothing to compare with

    good = services.train_model_version()
    weak.refresh_from_db()
    assert good.is_active and not weak.is_active
    measured = comparison(good)
    assert measured["folds"] == len(measured["candidate_per_fold"]) == len(measured["active_per_fold"]) == 5
    assert measured["candidate_macro_f1"] > measured["active_macro_f1"]
    assert "同一5折" in good.notes and "已自动启用" in good.notes

    worse = services.train_model_version(options=WEAK)
    good.refresh_from_db()
    assert good.is_active and not worse.is_active
    assert comparison(worse)["candidate_macro_f1"] < comparison(worse)["active_macro_f1"]
    assert "未自动启用" in worse.notes
    # Same data, same folds, same set-ups: the weak one scores what it scored as the active one.
    assert comparison(worse)["candidate_per_fold"] == comparison(good)["active_per_fold"]
    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_the_active_version_is_retrained_only_on_the_examples_it_had():
    """Same set-up on both sides, so the only difference is the examples that arrived since the
    active version was trained: with new ones the active side scores differently (lower here),
    with none the two sides are the same model on every fold."""
    few = [row for label in {r[2] for r in EXAMPLES} for row in [r for r in EXAMPLES if r[2] == label][:3]]
    services.import_examples(few)
    first = services.train_model_version()
    services.import_examples(EXAMPLES)
    second = services.train_model_version()
    first.refresh_from_db()
    measured = comparison(second)
    assert measured["active_per_fold"] != measured["candidate_per_fold"]
    assert measured["candidate_macro_f1"] > measured["active_macro_f1"]
    assert second.is_active and not first.is_active

    third = services.train_model_version()  # nothing new since the second
    assert comparison(third)["active_per_fold"] == comparison(third)["candidate_per_fold"]
    assert third.is_active  # a tie goes to the newer version
