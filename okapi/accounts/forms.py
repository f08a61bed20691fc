from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms


class JoinForm(forms.Form):
    """A new person accepting an invitation: their name and a password."""

    name = forms.CharField(label="Your name", max_length=200)
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password.",
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", "The two passwords differ.")
        return data


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Django's form to choose a new password, with Okapi's labels (no trailing colon)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
