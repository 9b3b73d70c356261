"""Small question banks for quiz tests: a course, topics, MCQs with four options, quizzes."""

from __future__ import annotations

import factory

from assessments.models import MCQ, MCQOption, Quiz
from courses.models import Course, QACollection, QAItem, Topic


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)

    seed_key = factory.Sequence(lambda n: f"test.txt:course:{n}")
    source_file = "test.txt"
    source_first_line = 1
    source_last_line = 1
    content_hash = "x"
    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Курс {n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Тема {n}")
    position = factory.Sequence(lambda n: n)


def make_mcq(
    course: Course,
    question: str,
    options: list[str],
    correct: int = 0,
    topics: tuple[Topic, ...] = (),
    position: int | None = None,
) -> MCQ:
    number = MCQ.objects.count() + 1
    mcq = MCQ.objects.create(
        seed_key=f"test.txt:mcq:{number}:{course.slug}",
        source_file="test.txt",
        source_first_line=number,
        source_last_line=number,
        content_hash="x",
        course=course,
        position=position if position is not None else number,
        question=question,
        stated_answer_text=options[correct],
    )
    for i, text in enumerate(options):
        MCQOption.objects.create(
            mcq=mcq, position=i + 1, letter="ABCDEFGH"[i], text=text, is_correct=i == correct
        )
    mcq.topics.set(topics)
    return mcq


def make_bank(count: int = 5, course: Course | None = None) -> tuple[Course, list[MCQ]]:
    """A course with `count` MCQs; odd ones on topic 'cnn', even ones on topic 'rnn'."""
    course = course or CourseFactory(slug="dl", title="Глубокое обучение")
    cnn = TopicFactory(slug="cnn", name="Свёрточные сети", position=1)
    rnn = TopicFactory(slug="rnn", name="Рекуррентные сети", position=2)
    mcqs = [
        make_mcq(
            course,
            f"Вопрос {i}?",
            [f"Верно {i}", f"Неверно {i}.1", f"Неверно {i}.2", f"Неверно {i}.3"],
            correct=0,
            topics=(cnn,) if i % 2 else (rnn,),
        )
        for i in range(1, count + 1)
    ]
    return course, mcqs


def make_qa_item(course: Course, question: str, answer: str, topics=()) -> QAItem:
    collection, _ = QACollection.objects.get_or_create(
        seed_key=f"test.txt:qa-collection:{course.slug}",
        defaults={
            "source_file": "test.txt",
            "source_first_line": 1,
            "source_last_line": 1,
            "content_hash": "x",
            "title": "Вопросы",
        },
    )
    collection.courses.add(course)
    number = QAItem.objects.count() + 1
    item = QAItem.objects.create(
        seed_key=f"test.txt:qa:{number}",
        source_file="test.txt",
        source_first_line=number,
        source_last_line=number,
        content_hash="x",
        collection=collection,
        position=number,
        question=question,
        answer=answer,
    )
    item.topics.set(topics)
    return item


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Контрольная {n}")
    selection = Quiz.Selection.RANDOM
    question_count = 3
    time_limit_minutes = 10
    attempts_allowed = 2
    is_published = True
