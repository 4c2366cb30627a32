"""The classifier on a tiny invented data set: it learns, explains itself with its own features,
matches scikit-learn's arithmetic, and refuses bad model files."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from zhengwu.triage.classifier import (
    ModelUnavailable,
    TextClassifier,
    TrainingDataError,
    cross_validate,
    file_sha256,
    train,
)
from zhengwu.triage.text import char_ngrams, compose

from .data import ENVIRONMENT, EXAMPLES, LABOUR, NEW_ENVIRONMENT, NEW_LABOUR


def test_predicts_the_obvious_category_with_probabilities(tiny_model):
    top = tiny_model.predict(*NEW_ENVIRONMENT)
    assert top[0].category == ENVIRONMENT
    assert len(top) == 3
    assert top[0].probability > top[1].probability >= top[2].probability
    assert tiny_model.predict(*NEW_LABOUR)[0].category == LABOUR
    assert tiny_model.probabilities(*NEW_LABOUR).sum() == pytest.approx(1.0)


def test_explanation_names_real_features_of_the_model(tiny_model):
    title, body = NEW_ENVIRONMENT
    best = tiny_model.predict(title, body)[0]
    assert best.evidence, "the top category comes with its reasons"
    k = tiny_model.classes.index(best.category)
    vocabulary = {t: i for i, t in enumerate(tiny_model.terms.tolist())}
    for evidence in best.evidence:
        assert evidence.phrase in f"{title}\n{body}"
        assert evidence.weight > 0
        for feature in evidence.features:
            assert feature in evidence.phrase
            assert feature in vocabulary, f"{feature} is not a feature of the model"
            assert tiny_model.weights[vocabulary[feature], k] > 0, (
                f"{feature} does not weigh for {best.category}"
            )
    assert any(f in {"污染", "粉尘", "噪音"} for e in best.evidence for f in e.features)


def test_fast_vector_equals_scikit_learn_tfidf(tiny_model):
    texts = [compose(t, b) for t, b, _ in EXAMPLES]
    reference = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=1).fit(texts)
    assert reference.get_feature_names_out().tolist() == tiny_model.terms.tolist()
    text = compose(*NEW_LABOUR)
    expected = reference.transform([text]).toarray().ravel()
    idx, values = tiny_model._vector(text)
    ours = np.zeros_like(expected)
    ours[idx] = values
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_save_and_load_round_trip(tiny_model, tmp_path):
    path = tmp_path / "m.npz"
    sha = tiny_model.save(path)
    assert sha == file_sha256(path)
    loaded = TextClassifier.load(path, sha256=sha)
    np.testing.assert_allclose(loaded.probabilities(*NEW_LABOUR), tiny_model.probabilities(*NEW_LABOUR))


def test_missing_corrupt_or_foreign_files_are_refused(tiny_model, tmp_path):
    path = tmp_path / "m.npz"
    with pytest.raises(ModelUnavailable, match="缺失"):
        TextClassifier.load(path)
    sha = tiny_model.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelUnavailable, match="校验失败"):
        TextClassifier.load(path, sha256=sha)
    with pytest.raises(ModelUnavailable, match="损坏"):
        TextClassifier.load(path)  # without a checksum the zip structure still gives it away
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelUnavailable):
        TextClassifier.load(path)  # never unpickled


def test_refuses_data_it_cannot_learn_from():
    with pytest.raises(TrainingDataError, match="两个类别"):
        train(["a"] * 3, ["小区物业"] * 3, ["城乡建设"] * 3)
    with pytest.raises(TrainingDataError, match="少于2条"):
        train(["", "", ""], ["小区物业", "噪音污染", "油烟扰民"], ["城乡建设", "环境保护", "环境保护"])


def test_cross_validation_reports_folds_and_means():
    titles = [t for t, _, _ in EXAMPLES]
    bodies = [b for _, b, _ in EXAMPLES]
    labels = [label for _, _, label in EXAMPLES]
    cv = cross_validate(titles, bodies, labels, folds=4)
    assert len(cv.folds) == 4
    assert 0 <= cv.macro_f1 <= 1 and cv.top3_recall >= cv.accuracy
    report = cv.as_dict()
    assert set(report["per_label_f1"]) == set(labels)
    assert report["model_mb"] > 0 and report["predictions_per_second"] > 0


def test_nb_weighted_weights_equal_scaling_then_svm(tiny_model):
    """The product folds the naive-Bayes scaling into its weight matrix. Computed the long way —
    scale each text's features by the class's log-count ratio, then that class's own SVM — every
    class's score must be the same number as the folded matrix's."""
    from scipy import sparse

    from zhengwu.triage.classifier import _nbsvm_class

    assert tiny_model.meta["weighting"] == "nb"
    texts = [compose(t, b) for t, b, _ in EXAMPLES]
    labels = np.array([label for _, _, label in EXAMPLES])
    vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=1, dtype=np.float32)
    X = vectorizer.fit_transform(texts)
    codes = np.searchsorted(np.array(tiny_model.classes), labels)  # what the calibration fits on
    nbsvm = _nbsvm_class()(C=1.0).fit(X, codes)
    assert not np.allclose(nbsvm.ratios_, 0) and len(nbsvm.svms_) == len(tiny_model.classes)

    probe = [compose(*NEW_LABOUR), compose(*NEW_ENVIRONMENT), *texts[:5]]
    P = vectorizer.transform(probe)
    two_step = np.column_stack(
        [
            svm.decision_function(P @ sparse.diags(ratio))
            for svm, ratio in zip(nbsvm.svms_, nbsvm.ratios_, strict=True)
        ]
    )
    np.testing.assert_allclose(nbsvm.decision_function(P), two_step, rtol=1e-5, atol=1e-6)
    # … and the saved model's numpy scorer gives those same scores.
    for row, text in enumerate(probe):
        idx, values = tiny_model._vector(text)
        np.testing.assert_allclose(tiny_model._logits(idx, values), two_step[row], rtol=1e-4, atol=1e-5)


def test_plain_weighting_is_still_available_and_bad_names_refused():
    titles = [t for t, _, _ in EXAMPLES]
    bodies = [b for _, b, _ in EXAMPLES]
    labels = [label for _, _, label in EXAMPLES]
    plain = train(titles, bodies, labels, weighting="plain")
    assert plain.meta["weighting"] == "plain"
    assert plain.predict(*NEW_ENVIRONMENT)[0].category == ENVIRONMENT
    with pytest.raises(TrainingDataError, match="特征加权方式无效"):
        train(titles, bodies, labels, weighting="bayes")
