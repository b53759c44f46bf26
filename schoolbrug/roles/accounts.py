"""Log-in help by mail: "wachtwoord vergeten" and the invitation of a new account.

Both mail a link to Django's own set-password page (`PasswordResetConfirmView`, with its
token: signed, for this account, void once the password changed, expired after
`PASSWORD_RESET_TIMEOUT`). The reset page answers the same whether or not the address has an
account, so it tells nobody who works here. It is limited per address the request comes from
(past the limit: a Dutch 429 page) and per e-mail address (past the limit: the same answer
as always, and no mail), so it can be used neither to guess nor to flood someone's mailbox.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from schoolbrug.client_address import client_address

RESET_GROUP = "schoolbrug.password_reset"
RESET_SUBJECT = "roles/mail/password_reset_subject.txt"
RESET_BODY = "roles/mail/password_reset_body.txt"
INVITE_SUBJECT = "roles/mail/invitation_subject.txt"
INVITE_BODY = "roles/mail/invitation_body.txt"


class ResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mailadres")

    def get_users(self, email):
        # Also an invited account that never chose a password (its invitation expired).
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())


class ChoosePasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Nieuw wachtwoord")
        self.fields["new_password2"].label = _("Nieuw wachtwoord (nog eens)")


def _limited(request: HttpRequest, key: str, rate: str) -> bool:
    return is_ratelimited(
        request,
        group=f"{RESET_GROUP}.{key.partition(':')[0]}",
        key=lambda group, request: key,
        rate=rate,
        increment=True,
    )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "roles/password_reset_form.html"
    form_class = ResetForm
    subject_template_name = RESET_SUBJECT
    email_template_name = RESET_BODY
    success_url = reverse_lazy("roles:password_reset_done")

    def post(self, request, *args, **kwargs):
        if _limited(
            request,
            f"address:{client_address(request)}",
            f"{settings.SCHOOLBRUG_PASSWORD_RESETS_PER_ADDRESS}/h",
        ):
            return render(request, "roles/password_reset_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.extra_email_context = {"hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        email = form.cleaned_data["email"].strip().casefold()
        if _limited(
            self.request, f"email:{email}", f"{settings.SCHOOLBRUG_PASSWORD_RESETS_PER_EMAIL}/h"
        ):
            # The same answer as always: a limit reached says nothing about the address.
            return super(auth_views.PasswordResetView, self).form_valid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "roles/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "roles/password_reset_confirm.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("roles:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "roles/password_reset_complete.html"


def send_invitation(request: HttpRequest, user, invited_by) -> None:
    """Mail `user` a link to choose the password of their new account."""
    link = request.build_absolute_uri(
        reverse(
            "roles:password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(user.pk)),
                default_token_generator.make_token(user),
            ],
        )
    )
    context = {
        "user": user,
        "link": link,
        "invited_by": invited_by.get_full_name() or invited_by.email or invited_by.username,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    ResetForm().send_mail(INVITE_SUBJECT, INVITE_BODY, context, None, user.email)
