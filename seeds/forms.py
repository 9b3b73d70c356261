from django import forms
from django.utils.translation import gettext_lazy as _

from seeds.parsers import MAX_SEED_BYTES

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class SeedUploadForm(forms.Form):
    files = MultipleFileField(label=_("Seed files"), help_text=_("UTF-8 text files."))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(n)d files at once.") % {"n": MAX_FILES})
        for upload in files:
            if upload.size > MAX_SEED_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is %(size)d bytes; a seed is at most %(max)d.")
                    % {"name": upload.name, "size": upload.size, "max": MAX_SEED_BYTES}
                )
        return files
