"""Grading an exam session: rubric scores, the practical task's points, the 5-point mark,
publication, and the audit of every change to a published grade.

1. The theory points are the sum of the rubric scores; each score lies within its
   criterion's range, and every criterion of the ticket's questions gets one.
2. The practical points are the instructor's when given, else the best score of the session's
   lab submissions times the exam's practical points; a task graded by hand needs the
   instructor's points.
3. The mark follows the exam's thresholds on the percentage of the ticket's points.
4. A published grade changes only with a reason; each change keeps the figures before and
   after (GradeChange), and the learner sees the new grade at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import CriterionScore, Exam, ExamSession, GradeChange, RubricCriterion
from exams.tickets import ExamRefused

TENTH = Decimal("0.1")


def parse_points(raw: str | None, label: str) -> Decimal | None:
    """'' -> None; '7,5' or '7.5' -> Decimal('7.5'); anything else refused."""
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ExamRefused(
            _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": raw[:20]}
        ) from None
    if not value.is_finite() or value != value.quantize(TENTH):
        raise ExamRefused(_("%(field)s: use at most one decimal place.") % {"field": label})
    return value


def mark_for(exam: Exam, percent: Decimal) -> int:
    if percent >= exam.excellent_from:
        return ExamSession.Mark.EXCELLENT
    if percent >= exam.good_from:
        return ExamSession.Mark.GOOD
    if percent >= exam.satisfactory_from:
        return ExamSession.Mark.SATISFACTORY
    return ExamSession.Mark.UNSATISFACTORY


def criteria_by_question(exam: Exam, question_ids) -> dict[int, list[RubricCriterion]]:
    found: dict[int, list[RubricCriterion]] = defaultdict(list)
    for criterion in RubricCriterion.objects.filter(exam=exam, question_id__in=question_ids):
        found[criterion.question_id].append(criterion)
    return found


def lab_score(session: ExamSession) -> float | None:
    """The best score (0..1) of the session's graded lab submissions; None if none is graded."""
    from grading.models import Submission

    return session.practical_submissions.filter(
        submission__status=Submission.Status.DONE
    ).aggregate(best=Max("submission__score"))["best"]


@dataclass(frozen=True)
class RubricRow:
    criterion_id: int | None
    title: str
    max_points: Decimal


def update_rubric(exam: Exam, question_id: int, rows: list[RubricRow]) -> None:
    """Replace one question's rubric in this exam. A criterion already used in grading keeps
    at least the points given under it, and cannot be removed."""
    current = {c.pk: c for c in RubricCriterion.objects.filter(exam=exam, question_id=question_id)}
    if not current:
        raise ExamRefused(_("This question is not in this exam."))
    if not rows:
        raise ExamRefused(_("A rubric needs at least one criterion."))
    for row in rows:
        if not row.title.strip():
            raise ExamRefused(_("Every criterion needs a description."))
        if not Decimal(0) < row.max_points <= Decimal(100):
            raise ExamRefused(_("A criterion is worth more than 0 and at most 100 points."))
        if row.criterion_id is not None and row.criterion_id not in current:
            raise ExamRefused(_("This criterion belongs to another rubric."))
    awarded = dict(
        CriterionScore.objects.filter(criterion__in=current.keys())
        .values("criterion_id")
        .annotate(top=Max("points"))
        .values_list("criterion_id", "top")
    )
    kept = {row.criterion_id for row in rows}
    for criterion_id in awarded:
        if criterion_id not in kept:
            raise ExamRefused(
                _("“%(title)s” has been used in grading and cannot be removed.")
                % {"title": current[criterion_id].title}
            )
    for row in rows:
        if row.criterion_id in awarded and row.max_points < awarded[row.criterion_id]:
            raise ExamRefused(
                _("“%(title)s”: a session already has %(points)s points under it.")
                % {"title": row.title, "points": awarded[row.criterion_id]}
            )
    with transaction.atomic():
        RubricCriterion.objects.filter(exam=exam, question_id=question_id).exclude(
            pk__in=[r.criterion_id for r in rows if r.criterion_id]
        ).delete()
        # Positions move past every current one first, so the unique constraint never clashes.
        offset = 1000
        RubricCriterion.objects.filter(exam=exam, question_id=question_id).update(
            position=F("position") + offset
        )
        for position, row in enumerate(rows, start=1):
            if row.criterion_id:
                RubricCriterion.objects.filter(pk=row.criterion_id).update(
                    position=position, title=row.title.strip(), max_points=row.max_points
                )
            else:
                RubricCriterion.objects.create(
                    exam=exam,
                    question_id=question_id,
                    position=position,
                    title=row.title.strip(),
                    max_points=row.max_points,
                )


def _figures(session: ExamSession) -> dict:
    return {
        "theory_points": str(session.theory_points) if session.theory_points is not None else None,
        "practical_points": str(session.practical_points)
        if session.practical_points is not None
        else None,
        "percent": str(session.percent) if session.percent is not None else None,
        "mark": session.mark,
        "feedback": session.feedback,
    }


def grade_session(
    session: ExamSession,
    user: AbstractBaseUser,
    *,
    scores: dict[int, Decimal | None],
    practical_override: Decimal | None,
    feedback: str,
    reason: str = "",
) -> ExamSession:
    """Steps 1-4 of the module docstring, all or nothing."""
    with transaction.atomic():
        session = (
            ExamSession.objects.select_for_update()
            .select_related("exam", "ticket")
            .get(pk=session.pk)
        )
        exam = session.exam
        if session.is_open:
            raise ExamRefused(
                _("The learner is still sitting this exam: grade it once it is closed.")
            )
        question_ids = list(session.ticket.questions.values_list("pk", flat=True))
        criteria = [c for group in criteria_by_question(exam, question_ids).values() for c in group]
        by_id = {c.pk: c for c in criteria}
        unknown = set(scores) - set(by_id)
        if unknown:
            raise ExamRefused(_("A score was given for a criterion of another rubric."))
        theory = Decimal(0)
        for criterion in criteria:
            points = scores.get(criterion.pk)
            if points is None:
                raise ExamRefused(
                    _("Give points for every criterion (missing: “%(title)s”).")
                    % {"title": criterion.title}
                )
            if not Decimal(0) <= points <= criterion.max_points:
                raise ExamRefused(
                    _("“%(title)s” is worth 0 to %(max)s points; %(points)s is outside the rubric.")
                    % {"title": criterion.title, "max": criterion.max_points, "points": points}
                )
            theory += points
        practical_max = Decimal(exam.practical_points)
        if practical_override is not None and not Decimal(0) <= practical_override <= practical_max:
            raise ExamRefused(
                _("The practical task is worth 0 to %(max)s points; %(points)s is outside that.")
                % {"max": practical_max, "points": practical_override}
            )
        if practical_override is not None:
            practical = practical_override
        elif session.ticket.lab_id is not None:
            best = lab_score(session)
            practical = (Decimal(str(best or 0)) * practical_max).quantize(TENTH)
        else:
            raise ExamRefused(_("The practical task is graded by hand here: give its points."))
        was_published = session.is_published
        if was_published and not reason.strip():
            raise ExamRefused(
                _("This grade is published: say why it changes (the reason is kept and shown).")
            )
        before = _figures(session)
        maximum = sum((c.max_points for c in criteria), Decimal(0)) + practical_max
        percent = ((theory + practical) * 100 / maximum).quantize(TENTH) if maximum else Decimal(0)
        for criterion in criteria:
            CriterionScore.objects.update_or_create(
                session=session, criterion=criterion, defaults={"points": scores[criterion.pk]}
            )
        now = timezone.now()
        session.theory_points = theory
        session.practical_override = practical_override
        session.practical_points = practical
        session.max_points = maximum
        session.percent = percent
        session.mark = mark_for(exam, percent)
        session.feedback = feedback.strip()
        session.graded_by = user
        session.graded_at = now
        if not was_published:
            session.grading = ExamSession.Grading.GRADED
        session.save()
        if was_published:
            after = _figures(session)
            if after != before:
                GradeChange.objects.create(
                    session=session,
                    changed_by=user,
                    changed_at=now,
                    reason=reason.strip(),
                    before=before,
                    after=after,
                )
    return session


def publish(session: ExamSession, user: AbstractBaseUser) -> ExamSession:
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session.pk)
        if session.grading == ExamSession.Grading.UNGRADED:
            raise ExamRefused(_("This session is not graded yet: grade it before publishing."))
        if session.is_published:
            raise ExamRefused(_("This grade is already published."))
        session.grading = ExamSession.Grading.PUBLISHED
        session.published_at = timezone.now()
        session.save(update_fields=["grading", "published_at"])
    return session
