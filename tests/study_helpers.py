"""A small study deck for flashcard tests: a course with Q&A items on two topics."""

from __future__ import annotations

import re

from tests.quiz_factories import CourseFactory, TopicFactory, make_qa_item


def make_deck(count: int = 6):
    course = CourseFactory(slug="dl", title="Глубокое обучение")
    cnn = TopicFactory(slug="cnn", name="Свёрточные сети", position=1)
    rnn = TopicFactory(slug="rnn", name="Рекуррентные сети", position=2)
    items = [
        make_qa_item(
            course,
            f"Вопрос {i}: что такое {'свёртка' if i % 2 else 'рекуррентная сеть'}?",
            f"Ответ {i}.\n- пункт один\n- пункт два",
            topics=(cnn,) if i % 2 else (rnn,),
        )
        for i in range(1, count + 1)
    ]
    return course, items


def shown_card(body: str) -> dict:
    """The card the page shows and what its rating form carries."""

    def field(name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)

    return {
        "card": int(re.search(r'data-card="(\d+)"', body).group(1)),
        "version": field("version"),
        "token": field("token"),
        "topic": field("topic"),
    }


def rate(client, shown: dict, rating: int, htmx: bool = True, **changes):
    data = {**shown, "rating": rating, "shown_at": 0, **changes}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/study/cards/{shown['card']}/rate/", data, headers=headers)
