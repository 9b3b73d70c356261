"""Import runs as the admin page and the command record them: a dry run of uploaded files,
kept with their bytes, then applied exactly as checked."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from seeds.loader import SeedInput, import_parsed, parse_inputs
from seeds.models import ImportRun, UploadedSeedFile
from seeds.parsers import SeedError
from seeds.report import translate


def error_text(error: SeedError) -> str:
    """The refusal as the person who asked for the import reads it (active language)."""
    return f"{error.file}:{error.line}: {translate(error.detail)}"


def record_run(
    status: str,
    file_names: list[str],
    *,
    report: dict | None = None,
    error: str = "",
    user: AbstractBaseUser | None = None,
) -> ImportRun:
    return ImportRun.objects.create(
        status=status, file_names=file_names, report=report or {}, error=error, user=user
    )


def dry_run_uploads(uploads: Sequence[SeedInput], user: AbstractBaseUser | None) -> ImportRun:
    """Check uploaded files without writing content; the run keeps them for `apply_dry_run`.
    A file that cannot be parsed gives a failed run whose error names the file and line."""
    names = [upload.name for upload in uploads]
    try:
        report = import_parsed(parse_inputs(uploads), dry_run=True)
    except SeedError as error:
        return record_run(ImportRun.Status.FAILED, names, error=error_text(error), user=user)
    with transaction.atomic():
        run = record_run(ImportRun.Status.DRY_RUN, names, report=report.as_dict(), user=user)
        UploadedSeedFile.objects.bulk_create(
            UploadedSeedFile(
                run=run,
                name=upload.name,
                content=upload.data,
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
            for upload in uploads
        )
    return run


class AlreadyApplied(Exception):
    pass


def apply_dry_run(run: ImportRun, user: AbstractBaseUser | None) -> ImportRun:
    """Import the files a dry run checked. Applying the same dry run twice is refused."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != ImportRun.Status.DRY_RUN or locked.applied_run_id is not None:
            raise AlreadyApplied(f"import run {run.pk} was already applied or is not a dry run")
        inputs = [SeedInput(f.name, bytes(f.content)) for f in locked.files.all()]
        try:
            report = import_parsed(parse_inputs(inputs))
        except SeedError as error:
            return record_run(
                ImportRun.Status.FAILED, locked.file_names, error=error_text(error), user=user
            )
        applied = record_run(
            ImportRun.Status.APPLIED, locked.file_names, report=report.as_dict(), user=user
        )
        locked.applied_run = applied
        locked.save(update_fields=["applied_run"])
        # The bytes served their purpose; the report stays.
        locked.files.all().delete()
    return applied
