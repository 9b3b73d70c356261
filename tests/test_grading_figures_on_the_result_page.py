"""A lab's judge can show a picture on the result page (``figures`` in labs/grader_api.py):
the autoencoder lab's reconstruction grid. The judge hands over numbers; the PNG is written by
trusted code (grading/figures.py), stored with the submission, served only to those who may see
the submission, and shown with an ``<img>`` whose alt text is the figure's title in the viewer's
language. A file the learner's job wrote under the same name does not replace it."""

import io
import textwrap

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from grading import services
from grading.engine import GradeResult, Status, grade_source
from grading.figures import FigureImage, encode_png
from grading.models import Submission
from labs.catalog import load_lab
from labs.models import Lab
from labs.sync import sync_labs
from tests.factories import InstructorFactory, LearnerFactory

# Trains nothing (fast), but draws its grid as the contract asks: what the figure must show.
QUICK_AUTOENCODER = textwrap.dedent(
    """
    import numpy as np
    import torch
    from torch import nn


    class Autoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 16))
            self.decoder = nn.Sequential(nn.Linear(16, 784), nn.Sigmoid())

        def encode(self, x):
            return self.encoder(x)

        def decode(self, z):
            return self.decoder(z).view(-1, 1, 28, 28)

        def forward(self, x):
            return self.decode(self.encode(x))


    def train_autoencoder(loader, epochs, device):
        return Autoencoder()


    def reconstruction_grid(model, images):
        with torch.no_grad():
            recon = model(images)
        rows = [torch.cat(list(images[:, 0]), 1), torch.cat(list(recon[:, 0]), 1)]
        grid = (torch.cat(rows, 0) * 255).round().to(torch.uint8).numpy()
        return np.stack([grid, grid, grid], axis=2)
    """
)


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_a_png_is_written_from_a_grey_or_rgb_array_and_reads_back_equal():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, size=(62, 242), dtype=np.uint8)
    colour = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    assert (decoded(encode_png(grey)) == grey).all()
    assert (decoded(encode_png(colour)) == colour).all()


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((4, 4), np.float32),  # not pixels
        np.zeros((4, 4, 4), np.uint8),  # RGBA
        np.zeros((0, 4), np.uint8),  # empty
        np.zeros((5000, 2), np.uint8),  # too tall
        [[0, 1], [2, 3]],  # not an array
    ],
    ids=["float", "four_channels", "empty", "too_tall", "list"],
)
def test_anything_but_a_bounded_uint8_image_is_refused(image):
    with pytest.raises(ValueError):
        encode_png(image)


@pytest.mark.integration
@pytest.mark.usefixtures("generated_datasets")
def test_the_autoencoder_lab_shows_the_learners_grid_as_a_png_made_here():
    lab = load_lab("dl-04-mnist-autoencoder")
    result = grade_source(lab, QUICK_AUTOENCODER, seed=5)
    assert result.status == Status.DONE
    grid = next(test for test in result.tests if test.name == "grid")
    assert grid.passed, grid.message
    (figure,) = result.figures
    assert figure.name == "reconstructions.png"
    image = decoded(figure.png)
    assert image.shape == (56, 8 * 28, 3)
    assert (image[:, :, 0] == image[:, :, 2]).all() and image[28:].any()
    assert figure.titles["ru"].startswith("Ваша сетка реконструкций")
    assert figure.titles["en"].startswith("Your reconstruction grid")


@pytest.mark.integration
@pytest.mark.usefixtures("generated_datasets")
def test_a_grid_that_is_not_an_image_gives_no_figure_and_fails_its_test():
    lab = load_lab("dl-04-mnist-autoencoder")
    source = QUICK_AUTOENCODER.replace(
        "return np.stack([grid, grid, grid], axis=2)", "return grid.astype(np.float64)"
    )
    result = grade_source(lab, source, seed=5)
    assert result.figures == []
    grid = next(test for test in result.tests if test.name == "grid")
    assert not grid.passed and "uint8" in grid.message


FIGURE = FigureImage(
    name="reconstructions.png",
    png=encode_png(np.arange(56 * 224, dtype=np.uint8).reshape(56, 224)),
    titles={"ru": "Ваша сетка: «оригиналы» сверху", "en": "Your grid: originals above"},
)


@pytest.fixture
def graded_submission(db):
    sync_labs()
    submission = Submission.objects.create(
        learner=LearnerFactory(username="ada_learner"),
        lab=Lab.objects.get(slug="dl-04-mnist-autoencoder"),
        source="x = 1\n",
    )
    claim = services.claim_job(Submission, submission.pk, "figure-test", 10)
    result = GradeResult(
        status=Status.DONE,
        score=0.5,
        tests=[],
        message="Проверка завершена.",
        # The job wrote a file of the same name: it must not replace the judge's figure.
        artifacts={"reconstructions.png": b"<svg onload=alert(1)>", "mine.png": b"\x89PNG"},
        figures=[FIGURE],
    )
    assert services.record_result(submission.pk, claim, result)
    return submission


def test_the_figure_is_stored_with_the_submission_and_the_jobs_file_does_not_replace_it(
    graded_submission,
):
    figure = graded_submission.artifacts.get(name="reconstructions.png")
    assert figure.grader and bytes(figure.content) == FIGURE.png
    assert figure.content_type == "image/png"
    assert figure.titles == FIGURE.titles
    mine = graded_submission.artifacts.get(name="mine.png")
    assert not mine.grader


def test_the_owner_sees_the_figure_with_its_title_as_alt_text(client, graded_submission):
    client.force_login(graded_submission.learner)
    page = client.get(graded_submission.get_absolute_url()).content.decode()
    url = reverse("submission_artifact", args=[graded_submission.pk, "reconstructions.png"])
    # The title is escaped like any text on the page.
    assert f'<img src="{url}" alt="Ваша сетка: «оригиналы» сверху">' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == FIGURE.png


def test_another_learner_gets_404_and_an_instructor_sees_it(client, graded_submission):
    url = reverse("submission_artifact", args=[graded_submission.pk, "reconstructions.png"])
    client.force_login(LearnerFactory(username="bob_other"))
    assert client.get(url).status_code == 404
    assert client.get(graded_submission.get_absolute_url()).status_code == 404
    client.force_login(InstructorFactory(username="ivan_teacher"))
    assert client.get(url).status_code == 200
