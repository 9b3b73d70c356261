"""Instructors and admins see, for each practical task, the seed's own reference code as the
import restored it (with its warnings: network data sets, removed APIs) beside the reference
solution of the lab that grades the task, read from the lab catalogue; both escaped, each in a
box that scrolls inside itself so that the page fits a phone. Learners and visitors never see
either."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labs.models import Lab
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import DL

PAGE = "/quizzes/manage/courses/deep-learning/reference-solutions/"
CATALOG = Path(__file__).resolve().parent.parent / "labs" / "catalog"
HOSTILE = 'TITLE = "<script>alert(1)</script>"\n\n\ndef train(): ...\n'


@pytest.fixture
def catalogue(tmp_path, settings):
    """A catalogue of two labs for the deep-learning course: the real dl-07-iou's reference,
    and a lab for ticket 1 whose reference holds markup."""
    from courses.models import Course

    (tmp_path / "dl-07-iou").mkdir()
    shutil.copy(CATALOG / "dl-07-iou" / "reference.py", tmp_path / "dl-07-iou" / "reference.py")
    (tmp_path / "dl-01-cnn").mkdir()
    (tmp_path / "dl-01-cnn" / "reference.py").write_text(HOSTILE, encoding="utf-8")
    settings.LAB_CATALOG_DIR = tmp_path
    course = Course.objects.get(slug="deep-learning")
    for slug, number in (("dl-07-iou", 7), ("dl-01-cnn", 1), ("dl-02-missing", 2)):
        Lab.objects.create(slug=slug, title=f"Лаборатория {number}", course=course,
                           ticket_number=number, statement="-", starter_code="-",
                           catalog_hash="-")  # fmt: skip
    return tmp_path


@pytest.fixture
def imported(db):
    import_parsed(parse_paths([DL]))


def section(body: str, number: int) -> str:
    start = body.index(f'id="ticket-{number}"')
    end = body.find('<article class="reference-solution"', start + 1)
    return body[start : end if end > 0 else len(body)]


pytestmark = pytest.mark.django_db


def test_the_seeds_code_with_its_warnings_stands_beside_the_labs_reference(
    client, ivan, imported, catalogue
):
    client.force_login(ivan)
    body = client.get(PAGE).content.decode()
    first = section(body, 1)
    seed, lab = first.split('class="lab-reference"')
    assert "Эталонный код из семян" in seed and "Эталонное решение лабораторной" in lab
    # The import's warning about the seed's code: it downloads CIFAR-10.
    assert "скачивает набор данных (download=True)" in seed
    assert "SimpleCNN" in seed
    # The lab's reference, escaped (Pygments), never as markup.
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lab
    assert 'href="/labs/dl-01-cnn/"' in lab and "labs/catalog/dl-01-cnn/reference.py" in lab

    seventh = section(body, 7)
    assert "iou_matrix" in seventh.split('class="lab-reference"')[1]
    # A lab whose folder this machine's catalogue lacks, and a task no lab grades yet.
    assert "В каталоге лабораторных на этой машине нет reference.py" in section(body, 2)
    assert "Эту задачу пока не проверяет ни одна лабораторная" in section(body, 3)


def test_admins_see_it_and_learners_and_visitors_are_refused(
    client, ivan, ada, alice, imported, catalogue
):
    client.force_login(ada)
    assert "iou_matrix" in client.get(PAGE).content.decode()
    client.force_login(alice)
    refused = client.get(PAGE)
    assert refused.status_code == 403
    assert "iou_matrix" not in refused.content.decode()
    assert "SimpleCNN" not in refused.content.decode()
    # Nor does the learner's own lab page show the reference or link to this page.
    lab_page = client.get("/labs/dl-07-iou/").content.decode()
    assert "iou_matrix" not in lab_page and "reference-solutions" not in lab_page
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the log-in page


def test_the_lab_page_links_instructors_to_the_comparison(client, ivan, imported, catalogue):
    client.force_login(ivan)
    lab_page = client.get("/labs/dl-07-iou/").content.decode()
    assert f'href="{PAGE}#ticket-7"' in lab_page


def test_the_page_reads_the_labs_in_one_query(
    client, ivan, imported, catalogue, django_assert_max_num_queries
):
    client.force_login(ivan)
    client.get(PAGE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as with_three:
        client.get(PAGE)
    course = Lab.objects.first().course
    Lab.objects.create(slug="dl-03-more", title="Ещё", course=course, ticket_number=3,
                       statement="-", starter_code="-", catalog_hash="-")  # fmt: skip
    with django_assert_max_num_queries(len(with_three.captured_queries)):
        client.get(PAGE)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_comparison_fits_a_phone(page, live_server, catalogue_for_browser):
    from tests.test_layout_every_page import MEASURE, log_in

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, catalogue_for_browser)
    page.goto(PAGE)
    found = page.evaluate(MEASURE)
    assert found["width"] == found["viewport"] == 390, found["wide"]
    # The long line scrolls inside its box (the box or the code block within it).
    scrolling = page.locator("#ticket-1 .lab-reference .code-box").evaluate(
        """box => [box, ...box.querySelectorAll("*")].some(e =>
            e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === "auto")"""
    )
    assert scrolling


@pytest.fixture
def catalogue_for_browser(transactional_db, tmp_path, settings):
    from tests.factories import InstructorFactory

    import_parsed(parse_paths([DL]))
    long_line = "x = " + " + ".join(f"value_{i}" for i in range(60)) + "\n"
    (tmp_path / "dl-01-cnn").mkdir()
    (tmp_path / "dl-01-cnn" / "reference.py").write_text(HOSTILE + long_line, encoding="utf-8")
    settings.LAB_CATALOG_DIR = tmp_path
    from courses.models import Course

    Lab.objects.create(slug="dl-01-cnn", title="Лаборатория 1",
                       course=Course.objects.get(slug="deep-learning"), ticket_number=1,
                       statement="-", starter_code="-", catalog_hash="-")  # fmt: skip
    return InstructorFactory().username
