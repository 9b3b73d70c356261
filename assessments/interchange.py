"""Questions on their way to and from other systems (Moodle XML, GIFT): one plain shape for
both formats, the export of a course's bank into it, and its import into the bank.

Export: every live MCQ of the course as a single-answer multiple-choice question, every live
Q&A item of the course's collections as an essay question whose reference answer travels as
grader information. Each question lives in the category of its first topic; all its topic
slugs travel too (Moodle XML tags, a GIFT comment), so a round trip keeps them.

Import: into the course given, as rows keyed `import:<course>:<name>`; re-importing the same
file updates those rows in place, and imported rows never collide with seed rows (the seed
loader only looks at rows of its own files).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from assessments.models import MCQ, MCQOption
from courses.models import Course, QACollection, QAItem, Topic

MULTICHOICE = "multichoice"
ESSAY = "essay"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NO_TOPIC = "-"


class InterchangeError(Exception):
    """A file that cannot be imported; names the line. ``message`` is already in the active
    language (readers raise it inside the request that uploaded the file)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Option:
    text: str
    is_correct: bool


@dataclass
class Question:
    kind: str  # MULTICHOICE or ESSAY
    name: str
    text: str
    options: list[Option] = field(default_factory=list)
    answer: str = ""  # an essay's reference answer
    category: str = ""  # the last part of the category path: a topic name
    topics: list[str] = field(default_factory=list)  # topic slugs
    line: int = 0

    def check(self) -> None:
        if not self.text.strip():
            raise InterchangeError(self.line, _("the question has no text"))
        if self.kind == MULTICHOICE:
            if len(self.options) < 2:
                raise InterchangeError(
                    self.line, _("a multiple-choice question needs at least two options")
                )
            if sum(option.is_correct for option in self.options) != 1:
                raise InterchangeError(
                    self.line, _("a multiple-choice question needs exactly one right option")
                )
            if any(not option.text.strip() for option in self.options):
                raise InterchangeError(self.line, _("an option has no text"))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)


def category_path(course: Course, category: str) -> str:
    return f"$course$/{course.title}/{category}"


EXPORT_KIND_NAMES = {MULTICHOICE: "MCQ", ESSAY: "Q&A"}


def export_name(course: Course, kind: str, number: int) -> str:
    """A name a person reads in Moodle's bank: the course, the kind, the number
    ("deep-learning MCQ 007"). The same in every language, so a re-import finds its rows."""
    return f"{course.slug} {EXPORT_KIND_NAMES[kind]} {number:03d}"


def course_questions(course: Course) -> list[Question]:
    """The course's bank in the interchange shape, ordered as the course shows it."""
    questions: list[Question] = []
    mcqs = (
        MCQ.objects.live()
        .filter(course=course)
        .prefetch_related("options", "topics")
        .order_by("position", "pk")
    )
    for number, mcq in enumerate(mcqs, start=1):
        topics = list(mcq.topics.all())
        questions.append(
            Question(
                kind=MULTICHOICE,
                name=export_name(course, MULTICHOICE, number),
                text=mcq.question,
                options=[Option(o.text, o.is_correct) for o in mcq.options.all()],
                category=topics[0].name if topics else NO_TOPIC,
                topics=[topic.slug for topic in topics],
            )
        )
    items = (
        QAItem.objects.live()
        .filter(collection__courses=course, collection__retired_at__isnull=True)
        .prefetch_related("topics")
        .order_by("collection__title", "position", "pk")
        .distinct()
    )
    for number, item in enumerate(items, start=1):
        topics = list(item.topics.all())
        questions.append(
            Question(
                kind=ESSAY,
                name=export_name(course, ESSAY, number),
                text=item.question,
                answer=item.answer,
                category=topics[0].name if topics else NO_TOPIC,
                topics=[topic.slug for topic in topics],
            )
        )
    # Moodle fills one category at a time: group by category, keep the order inside each.
    order = {name: i for i, name in enumerate(dict.fromkeys(q.category for q in questions))}
    return sorted(questions, key=lambda q: order[q.category])


def _key(course: Course, name: str) -> str:
    key = f"import:{course.slug}:{name}"
    if len(key) > 200:
        key = f"import:{course.slug}:sha1:{hashlib.sha1(name.encode()).hexdigest()}"  # noqa: S324
    return key


def _content_hash(question: Question) -> str:
    parts = [question.kind, question.text, question.answer, *question.topics]
    parts += [f"{o.is_correct}:{o.text}" for o in question.options]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class TopicIndex:
    """Topics by slug and by name (Russian or English), to read a question's topics."""

    def __init__(self) -> None:
        self.by_slug = {topic.slug: topic for topic in Topic.objects.all()}
        self.by_name = {}
        for topic in self.by_slug.values():
            self.by_name[topic.name.casefold()] = topic
            if topic.name_en:
                self.by_name[topic.name_en.casefold()] = topic

    def topics_of(self, question: Question) -> list[Topic]:
        """Its topic slugs that exist, else the topic its category names."""
        topics = [self.by_slug[s] for s in question.topics if s in self.by_slug]
        if not topics and question.category.casefold() in self.by_name:
            topics = [self.by_name[question.category.casefold()]]
        return topics

    def unknown(self, question: Question) -> list[str]:
        return [slug for slug in question.topics if slug not in self.by_slug]


def import_questions(course: Course, questions: list[Question], source: str) -> ImportResult:
    """Write checked questions into the bank in one transaction."""
    for question in questions:
        question.check()
    result = ImportResult()
    index = TopicIndex()
    source_file = source[:200]
    with transaction.atomic():
        collection = None
        last = MCQ.objects.filter(course=course).aggregate(m=Max("position"))["m"]
        next_position = (last or 0) + 1
        for question in questions:
            topics = index.topics_of(question)
            unknown = index.unknown(question)
            if unknown:
                result.warnings.append(
                    _("line %(line)d: unknown topics %(topics)s; ignored")
                    % {"line": question.line, "topics": ", ".join(unknown)}
                )
            common = {
                "source_file": source_file,
                "source_first_line": question.line,
                "source_last_line": question.line,
                "content_hash": _content_hash(question),
                "retired_at": None,
            }
            key = _key(course, question.name or _content_hash(question)[:16])
            if question.kind == MULTICHOICE:
                row, created = MCQ.objects.update_or_create(
                    seed_key=key,
                    defaults={**common, "course": course, "question": question.text},
                    create_defaults={
                        **common,
                        "course": course,
                        "question": question.text,
                        "position": next_position,
                        "stated_answer_text": next(
                            o.text for o in question.options if o.is_correct
                        ),
                    },
                )
                next_position += created
                _replace_options(row, question.options)
            else:
                if collection is None:
                    collection, _created = QACollection.objects.update_or_create(
                        seed_key=_key(course, f"collection:{source}"),
                        defaults={**common, "source_first_line": 1, "source_last_line": 1,
                                  "title": f"{course.title}: {source}"},
                    )  # fmt: skip
                    collection.courses.add(course)
                count = QAItem.objects.filter(collection=collection).count()
                row, created = QAItem.objects.update_or_create(
                    seed_key=key,
                    defaults={
                        **common,
                        "collection": collection,
                        "question": question.text,
                        "answer": question.answer,
                    },
                    create_defaults={
                        **common,
                        "collection": collection,
                        "question": question.text,
                        "answer": question.answer,
                        "position": count + 1,
                    },
                )
            row.topics.set(topics)
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def _replace_options(mcq: MCQ, options: list[Option]) -> None:
    """Options by position, updated in place (attempts may point at them)."""
    existing = {option.position: option for option in mcq.options.all()}
    mcq.options.filter(is_correct=True).update(is_correct=False)
    for position, option in enumerate(options, start=1):
        letter = LETTERS[position - 1] if position <= len(LETTERS) else str(position)
        row = existing.pop(position, None)
        if row is None:
            MCQOption.objects.create(
                mcq=mcq,
                position=position,
                letter=letter,
                text=option.text,
                is_correct=option.is_correct,
            )
        else:
            row.letter, row.text, row.is_correct = letter, option.text, option.is_correct
            row.save(update_fields=["letter", "text", "is_correct"])
    for row in existing.values():
        row.delete()
