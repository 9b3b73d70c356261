"""Learner pages: the exams one may sit, the draw, the session (autosaved answers, the
practical task through the lab grader, a personal countdown), and the published result.
Every session is looked up through get_session_for_learner: anyone else's is a 404."""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import login_required
from exams import sessions
from exams.access import NotYourSession, get_exam_for_learner, get_session_for_learner
from exams.authoring_views import REFUSED
from exams.models import ExamSession, SessionAnswer
from exams.tickets import ExamRefused


def _refused(request: HttpRequest, message: str, back: str, target: str = "") -> HttpResponse:
    context = {"message": message, "back": back}
    if request.htmx:
        response = render(request, "exams/refused.html#refusal", context, status=REFUSED)
        if target:
            response["HX-Retarget"] = target
            response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "exams/refused.html", context, status=REFUSED)


def own_session(view):
    """Someone else's session (or none) is refused with a 404 that says so in words."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotYourSession as refusal:
            context = {"message": str(refusal), "back": reverse("exams:exam_list")}
            return render(request, "exams/refused.html", context, status=404)

    return guarded


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@require_GET
@login_required
def exam_list(request: HttpRequest) -> HttpResponse:
    mine = list(
        ExamSession.objects.filter(learner=request.user)
        .select_related("exam__course", "ticket")
        .order_by("-started_at")
    )
    mine = [sessions.close_if_expired(s) for s in mine]
    sat = {s.exam_id for s in mine}
    available = [e for e in sessions.exams_for_learner(request.user) if e.pk not in sat]
    return render(
        request,
        "exams/exam_list.html",
        {"available": available, "mine": mine, "now": timezone.now()},
    )


@require_GET
@login_required
def exam_detail(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = get_exam_for_learner(exam_id)
    session = ExamSession.objects.filter(exam=exam, learner=request.user).first()
    if session is not None:
        return redirect("exams:session_take", session.pk)
    if not sessions.may_sit(exam, request.user):
        return _refused(
            request, _("You are not on the list of this exam."), reverse("exams:exam_list")
        )
    extra = (
        exam.candidates.filter(learner=request.user).values_list("extra_minutes", flat=True).first()
    )
    return render(
        request,
        "exams/exam_detail.html",
        {"exam": exam, "extra": extra or 0, "now": timezone.now(),
         "is_open": exam.is_open(timezone.now())},
    )  # fmt: skip


@require_POST
@login_required
def exam_draw(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = get_exam_for_learner(exam_id)
    try:
        session = sessions.start_session(exam, request.user)
    except ExamRefused as refusal:
        return _refused(request, str(refusal), reverse("exams:exam_list"))
    return redirect("exams:session_take", session.pk)


def _session_context(session: ExamSession) -> dict:
    answers = list(
        SessionAnswer.objects.filter(session=session)
        .select_related("question")
        .order_by("position")
    )
    links = list(
        session.practical_submissions.select_related("submission").order_by(
            "-submission__created_at"
        )
    )
    last_source = next((link.submission.source for link in links if link.submission.source), None)
    lab = session.ticket.lab
    return {
        "session": session,
        "exam": session.exam,
        "ticket": session.ticket,
        "theory": [a for a in answers if a.question_id],
        "practical_answer": next((a for a in answers if a.question_id is None), None),
        "submissions": [link.submission for link in links],
        "source": last_source or (lab.starter_code if lab else ""),
        "deadline_iso": session.deadline.isoformat(),
        "seconds_left": max(0, int((session.deadline - timezone.now()).total_seconds())),
    }


@require_GET
@login_required
@own_session
def session_take(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_learner(request.user, session_id)
    if not session.is_open:
        return redirect("exams:session_result", session.pk)
    context = _session_context(session)
    if session.ticket.lab_id:
        from courses.highlighting import render_markdown

        context["statement_html"] = render_markdown(session.ticket.lab.statement)
    return render(request, "exams/session_take.html", context)


@require_POST
@login_required
@own_session
def session_answer(request: HttpRequest, session_id: int) -> HttpResponse:
    """Autosave one answer: one conditional UPDATE on the hot path (exams.sessions)."""
    position = _int(request.POST.get("position"))
    version = _int(request.POST.get("version"))
    text = request.POST.get("text")
    back = reverse("exams:session_take", args=[session_id])
    if position is None or version is None or text is None:
        get_session_for_learner(request.user, session_id)  # 404 for anyone else's
        return _refused(request, _("The answer form is incomplete; reload the page."), back)
    try:
        new_version = sessions.save_answer(request.user.pk, session_id, position, text, version)
    except ExamRefused as refusal:
        get_session_for_learner(request.user, session_id)
        return _refused(request, str(refusal), back, f"#answer-{position}-status")
    context = {"position": position, "version": new_version, "saved_at": timezone.now()}
    if request.htmx:
        # Rendered without the request: no context processors, no queries.
        return HttpResponse(render_to_string("exams/session_take.html#answer-saved", context))
    return redirect(back)


@require_POST
@login_required
@own_session
def session_practical(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_learner(request.user, session_id)
    back = reverse("exams:session_take", args=[session.pk])
    source = request.POST.get("source", "")
    try:
        submission = sessions.send_practical(session, source)
    except ExamRefused as refusal:
        return _refused(request, str(refusal), back)
    if submission.status == submission.Status.REJECTED:
        return _refused(request, submission.message, back)
    if request.htmx:
        return HttpResponseClientRedirect(f"{back}#practical")
    return redirect(f"{back}#practical")


@require_POST
@login_required
@own_session
def session_submit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_learner(request.user, session_id)
    try:
        sessions.submit_session(session.pk)
    except ExamRefused as refusal:
        return _refused(request, str(refusal), reverse("exams:session_result", args=[session.pk]))
    return redirect("exams:session_result", session.pk)


@require_GET
@login_required
@own_session
def session_result(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_learner(request.user, session_id)
    if session.is_open:
        return redirect("exams:session_take", session.pk)
    context = _session_context(session)
    if session.is_published:
        context["changes"] = session.changes.all()
    return render(request, "exams/session_result.html", context)
