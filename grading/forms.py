from django import forms
from django.utils.translation import gettext_lazy as _


class SubmissionForm(forms.Form):
    """Either the editor's text or an uploaded solution.py / solution.ipynb."""

    source = forms.CharField(
        label=_("Solution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code-input"}),
    )
    file = forms.FileField(
        label=_("or upload solution.py / solution.ipynb"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".py,.ipynb"}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not (cleaned.get("source") or "").strip():
            raise forms.ValidationError(_("Write a solution or choose a file."))
        return cleaned
