"""Topic tagging of the seed items: the rules file, the tagger, and its results on the real seeds.

Pure functions, no database: ``seeds.tagging`` is plain Python.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from seeds.parsers import parse_seed
from seeds.tagging import (
    TopicRule,
    load_topic_rules,
    text_for_tagging,
    topics_for,
)

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
TAGGED_KINDS = ("qa", "mcq", "ticket_theory_question", "practical_task")
FALLBACK = "foundations"


@cache
def rules() -> tuple[TopicRule, ...]:
    return load_topic_rules()


@cache
def tagged_items() -> dict[tuple[str, str, int], tuple[str, tuple[str, ...]]]:
    """(seed prefix, kind, line) -> (tagged text, topics). The line of a ticket theory question
    is the line of the question itself."""
    items = {}
    for path in sorted(DATA.glob("*.txt")):
        for record in parse_seed(path).all_records():
            if record.kind not in TAGGED_KINDS:
                continue
            line = getattr(record, "question_line", record.first_line)
            text = text_for_tagging(record)
            items[(path.name[:3], record.kind, line)] = (text, topics_for(text, rules()))
    return items


def topics_of(seed: str, kind: str, line: int) -> tuple[str, ...]:
    return tagged_items()[(seed, kind, line)][1]


# --- the real seeds -------------------------------------------------------------------------


def test_every_imported_question_gets_a_topic():
    items = tagged_items()
    assert Counter(kind for _, kind, _ in items) == {
        "qa": 188,
        "mcq": 150,
        "ticket_theory_question": 40,
        "practical_task": 20,
    }
    known = {rule.slug for rule in rules()}
    for key, (_, topics) in items.items():
        assert topics, key
        assert set(topics) <= known, key
        assert len(topics) == len(set(topics)), key


def test_only_questions_about_deep_learning_as_a_whole_fall_back_to_foundations():
    # Read one by one: each asks about the field in general (what deep learning is, its trends,
    # the steps of a project), or, for the MCQ, which framework builds a static graph.
    fallen_back = sorted(key for key, (_, topics) in tagged_items().items() if FALLBACK in topics)
    assert fallen_back == [
        ("000", "mcq", 155),
        ("000", "qa", 23),
        ("000", "qa", 71),
        ("000", "qa", 122),
        ("001", "qa", 3),
        ("001", "qa", 180),
        ("001", "qa", 335),
        ("002", "qa", 132),
    ]


def test_the_fallback_topic_is_used_only_when_nothing_else_matched():
    for key, (_, topics) in tagged_items().items():
        if FALLBACK in topics:
            assert topics == (FALLBACK,), key
    assert topics_for("Чем LSTM отличается от GRU?", rules()) == ("rnn",)
    assert topics_for("Расскажите о себе", rules()) == (FALLBACK,)
    assert topics_for("", rules()) == (FALLBACK,)


@pytest.mark.parametrize(
    ("seed", "kind", "line", "expected"),
    [
        ("000", "qa", 31, ("rnn",)),  # Чем LSTM отличается от классической RNN?
        ("000", "mcq", 173, ("rnn",)),  # ...долгосрочными зависимостями? LSTM
        ("001", "qa", 93, ("rnn",)),  # ...сетью с долговременной кратковременной памятью (LSTM)?
        ("000", "ticket_theory_question", 602, ("gan",)),  # Что такое GAN и как... генератора
        ("000", "ticket_theory_question", 690, ("gan", "autoencoders")),  # GAN и VAE
        ("000", "qa", 53, ("transformers",)),  # Как работает attention mechanism?
        ("000", "qa", 108, ("deployment",)),  # Что такое onnx и зачем он нужен?
        ("000", "mcq", 137, ("optimization",)),  # ...AdaGrad и RMSProp? Adam
        ("000", "mcq", 125, ("cnn",)),  # ...в свёрточных сетях? Пулинговый (MaxPooling2D)
        ("000", "qa", 45, ("regularization",)),  # Что такое переобучение и как с ним бороться?
        # "Автоматическое переобучение" is retraining, not overfitting.
        ("003", "qa", 86, ("mlops",)),
        # "недообучение" is underfitting, not fine-tuning ("дообучение").
        ("001", "qa", 40, ("regularization", "evaluation")),
        # "drift detection" is about data, not object detection.
        ("003", "qa", 88, ("mlops",)),
        # A negated MCQ: its correct option (GAN) is the odd one out and is not tagged.
        ("003", "mcq", 238, ("mlops",)),
        ("003", "mcq", 226, ("interpretability",)),  # black-box models? SHAP
        ("003", "ticket_theory_question", 773, ("distributed-training",)),
        ("003", "ticket_theory_question", 839, ("ml-engineering",)),  # документирование, долг
        ("002", "qa", 65, ("nn-basics", "cnn", "computer-vision")),  # CNN vs MLP on images
        ("002", "qa", 170, ("reinforcement-learning",)),  # on-policy и off-policy
    ],
)
def test_spot_checks_get_exactly_the_expected_topics(seed, kind, line, expected):
    assert topics_of(seed, kind, line) == expected


# Every practical task is a lab (see the lab catalogue); the loader tags a lab by its task text.
LAB_TOPICS = {
    ("000", 1, "dl-01-cifar-cnn"): ("nn-basics", "cnn", "computer-vision"),
    ("000", 2, "dl-02-linreg-autograd"): ("training", "optimization", "classical-ml"),
    ("000", 3, "dl-03-gan-1d"): ("gan",),
    ("000", 4, "dl-04-mnist-autoencoder"): ("autoencoders", "computer-vision"),
    ("000", 5, "dl-05-transformer-encoder"): ("transformers",),
    ("000", 6, "dl-06-mnist-vae"): ("autoencoders", "computer-vision"),
    ("000", 7, "dl-07-iou"): ("computer-vision", "evaluation"),
    ("000", 8, "dl-08-mlm-masking"): ("transformers", "nlp"),
    ("000", 9, "dl-09-mnist-gan-checkpoint"): ("gan", "computer-vision"),
    ("000", 10, "dl-10-mlops-onnx-pipeline"): ("deployment", "mlops"),
    ("000", 11, "dl-11-scheduled-sampling"): ("rnn",),
    ("000", 12, "dl-12-knowledge-distillation"): ("cnn", "computer-vision", "model-compression"),
    ("000", 13, "dl-13-seq2seq-attention"): ("rnn", "transformers", "nlp"),
    ("000", 14, "dl-14-onnx-export-ort"): ("deployment",),
    ("000", 15, "dl-15-random-nas"): ("optimization",),
    ("003", 1, "mle-01-lightgbm-onnx"): ("deployment", "classical-ml"),
    ("003", 2, "mle-02-flask-predict-api"): ("deployment", "mlops"),
    ("003", 3, "mle-03-sklearn-pipeline"): ("classical-ml", "data"),
    ("003", 4, "mle-04-mnist-torchscript"): ("nn-basics", "computer-vision", "deployment"),
    ("003", 5, "mle-05-shap-xgboost"): ("classical-ml", "interpretability"),
}


def test_every_lab_gets_its_topics():
    found = {}
    for path in sorted(DATA.glob("*.txt")):
        for task in parse_seed(path).of_kind("practical_task"):
            found[(path.name[:3], task.ticket_number)] = topics_for(text_for_tagging(task), rules())
    assert found == {(seed, ticket): topics for (seed, ticket, _), topics in LAB_TOPICS.items()}


def test_every_topic_of_the_rules_file_matches_some_real_item():
    used = {topic for _, topics in tagged_items().values() for topic in topics}
    unused = [rule.slug for rule in rules() if not rule.fallback and rule.slug not in used]
    assert unused == [], f"topics that match no item of the seeds: {unused}"


def test_an_mcq_is_tagged_by_its_question_and_correct_option_unless_the_question_is_negated():
    texts = {key: text for key, (text, _) in tagged_items().items()}
    assert texts[("000", "mcq", 137)] == (
        "Какой оптимизатор сочетает преимущества AdaGrad и RMSProp? Adam"
    )
    assert texts[("003", "mcq", 238)] == "Какой из следующих компонентов не относится к MLOps?"


def test_fast_matching_agrees_with_plain_case_insensitive_regexes():
    # The tagger lowercases texts and moves a leading \b behind the first letter for speed;
    # the plain reading of the rules file must give the same topics on every real item.
    def plain(text: str) -> tuple[str, ...]:
        folded = text.replace("ё", "е").replace("Ё", "Е")
        slugs = tuple(
            rule.slug
            for rule in rules()
            if not rule.fallback
            and any(re.search(p.replace("ё", "е"), folded, re.IGNORECASE) for p in rule.patterns)
            and not any(re.search(p.replace("ё", "е"), folded, re.IGNORECASE) for p in rule.exclude)
        )
        return slugs or (FALLBACK,)

    for key, (text, topics) in tagged_items().items():
        assert plain(text) == topics, key


# --- the rules file -------------------------------------------------------------------------


def test_the_rules_file_has_unique_slugs_names_in_russian_and_one_fallback_at_the_end():
    loaded = rules()
    assert 15 <= len(loaded) <= 30
    assert len({rule.slug for rule in loaded}) == len(loaded)
    assert [rule.position for rule in loaded] == list(range(1, len(loaded) + 1))
    assert [rule.slug for rule in loaded if rule.fallback] == [FALLBACK]
    assert loaded[-1].name == "Основы машинного обучения"
    for rule in loaded:
        assert re.search("[а-яА-Я]", rule.name), rule.slug
        assert rule.name_en.isascii(), rule.slug


VALID_TOPIC = """
[[topic]]
slug = "rnn"
name = "Рекуррентные сети"
name_en = "Recurrent networks"
patterns = ['\\brnn', 'lstm']
"""

FALLBACK_TOPIC = """
[[topic]]
slug = "foundations"
name = "Основы машинного обучения"
name_en = "Machine learning foundations"
fallback = true
"""


def topic(slug: str, patterns: str = "['lstm']", extra: str = "") -> str:
    return (
        f'\n[[topic]]\nslug = "{slug}"\nname = "Тема"\nname_en = "Topic"\n'
        f"patterns = {patterns}\n{extra}\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            VALID_TOPIC + topic("rnn") + FALLBACK_TOPIC,
            "topic #2 'rnn': duplicate slug (already used by topic #1)",
        ),
        (
            VALID_TOPIC + topic("cnn", "['свёрт(', 'cnn']") + FALLBACK_TOPIC,
            "topic #2 'cnn': bad regex in 'patterns': 'свёрт('",
        ),
        (
            VALID_TOPIC + topic("cnn", "['cnn']", "exclude = ['[a-']") + FALLBACK_TOPIC,
            "topic #2 'cnn': bad regex in 'exclude': '[a-'",
        ),
        (VALID_TOPIC, "exactly one topic must have 'fallback = true', found 0"),
        (
            VALID_TOPIC + FALLBACK_TOPIC + FALLBACK_TOPIC.replace("foundations", "basics"),
            "found 2 (foundations, basics)",
        ),
        (
            '[[topic]]\nslug = "cnn"\nname_en = "CNN"\npatterns = [\'cnn\']\n' + FALLBACK_TOPIC,
            "topic #1 'cnn': missing or empty 'name'",
        ),
        (
            VALID_TOPIC.replace('name_en = "Recurrent networks"', 'name_en = ""') + FALLBACK_TOPIC,
            "topic #1 'rnn': missing or empty 'name_en'",
        ),
        (
            VALID_TOPIC + topic("cnn", "[]") + FALLBACK_TOPIC,
            "topic #2 'cnn': no 'patterns'",
        ),
        (
            VALID_TOPIC + topic("cnn", "['CNN']") + FALLBACK_TOPIC,
            "topic #2 'cnn': regex in 'patterns' has capital letters: 'CNN'",
        ),
        (
            VALID_TOPIC + topic("cnn", "['(cnn|convnet)']") + FALLBACK_TOPIC,
            "topic #2 'cnn': regex in 'patterns' has a group, use (?:...): '(cnn|convnet)'",
        ),
        (
            VALID_TOPIC + topic("cnn", "['cnn', 'x*']") + FALLBACK_TOPIC,
            "topic #2 'cnn': regex in 'patterns' matches every text: 'x*'",
        ),
        (
            VALID_TOPIC + topic("cnn", "['cnn']", "pattern = ['conv']") + FALLBACK_TOPIC,
            "topic #2 'cnn': unknown keys ['pattern']",
        ),
        (
            VALID_TOPIC + topic("Bad Slug") + FALLBACK_TOPIC,
            "topic #2 'Bad Slug': 'slug' must be lowercase latin words joined by hyphens",
        ),
        (
            VALID_TOPIC
            + FALLBACK_TOPIC.replace("fallback = true", "fallback = true\npatterns = ['ml']"),
            "topic #2 'foundations': the fallback topic takes no patterns",
        ),
        ("[[topic]\nslug = 'x'\n", "not valid TOML"),
        ("title = 'no topics'\n", "no [[topic]] tables"),
    ],
)
def test_a_malformed_rules_file_raises_value_error_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_topic_rules(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_a_valid_small_rules_file_tags_by_its_own_rules(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(VALID_TOPIC + FALLBACK_TOPIC, encoding="utf-8")
    small = load_topic_rules(path)
    assert [rule.slug for rule in small] == ["rnn", "foundations"]
    assert topics_for("Что такое RNN?", small) == ("rnn",)
    assert topics_for("Что такое Ёлка?", small) == ("foundations",)
    assert topics_for("Что такое organ RNNs", small) == ("rnn",)
    assert topics_for("grnn", small) == ("foundations",)  # \brnn needs a word boundary
