"""manage.py generate_tickets COURSE --count N [--seed S] [--json] [--save NAME]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from exams.generation import assembly_as_json, generate
from exams.tickets import ExamRefused, save_assembly


class Command(BaseCommand):
    help = (
        "Generate a balanced set of exam tickets from a course's bank and print it; "
        "--save NAME stores it as a new version of the named ticket set."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("course", help="the course's slug")
        parser.add_argument("--count", type=int, required=True, help="how many tickets")
        parser.add_argument("--seed", type=int, help="the same seed gives the same set")
        parser.add_argument("--json", action="store_true", help="print the set as JSON")
        parser.add_argument("--save", metavar="NAME", help="save the set under this name")

    def handle(self, *args, **options) -> None:
        course = Course.objects.live().filter(slug=options["course"]).first()
        if course is None:
            known = ", ".join(Course.objects.live().values_list("slug", flat=True)) or "-"
            raise CommandError(f"no course {options['course']!r}; courses: {known}")
        try:
            assembly = generate(course, options["count"], options["seed"])
            saved = (
                save_assembly(course, assembly, options["save"], None) if options["save"] else None
            )
        except ExamRefused as refusal:
            raise CommandError(str(refusal)) from None
        data = assembly_as_json(course, assembly)
        if saved is not None:
            data["saved_as"] = {"id": saved.pk, "name": saved.name, "version": saved.version}
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for ticket in data["tickets"]:
            self.stdout.write(f"Ticket {ticket['number']}  (difficulty {ticket['difficulty']:.3f})")
            for position, question in enumerate(ticket["theory"], start=1):
                topics = ", ".join(question["topics"]) or "-"
                self.stdout.write(
                    f"  {position}. [{question['id']}] {question['text']}  ({topics})"
                )
            practical = ticket["practical"]
            lab = f" lab {practical['lab']}" if practical["lab"] else ""
            self.stdout.write(f"  P. [{practical['id']}{lab}] {practical['text']}")
        balance = data["balance"]
        random_spread = balance["random_sets"]["difficulty_spread_median"]
        self.stdout.write(
            f"{data['count']} tickets, seed {data['seed']}, {data['solve_s']} s; difficulty "
            f"{balance['difficulty_min']}..{balance['difficulty_max']} (spread "
            f"{balance['difficulty_spread']}, random sets {random_spread}); "
            f"tickets with a shared topic {balance['tickets_with_shared_topic']}; topics "
            f"{balance['topics_covered']}/{balance['topics_in_bank']}; task uses "
            f"{balance['task_uses_min']}..{balance['task_uses_max']}"
        )
        if saved is not None:
            self.stdout.write(f"saved as {saved.name} v{saved.version} (id {saved.pk})")
